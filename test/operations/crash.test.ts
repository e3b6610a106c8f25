/**
 * kill -9 of a real server process in the middle of a reboot, then a restart on the same data:
 * the instance ends Running and the reboot has a final record. Time is real here (two
 * processes), so the simulated boot is short; nothing asserts on durations.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { call, type Keys } from "../helpers/client.js";
import { databaseEnv, testDatabase, type TestDatabase } from "../helpers/database.js";
import { poll, spawnServer, type ServerProcess } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS, REGION } from "../helpers/server.js";

interface Op {
  Action: string;
  Status: string;
  EndTime: number;
  Recovered: boolean;
  ErrorMessage: string;
}

describe("a crash in the middle of operations", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-crash-"));
  let db: TestDatabase | undefined;
  let env: Record<string, string> = {};
  const baseEnv = {
    OCS_DATA_DIR: dataDir,
    // With PostgreSQL a restarted server cannot know the old one is gone: it waits out the lease.
    OCS_LEASE_MS: "1000",
    OCS_RECOVERY_INTERVAL_MS: "200",
    OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
    OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
    OCS_SIM_BOOT_MS: "1500",
    OCS_LOG_LEVEL: "warn",
  };
  const keys: Keys = DEFAULT_KEYS;
  let server: ServerProcess | undefined;
  before(async () => {
    db = await testDatabase();
    env = { ...baseEnv, ...databaseEnv(db) };
  });
  after(async () => {
    server?.child.kill("SIGKILL");
    await server?.exited;
    rmSync(dataDir, { recursive: true, force: true });
    await db?.drop();
  });

  const state = async (url: string, id: string) => {
    const res = await call(url, keys, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    return (res.body.UHostSet as Array<{ State: string }>)[0]?.State;
  };

  it("resumes the reboot after kill -9 and a restart: Running, with a final record", async () => {
    server = await spawnServer(env);
    const created = await call(server.url, keys, "CreateCompShareInstance", CREATE);
    assert.equal(created.body.RetCode, 0);
    const id = (created.body.UHostIds as string[])[0] as string;
    const url1 = server.url;
    await poll(async () => (await state(url1, id)) === "Running");

    const reboot = await call(server.url, keys, "RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(reboot.body.RetCode, 0);
    assert.equal(await state(server.url, id), "Rebooting");
    server.child.kill("SIGKILL");
    assert.equal(await server.exited, "SIGKILL");

    server = await spawnServer(env);
    const url2 = server.url;
    await poll(async () => (await state(url2, id)) === "Running");
    const ops = (await call(server.url, keys, "DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet as Op[];
    const reboots = ops.filter((o) => o.Action === "RebootCompShareInstance");
    assert.equal(reboots.length, 1);
    assert.equal(reboots[0]?.Status, "Succeeded", JSON.stringify(reboots[0]));
    assert.equal(reboots[0]?.Recovered, true);
    assert.ok((reboots[0]?.EndTime ?? 0) > 0);
    // The lock is free again: a new reboot is accepted.
    assert.equal((await call(server.url, keys, "RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await poll(async () => (await state(url2, id)) === "Running");
  });

  it("resumes a create killed while it provisions", async () => {
    assert.ok(server);
    const created = await call(server.url, keys, "CreateCompShareInstance", CREATE);
    const id = (created.body.UHostIds as string[])[0] as string;
    server.child.kill("SIGKILL");
    await server.exited;
    server = await spawnServer(env);
    const url = server.url;
    await poll(async () => (await state(url, id)) === "Running");
    const ops = (await call(server.url, keys, "DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet as Op[];
    assert.deepEqual(
      ops.map((o) => [o.Action, o.Status]),
      [["CreateCompShareInstance", "Succeeded"]],
    );
  });

  it("stops gracefully on SIGTERM", async () => {
    assert.ok(server);
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
    server = undefined;
  });
});
