/**
 * Hot queries, built and compiled once. Kysely builds and compiles a query anew on every call,
 * which on the hot path costs as much as the database's own work for a primary-key read. A
 * prepared query is built once per dialect with placeholders in place of its arguments; each
 * call binds its own values to the compiled SQL, and the statement cache of the SQLite dialect
 * (or PostgreSQL's parse) does the rest.
 *
 * Only for queries whose SQL never depends on the values: no `in` lists, no optional filters.
 * The parameters are positional, so the same placeholders land in the same places every time.
 *
 * Each template's SQL is registered (`preparedId`): on PostgreSQL those statements run as named,
 * server-side prepared statements (dialects/postgres.ts), parsed and planned once per connection.
 */
import type { Compilable, CompiledQuery, QueryResult } from "kysely";
import { createQueryId } from "kysely";
import type { Executor } from "./schema.js";

/** The rows a prepared read answers. */
export const rowsOf = async <R>(result: Promise<QueryResult<R>>): Promise<R[]> => (await result).rows;

/** The SQL of every prepared template, numbered in the order they were first compiled. */
const registered = new Map<string, number>();

/** The number of a prepared template's SQL; undefined for any other statement. */
export const preparedId = (sql: string): number | undefined => registered.get(sql);

/** Stands for the argument at `index` while the query is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

interface Template {
  sql: string;
  parameters: readonly unknown[];
  query: CompiledQuery["query"];
}

/** A prepared query: run it with its arguments; the answer has the rows, and for a write the rows affected. */
export function prepared<A extends unknown[], R>(arity: A["length"], build: (db: Executor, ...args: A) => Compilable<R>): (db: Executor, ...args: A) => Promise<QueryResult<R>> {
  // One template per dialect (the adapter's class): SQLite and PostgreSQL spell parameters apart.
  // getExecutor() is marked internal in Kysely's types; it is the one way to reach the adapter
  // from a transaction as from the database.
  const templates = new Map<unknown, Template>();
  return async (db, ...args) => {
    const dialect = db.getExecutor().adapter.constructor;
    let template = templates.get(dialect);
    if (!template) {
      const slots = Array.from({ length: arity }, (_, i) => new Slot(i)) as unknown as A;
      const compiled = build(db, ...slots).compile();
      template = { sql: compiled.sql, parameters: compiled.parameters, query: compiled.query };
      templates.set(dialect, template);
      if (!registered.has(compiled.sql)) registered.set(compiled.sql, registered.size);
    }
    const parameters = template.parameters.map((p) => (p instanceof Slot ? args[p.index] : p));
    const compiled: CompiledQuery<R> = { sql: template.sql, parameters, query: template.query, queryId: createQueryId() };
    return db.executeQuery(compiled);
  };
}
