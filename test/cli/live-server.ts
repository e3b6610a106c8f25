/**
 * A real `ocs serve` process for the CLI tests that need one running on the real clock (events,
 * webhooks): its own data directory and database, the default keys, and the environment the
 * `ocs` binary reads them from.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompShareClient } from "@opencompshare/sdk";
import { databaseEnv, testDatabase } from "../helpers/database.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { DEFAULT_KEYS } from "../helpers/server.js";

export interface LiveServer {
  server: ServerProcess;
  /** UCLOUD_* for the `ocs` binary, and a profile file that does not exist. */
  env: Record<string, string>;
  client: CompShareClient;
  close(): Promise<void>;
}

export async function startLiveServer(name: string): Promise<LiveServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `ocs-cli-${name}-`));
  const db = await testDatabase();
  const server = await spawnServer({
    ...databaseEnv(db),
    OCS_DATA_DIR: dataDir,
    OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
    OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
    OCS_SIM_BOOT_MS: "300",
    OCS_LOG_LEVEL: "warn",
  });
  return {
    server,
    env: {
      UCLOUD_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      UCLOUD_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
      UCLOUD_BASE_URL: server.url,
      OCS_CONFIG: join(dataDir, "no-such-config.json"),
    },
    client: new CompShareClient({ publicKey: DEFAULT_KEYS.PublicKey, privateKey: DEFAULT_KEYS.PrivateKey, baseUrl: server.url }),
    async close() {
      server.child.kill("SIGTERM");
      await server.exited;
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    },
  };
}
