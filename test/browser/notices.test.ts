/** When the console's banners end by themselves (packages/console/src/notices.ts), event by event. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InstanceEvent } from "@opencompshare/protocol/web";
import type { Instance } from "../../packages/console/src/model.js";
import { ACCEPTED_MAX_MS, afterEvent, DONE_MS, lifetime, REFUSAL_MS, type Notice } from "../../packages/console/src/notices.js";

const event = (e: Partial<InstanceEvent> & Pick<InstanceEvent, "Kind" | "UHostId">): InstanceEvent => ({ EventId: 1, Time: 0, ...e });
const none = new Map<string, Instance>();

describe("the console's banners", () => {
  it("keep an acceptance until its operation has ended on every instance it named", () => {
    const n: Notice = { id: 1, kind: "info", text: "Start accepted", about: { action: "StartCompShareInstance", uhostIds: ["u-1", "u-2"] } };
    assert.equal(afterEvent(n, event({ Kind: "instance.state", UHostId: "u-1", State: "Running" }), none), n);
    assert.equal(afterEvent(n, event({ Kind: "operation.succeeded", UHostId: "u-1", Action: "RebootCompShareInstance" }), none), n, "another action");
    assert.equal(afterEvent(n, event({ Kind: "operation.succeeded", UHostId: "u-3", Action: "StartCompShareInstance" }), none), n, "another instance");
    const half = afterEvent(n, event({ Kind: "operation.failed", UHostId: "u-1", Action: "StartCompShareInstance" }), none);
    assert.deepEqual(half?.about?.uhostIds, ["u-2"]);
    assert.equal(afterEvent(half!, event({ Kind: "operation.succeeded", UHostId: "u-2", Action: "StartCompShareInstance" }), none), null);
    assert.equal(afterEvent(half!, event({ Kind: "instance.released", UHostId: "u-2" }), none), null, "or the instance is gone");
  });

  it("end a lock refusal with the operation that held the lock", () => {
    const n: Notice = { id: 2, kind: "error", text: "busy", about: { operationId: "op-1" } };
    assert.equal(afterEvent(n, event({ Kind: "lock.released", UHostId: "u-1", OperationId: "op-1" }), none), n);
    assert.equal(afterEvent(n, event({ Kind: "operation.succeeded", UHostId: "u-1", OperationId: "op-2" }), none), n);
    assert.equal(afterEvent(n, event({ Kind: "operation.failed", UHostId: "u-1", OperationId: "op-1" }), none), null);
  });

  it("end an acceptance on a poll's tick once its instances no longer change (no event stream)", () => {
    const n: Notice = { id: 3, kind: "info", text: "Reboot accepted", about: { action: "RebootCompShareInstance", uhostIds: ["u-1"] } };
    const at = (State: string) => new Map([["u-1", { UHostId: "u-1", State } as Instance]]);
    assert.equal(afterEvent(n, { Kind: "poll", UHostId: "" }, at("Rebooting")), n);
    assert.equal(afterEvent(n, { Kind: "poll", UHostId: "" }, at("Running")), null);
    assert.equal(afterEvent(n, { Kind: "poll", UHostId: "" }, none), null, "gone");
  });

  it("bound every banner's life", () => {
    assert.equal(lifetime("error", undefined), REFUSAL_MS);
    assert.equal(lifetime("error", { operationId: "op-1" }), REFUSAL_MS);
    assert.equal(lifetime("info", undefined), DONE_MS);
    assert.equal(lifetime("info", { action: "StopCompShareInstance", uhostIds: ["u-1"] }), ACCEPTED_MAX_MS);
    assert.ok(REFUSAL_MS <= 60_000 && ACCEPTED_MAX_MS <= 15 * 60_000);
  });
});
