/** Several `ocs serve` replicas as real processes on one PostgreSQL database, for the replica tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { call, type Keys } from "../helpers/client.js";
import { databaseEnv, testDatabase, type TestDatabase } from "../helpers/database.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS, REGION } from "../helpers/server.js";

export interface Cluster {
  replicas: ServerProcess[];
  keys: Keys;
  sql: pg.Client;
  /** The database's URL, for a test's own connections. */
  url: string;
  start(extraEnv?: Record<string, string>): Promise<ServerProcess>;
  create(count: number): Promise<string[]>;
  states(ids: string[], via?: ServerProcess): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export async function startCluster(n: number, env: Record<string, string>): Promise<Cluster> {
  const db: TestDatabase = await testDatabase();
  const dirs: string[] = [];
  const keys = DEFAULT_KEYS;
  const sql = new pg.Client({ connectionString: db.url });
  const cluster: Cluster = {
    replicas: [],
    keys,
    sql,
    url: db.url ?? "",
    async start(extraEnv = {}) {
      const dataDir = mkdtempSync(join(tmpdir(), "ocs-replica-"));
      dirs.push(dataDir);
      const replica = await spawnServer({
        OCS_DATA_DIR: dataDir,
        OCS_PUBLIC_KEY: keys.PublicKey,
        OCS_PRIVATE_KEY: keys.PrivateKey,
        OCS_LOG_LEVEL: "warn",
        // Prepaid creates pay their first period at once: enough for the tests' hundreds of instances.
        OCS_INITIAL_BALANCE: "10000000",
        ...databaseEnv(db),
        ...env,
        ...extraEnv,
      });
      cluster.replicas.push(replica);
      return replica;
    },
    async create(count) {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 20) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(20, count - i) }, (_, k) => {
            const replica = cluster.replicas[(i + k) % cluster.replicas.length] as ServerProcess;
            return call(replica.url, keys, "CreateCompShareInstance", CREATE);
          }),
        );
        for (const res of batch) {
          if (res.body.RetCode !== 0) throw new Error(`create: ${JSON.stringify(res.body)}`);
          ids.push(...(res.body.UHostIds as string[]));
        }
      }
      return ids;
    },
    async states(ids, via = cluster.replicas[0]) {
      const out = new Map<string, string>();
      for (let i = 0; i < ids.length; i += 100) {
        const page = ids.slice(i, i + 100);
        const params: Record<string, string | number> = { ...REGION, Limit: 100 };
        page.forEach((id, k) => (params[`UHostIds.${k}`] = id));
        const res = await call((via as ServerProcess).url, keys, "DescribeCompShareInstance", params);
        for (const inst of res.body.UHostSet as Array<{ UHostId: string; State: string }>) out.set(inst.UHostId, inst.State);
      }
      return out;
    },
    async close() {
      for (const r of cluster.replicas) {
        r.child.kill("SIGCONT");
        r.child.kill("SIGKILL");
        await r.exited;
      }
      await sql.end().catch(() => undefined);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      await db.drop();
    },
  };
  await sql.connect();
  for (let i = 0; i < n; i++) await cluster.start();
  return cluster;
}
