/**
 * SQL statements per request, counted: the server runs in this process on SQLite (background
 * loops off), better-sqlite3's statement methods (run, get, all, iterate) are wrapped to record
 * every statement executed, and one request of each kind is sent. Statements run before the server ends its answer (res.end) are
 * the request's; those run after it, by the runner, are listed apart. Instrumentation lives here only.
 *
 *   node --import tsx bench/queries.ts    → markdown on stdout
 */
import { randomBytes } from "node:crypto";
import { ServerResponse } from "node:http";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { createApp, createLogger, createSealer, loadConfig } from "@opencompshare/server";
import { cleanup, describeOneBody, rebootBody, seededId, sleep, tempDir, type Keys } from "./lib.js";
import { defaultScope, seedInstances } from "./seed.js";

const statements: string[] = [];
let counting = false;
// Every statement run, whether just prepared or from the dialect's statement cache: wrap the
// methods that run a prepared statement.
type Run = (this: BetterSqlite3.Statement, ...args: unknown[]) => unknown;
const scratch = new BetterSqlite3(":memory:");
const statementProto = Object.getPrototypeOf(scratch.prepare("select 1")) as Record<"run" | "get" | "all" | "iterate", Run>;
scratch.close();
for (const method of ["run", "get", "all", "iterate"] as const) {
  const original = statementProto[method];
  statementProto[method] = function (this: BetterSqlite3.Statement, ...args: unknown[]) {
    if (counting) statements.push(this.source.replace(/\s+/g, " ").trim());
    return original.apply(this, args);
  };
}

// The answer leaves when the server calls res.end: mark where that happened among the statements.
let answeredAt = -1;
const originalEnd = ServerResponse.prototype.end;
ServerResponse.prototype.end = function (this: ServerResponse, ...args: unknown[]) {
  if (counting && answeredAt < 0) answeredAt = statements.length;
  return (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args);
} as typeof ServerResponse.prototype.end;

const short = (sql: string) => (sql.length > 150 ? `${sql.slice(0, 147)}…` : sql);

async function main(): Promise<string> {
  const dataDir = tempDir("queries");
  const keys: Keys = { publicKey: "bench_public_key", privateKey: randomBytes(20).toString("hex") };
  const masterKey = randomBytes(32).toString("hex");
  const config = loadConfig({}, {
    OCS_DATA_DIR: dataDir,
    OCS_PORT: "0",
    OCS_PUBLIC_KEY: keys.publicKey,
    OCS_PRIVATE_KEY: keys.privateKey,
    OCS_MASTER_KEY: masterKey,
    OCS_SIM_BOOT_MS: "3600000",
    OCS_SOFT_TIMEOUT_MS: "3600000",
    OCS_LOCK_TTL_S: "7200",
    OCS_RATE_LIMIT_RPS: "0",
  });
  const app = await createApp(config, { manualLoops: true, log: createLogger("silent") });
  const address = await app.listen();
  const url = `http://127.0.0.1:${address.port}`;
  const target = { engine: "sqlite" as const, file: join(dataDir, "ocs.db") };
  await seedInstances(target, await defaultScope(target), 0, 100, createSealer(Buffer.from(masterKey, "hex")).seal("cGFzc3dvcmQ="), Date.now());
  const post = async (body: string) => {
    const res = await fetch(`${url}/`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
    return (await res.json()) as { RetCode: number };
  };
  const out: string[] = [];
  const measure = async (title: string, body: string, expect: number) => {
    // once unmeasured, so caches and lazy paths are as in steady state
    statements.length = 0;
    answeredAt = -1;
    counting = true;
    const answer = await post(body);
    await sleep(300);
    const during = answeredAt < 0 ? statements.length : answeredAt;
    counting = false;
    if (answer.RetCode !== expect) throw new Error(`${title}: RetCode ${answer.RetCode}, expected ${expect}`);
    const inRequest = statements.slice(0, during);
    const after = statements.slice(during);
    out.push(`### ${title}`, "", `${inRequest.length} statements before the answer${after.length ? `, ${after.length} more right after it (the runner)` : ""}.`, "");
    out.push("| # | before the answer |", "|---:|---|", ...inRequest.map((s, i) => `| ${i + 1} | \`${short(s)}\` |`), "");
    if (after.length) out.push("| # | after the answer (runner, until the driver's timed reboot) |", "|---:|---|", ...after.map((s, i) => `| ${i + 1} | \`${short(s)}\` |`), "");
  };
  await post(describeOneBody(seededId(1), keys));
  await post(rebootBody(seededId(2), keys));
  await measure("DescribeCompShareInstance of one instance", describeOneBody(seededId(3), keys), 0);
  await measure("RebootCompShareInstance, accepted", rebootBody(seededId(4), keys), 0);
  await measure("RebootCompShareInstance, refused (lock held)", rebootBody(seededId(4), keys), 226610);
  await app.close();
  return out.join("\n");
}

try {
  process.stdout.write(`${await main()}\n`);
} finally {
  await cleanup();
}
process.exit(0);
