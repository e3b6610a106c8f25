/**
 * What `ocs serve` keeps on disk is its user's only: the data folder 0700, and the database, its
 * WAL and shared memory, the master key, the generated credentials and the pid file 0600. A
 * folder made looser before the server (`npm run guest-image` makes ./data/images first) and a
 * database left 0644 by an older version are narrowed at start. A backup is 0600 too.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { backupSqlite } from "@opencompshare/server";
import { spawnServer, type ServerProcess } from "../helpers/process.js";

const mode = (path: string): string => (statSync(path).mode & 0o7777).toString(8).padStart(4, "0");

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill("SIGTERM");
  await server.exited;
}

describe("file modes of the data directory", () => {
  const dirs: string[] = [];
  const temp = (): string => {
    const d = mkdtempSync(join(tmpdir(), "ocs-modes-"));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("a fresh data directory is 0700 and every file in it 0600, the WAL included", async () => {
    const dataDir = join(temp(), "data");
    const server = await spawnServer({ OCS_DATA_DIR: dataDir, OCS_LOG_LEVEL: "warn" });
    try {
      assert.equal(mode(dataDir), "0700");
      for (const name of ["ocs.db", "ocs.db-wal", "ocs.db-shm", "master.key", "default-credentials.json", "ocs.pid"]) {
        const path = join(dataDir, name);
        assert.ok(existsSync(path), `${name} exists`);
        assert.equal(mode(path), "0600", name);
      }
    } finally {
      await stop(server);
    }
  });

  it("a folder and a database made looser before the server are narrowed at its start", async () => {
    const dataDir = join(temp(), "data");
    mkdirSync(join(dataDir, "images"), { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const first = await spawnServer({ OCS_DATA_DIR: dataDir, OCS_LOG_LEVEL: "warn" });
    await stop(first);
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, "ocs.db"), 0o644);
    writeFileSync(join(dataDir, "ocs.db-wal"), "", { mode: 0o644 });
    chmodSync(join(dataDir, "ocs.db-wal"), 0o644);
    const second = await spawnServer({ OCS_DATA_DIR: dataDir, OCS_LOG_LEVEL: "warn" });
    try {
      assert.equal(mode(dataDir), "0700");
      for (const name of ["ocs.db", "ocs.db-wal", "ocs.db-shm"]) assert.equal(mode(join(dataDir, name)), "0600", name);
      const target = join(temp(), "copy.db");
      await backupSqlite(join(dataDir, "ocs.db"), target);
      assert.equal(mode(target), "0600", "the backup");
    } finally {
      await stop(second);
    }
  });

  it("a shared sticky folder named as the data directory is left as it is", async () => {
    const shared = temp();
    chmodSync(shared, 0o1777);
    const server = await spawnServer({ OCS_DATA_DIR: shared, OCS_LOG_LEVEL: "warn" });
    try {
      assert.equal(mode(shared), "1777");
      assert.equal(mode(join(shared, "ocs.db")), "0600");
    } finally {
      await stop(server);
    }
  });
});
