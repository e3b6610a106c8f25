/**
 * kill -9 of a real server process in the middle of a reboot, then a restart on the same data:
 * the instance ends Running and the reboot has a final record. Time is real here (two
 * processes), so the simulated boot is short; nothing asserts on durations.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { call, type Keys } from "../helpers/client.js";
import { crashableServer, stateAt } from "../helpers/crash.js";
import { poll } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS, REGION } from "../helpers/server.js";

interface Op {
  Action: string;
  Status: string;
  EndTime: number;
  Recovered: boolean;
  ErrorMessage: string;
}

describe("a crash in the middle of operations", () => {
  const crash = crashableServer("ocs-crash", { OCS_SIM_BOOT_MS: "1500" });
  const keys: Keys = DEFAULT_KEYS;
  const state = (url: string, id: string) => stateAt(url, id, keys);

  it("resumes the reboot after kill -9 and a restart: Running, with a final record", async () => {
    let server = await crash.start();
    const created = await call(server.url, keys, "CreateCompShareInstance", CREATE);
    assert.equal(created.body.RetCode, 0);
    const id = (created.body.UHostIds as string[])[0] as string;
    const url1 = server.url;
    await poll(async () => (await state(url1, id)) === "Running");

    const reboot = await call(server.url, keys, "RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(reboot.body.RetCode, 0);
    assert.equal(await state(server.url, id), "Rebooting");
    assert.equal(await crash.kill9(), "SIGKILL");

    server = await crash.start();
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
    let server = crash.server;
    assert.ok(server);
    const created = await call(server.url, keys, "CreateCompShareInstance", CREATE);
    const id = (created.body.UHostIds as string[])[0] as string;
    await crash.kill9();
    server = await crash.start();
    const url = server.url;
    await poll(async () => (await state(url, id)) === "Running");
    const ops = (await call(server.url, keys, "DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet as Op[];
    assert.deepEqual(
      ops.map((o) => [o.Action, o.Status]),
      [["CreateCompShareInstance", "Succeeded"]],
    );
  });

  it("stops gracefully on SIGTERM", async () => {
    const server = crash.server;
    assert.ok(server);
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 0);
  });
});
