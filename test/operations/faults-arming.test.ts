/**
 * An armed fault fires as often as it was armed for (`times`), and only for the instance it names.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import { REGION } from "../helpers/server.js";
import { helpers, serverUnderFaults } from "./helpers.js";

describe("operation engine under injected driver faults: arming", () => {
  const s = serverUnderFaults({ env: { OCS_LOCK_TTL_S: "60", OCS_SOFT_TIMEOUT_MS: "5000" } });
  const h = helpers(() => s);

  it("(k) a fault with times 1 fires once only", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: id, times: 1 });
    const first = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    h.assertFailed((await h.ended(id, first)).op, /injected failure/);
    const left = await h.db().selectFrom("machine_faults").select("remaining").where("instance_id", "=", id).executeTakeFirstOrThrow();
    assert.equal(Number(left.remaining), 0);
    const second = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal((await h.ended(id, second)).op.Status, "Succeeded");
    assert.equal(await s.state(id), "Running");
  });

  it("(k) a fault with times 2 fires twice, then no more", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: id, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
      h.assertFailed((await h.ended(id, res)).op, /injected failure/);
      assert.equal(await s.state(id), "Running");
    }
    await h.rebootWorks(id);
  });

  it("(k) a fault armed for one instance does not fire for another", async () => {
    const target = await s.running();
    const other = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: target });
    await h.rebootWorks(other);
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: target });
    h.assertFailed((await h.ended(target, res)).op, /injected failure/);
  });
});
