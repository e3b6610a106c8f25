/**
 * A real `ocs serve` process for `ocs testing`: in testing mode (OCS_TESTING=1) or not, on the
 * real clock, with its own data directory and database, the default keys as the operator's,
 * and the environment the `ocs` binary reads them from (the API's and the server's own).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databaseEnv, testDatabase } from "../helpers/database.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { DEFAULT_KEYS } from "../helpers/server.js";

export interface TestingServer {
  server: ServerProcess;
  /** UCLOUD_* for the `ocs` API commands as the operator, and a profile file that does not exist. */
  env: Record<string, string>;
  /** OCS_* for the server's own commands (`ocs account create`) on the same data. */
  serverEnv: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestingServer(name: string, testing: boolean): Promise<TestingServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `ocs-cli-${name}-`));
  const db = await testDatabase();
  const serverEnv = { ...databaseEnv(db), OCS_DATA_DIR: dataDir, OCS_LOG_LEVEL: "warn" };
  const server = await spawnServer({
    ...serverEnv,
    OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
    OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
    OCS_SIM_BOOT_MS: "300",
    OCS_INITIAL_BALANCE: "1000000",
    OCS_INSTANCE_QUOTA: "100",
    OCS_TESTING: testing ? "1" : "0",
  });
  return {
    server,
    env: {
      UCLOUD_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      UCLOUD_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
      UCLOUD_BASE_URL: server.url,
      OCS_CONFIG: join(dataDir, "no-such-config.json"),
      OCS_POLL_INTERVAL_MS: "100",
      TZ: "UTC",
    },
    serverEnv,
    async close() {
      server.child.kill("SIGTERM");
      await server.exited;
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    },
  };
}
