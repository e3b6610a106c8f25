/**
 * Injected driver faults in a reboot or a stop: a reboot that fails or hangs ends Failed before
 * its lock's TTL with the lock released; a soft reboot or stop slower than OCS_SOFT_TIMEOUT_MS
 * falls back to a hard one, and one that finished but answered late is not done twice; a status call that hangs or drags is cut at its deadline; a soft
 * reboot that hangs through the whole lock budget still ends before the TTL.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import { REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { helpers, serverUnderFaults } from "./helpers.js";

describe("operation engine under injected driver faults: reboot and stop", () => {
  const s = serverUnderFaults({ env: { OCS_LOCK_TTL_S: "60", OCS_SOFT_TIMEOUT_MS: "5000" } });
  const h = helpers(() => s);

  it("(a) reboot fails: operation Failed with its error, instance Running as the driver reports, lock released", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    assert.equal(op.Action, "RebootCompShareInstance");
    assert.equal((await h.settled(id)).power, "running");
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    await h.rebootWorks(id);
  });

  it("(b) reboot hangs: the runner's deadline aborts it before the lock TTL; failure recorded, not Rebooting, lock released", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "hang", instanceId: id });
    await armFault(h.db(), { method: "hardReboot", mode: "hang", instanceId: id });
    const acceptedAt = s.clock.now();
    const ttlEnds = acceptedAt + s.config.lockTtlMs;
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    assert.equal(await s.state(id), "Rebooting");
    const { op } = await h.ended(id, res);
    assert.ok(s.clock.now() < ttlEnds, "the operation should end before its lock's TTL");
    h.assertFailed(op, /reboot/);
    assert.ok(op.EndTime < op.StartTime + s.config.lockTtlMs / 1000);
    const state = await s.state(id);
    assert.notEqual(state, "Rebooting");
    assert.equal(state, "Running", "the hang never touched the machine: it runs");
    assert.equal(await h.lockHolder(id), null);
    // Accepted while the TTL has not run out: the lock was released, not merely expired.
    const again = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.ok(s.clock.now() < ttlEnds);
    assert.equal(again.body.RetCode, 0, JSON.stringify(again.body));
    const second = await h.ended(id, again);
    assert.equal(second.op.Status, "Succeeded");
    assert.equal(await s.state(id), "Running");
    await h.nothingToRecover();
  });

  it("(c) a soft reboot slower than OCS_SOFT_TIMEOUT_MS falls back to a hard reboot and succeeds", async () => {
    const id = await s.running();
    const bootsBefore = (await h.settled(id)).bootCount;
    await armFault(h.db(), { method: "reboot", mode: "slow", delayMs: 60_000, instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op, phases } = await h.ended(id, res);
    assert.equal(op.Status, "Succeeded");
    assert.equal(op.Phase, "done");
    assert.equal(op.ErrorCode, 0);
    assert.ok(phases.includes("hard-reboot"), `phases seen: ${phases.join(" → ")}`);
    assert.ok(
      s.logs.some((l) => l.includes("falling back to hard") && l.includes(id)),
      "the fallback is logged",
    );
    assert.equal(await s.state(id), "Running");
    const machine = await h.settled(id);
    assert.equal(machine.power, "running");
    assert.ok(machine.bootCount > bootsBefore, "the machine did reboot");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
  });

  it("(c2) a soft reboot that finished but answered after OCS_SOFT_TIMEOUT_MS (late): the hard fallback finds the new boot and does not reset", async () => {
    const id = await s.running();
    const bootsBefore = (await h.settled(id)).bootCount;
    // The machine reboots at its usual pace; its answer is held back past the soft timeout, as a partition after the act would.
    await armFault(h.db(), { method: "reboot", mode: "late", delayMs: 60_000, instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    assert.equal(op.Status, "Succeeded");
    assert.ok(s.logs.some((l) => l.includes("falling back to hard") && l.includes(id)), "the soft attempt timed out");
    assert.equal(op.Phase, "soft-finished-late", "the record says the soft reboot finished late");
    assert.ok(s.logs.some((l) => l.includes("soft reboot finished late") && l.includes(id)));
    assert.equal(await s.state(id), "Running");
    assert.equal((await h.settled(id)).bootCount, bootsBefore + 1, "one boot, not two");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
  });

  it("(d) a soft stop slower than OCS_SOFT_TIMEOUT_MS falls back to a hard power-off: Stopped", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "powerOff", mode: "slow", delayMs: 60_000, instanceId: id });
    const res = await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    assert.equal(op.Status, "Succeeded");
    assert.equal(op.Phase, "done");
    assert.equal(op.ErrorCode, 0);
    // The hard power-off is instant, so its phase is too brief to observe: the log proves the fallback.
    assert.ok(
      s.logs.some((l) => l.includes("soft powerOff timed out; falling back to hard") && l.includes(id)),
      "the fallback is logged",
    );
    assert.equal(await s.state(id), "Stopped");
    assert.equal((await h.settled(id)).power, "stopped");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
  });

  it("a status call that hangs is cut at its deadline: the operation fails and the instance stays Running", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "status", mode: "hang", instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /status/);
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    await h.rebootWorks(id);
  });

  it("a `slow` fault on status delays it: slower than its deadline, the operation fails like a hang", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "status", mode: "slow", delayMs: 60_000, instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /status/);
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
  });
});

describe("operation engine: a soft reboot that hangs through the whole lock budget", () => {
  // The default soft timeout (60 s) is as long as the lock's TTL.
  const s = serverForSuite({ env: { OCS_LOCK_TTL_S: "60" } });
  const h = helpers(() => s);

  it("ends before the lock TTL with the lock released, and leaves the instance in the state its machine settles in", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "hang", instanceId: id });
    const ttlEnds = s.clock.now() + s.config.lockTtlMs;
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    assert.ok(s.clock.now() < ttlEnds, "the operation should end before its lock's TTL");
    assert.notEqual(op.Status, "Running");
    if (op.Status === "Failed") assert.notEqual(op.ErrorCode, 0);
    assert.equal(await h.lockHolder(id), null);
    assert.notEqual(await s.state(id), "Rebooting");
    const machine = await h.settled(id);
    assert.equal(machine.power, "running");
    assert.equal(await s.state(id), "Running", `operation ${op.Status}: ${op.ErrorMessage}`);
  });
});
