/** SQLite, the embedded default: one file in the data directory, WAL, one writer at a time. */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  Kysely,
  SqliteDialect,
  SqliteDriver,
  SqliteQueryCompiler,
  ValueNode,
  type DatabaseConnection,
  type Driver,
  type LimitNode,
  type OffsetNode,
  type QueryCompiler,
} from "kysely";
import { keepDatabasePrivate } from "../../security/private-files.js";
import type { Database } from "../schema.js";
import type { Store } from "../store.js";

/**
 * Transactions begin IMMEDIATE: they take the write lock at once, waiting (busy_timeout) while
 * another process (the admin CLI, a test arming a fault) writes. A deferred transaction that read
 * first would instead fail with SQLITE_BUSY_SNAPSHOT when it came to write.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/**
 * LIMIT and OFFSET are written into the SQL as integers, not bound. Measured with better-sqlite3
 * 12 on this project's instances table: a one-row read by primary key with `limit ?` takes 48 µs,
 * with `limit 20` 16 µs, and preparing the statement 39 µs, so a bound LIMIT costs about one
 * prepare per run. On the simulated driver's empty fault table: 5.2 µs against 0.5. Only safe
 * integers are inlined; anything else stays a parameter.
 */
class InlineLimitCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    this.inlineOr("limit ", node.limit, () => super.visitLimit(node));
  }
  protected override visitOffset(node: OffsetNode): void {
    this.inlineOr("offset ", node.offset, () => super.visitOffset(node));
  }
  private inlineOr(keyword: string, value: LimitNode["limit"], otherwise: () => void): void {
    if (ValueNode.is(value) && typeof value.value === "number" && Number.isSafeInteger(value.value)) this.append(keyword + String(value.value));
    else otherwise();
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
  override createQueryCompiler(): QueryCompiler {
    return new InlineLimitCompiler();
  }
}

/** Kysely prepares every query anew; preparing costs more than running. Keep them, bounded. */
function withStatementCache(sqlite: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): BetterSqlite3.Statement {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= 1000) cache.clear();
        statement = sqlite.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

export function openSqlite(file: string): Store {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  keepDatabasePrivate(file);
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 10000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    engine: "sqlite",
    location: file,
    // One process owns the file: its own clock is the only one.
    databaseNow: async () => Date.now(),
    // The data directory's lock already makes this process the file's only user.
    exclusively: (work) => work(db),
    close: () => db.destroy(),
  };
}
