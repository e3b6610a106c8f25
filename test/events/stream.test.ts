/**
 * The event log and its stream at /events, against a real server on the ManualClock: what a
 * lifecycle writes, in order; per-account isolation; resuming with Last-Event-ID; retention and
 * `reset`; the first comment and the heartbeat; refusals.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { settle } from "@opencompshare/server/testing";
import type { InstanceEvent } from "@opencompshare/sdk";
import { signedParams, type Keys } from "../helpers/client.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { clientOf, kinds, read, states } from "./helpers.js";

describe("the event stream", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_EVENT_RETENTION_HOURS: "1", OCS_SIM_BOOT_MS: "3000" } });
  });
  after(async () => {
    await s.close();
  });
  const client = (keys: Keys = s.keys) => clientOf(s.url, keys);
  const now = () => s.clock.now();
  const streamUrl = (params: Record<string, string | number>, keys: Keys = s.keys) => {
    const qs = new URLSearchParams(Object.entries(signedParams("StreamEvents", params, keys)).map(([k, v]): [string, string] => [k, String(v)]));
    return `${s.url}/events?${qs.toString()}`;
  };
  const expires = () => Math.floor(now() / 1000) + 600;

  it("streams a create and a reboot in order: created, lock, accepted, phases, states, succeeded, released lock", async () => {
    const r = read(client(), { now });
    await r.until(() => true);
    const id = await s.running();
    const reboot = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(reboot.body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running" && r.items.filter((e) => e.Kind === "operation.succeeded").length === 2);
    await r.until((items) => items.filter((e) => e.Kind === "lock.released").length === 2, "the second release");
    await r.close();

    const mine = r.items as InstanceEvent[];
    assert.ok(mine.every((e) => e.UHostId === id), "only the instance's events");
    const ids = mine.map((e) => e.EventId);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in id order");
    assert.equal(new Set(ids).size, ids.length, "each once");
    assert.equal(mine[0]?.Kind, "instance.created");
    assert.equal(mine[0]?.State, "Initializing");
    assert.deepEqual(states(mine, id), ["Running", "Rebooting", "Running"]);
    const createOp = mine.find((e) => e.Kind === "operation.accepted" && e.Action === "CreateCompShareInstance")?.OperationId;
    const create = mine.filter((e) => e.OperationId === createOp).map((e) => e.Kind);
    assert.deepEqual(create.slice(0, 2), ["lock.taken", "operation.accepted"]);
    assert.equal(create.at(-1), "operation.succeeded");
    const rebootOp = mine.find((e) => e.Kind === "operation.accepted" && e.Action === "RebootCompShareInstance")?.OperationId;
    const rebootKinds = mine.filter((e) => e.OperationId === rebootOp).map((e) => e.Kind);
    assert.deepEqual(rebootKinds.slice(0, 2), ["lock.taken", "operation.accepted"]);
    assert.ok(rebootKinds.includes("operation.phase"), JSON.stringify(rebootKinds));
    assert.equal(rebootKinds.at(-1), "operation.succeeded");
    const accepted = mine.find((e) => e.Kind === "operation.accepted" && e.Action === "RebootCompShareInstance");
    assert.equal(accepted?.RequestId, reboot.requestId, "the request id of the reboot");
    const lockTaken = mine.filter((e) => e.Kind === "lock.taken");
    assert.equal(lockTaken.length, 2);
    assert.ok(lockTaken.every((e) => (e.ExpireTime ?? 0) > e.Time), "each lock with its expiry");
    // The reboot's lock is taken in the acceptance transaction, and released as the reboot ends.
    const order = kinds(mine.filter((e) => e.OperationId === accepted?.OperationId));
    assert.equal(order.indexOf("lock.taken") < order.indexOf("operation.accepted"), true);
    assert.equal(order.indexOf("lock.released") < order.indexOf("operation.succeeded"), true);
  });

  it("writes no event for a refusal: a second reboot, a create that cannot be placed", async () => {
    const id = await s.running();
    const first = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(first.body.RetCode, 0);
    const firstOp = (await s.app.store.db.selectFrom("operations").select("id").where("request_id", "=", String(first.requestId)).executeTakeFirstOrThrow()).id;
    // The first reboot's runner goes on writing its own events meanwhile: count the others.
    const others = async () =>
      Number(
        (
          await s.app.store.db
            .selectFrom("events")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("data", "not like", `%${firstOp}%`)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await others();
    const second = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(second.body.RetCode, 226610, JSON.stringify(second.body));
    const big = await s.call("CreateCompShareInstance", { ...CREATE, GPU: 8, CPU: 128, Memory: 1_048_576, MaxCount: 100 });
    assert.notEqual(big.body.RetCode, 0);
    assert.equal(await others(), before, "nothing was written");
    await s.until(async () => (await s.state(id)) === "Running");
  });

  it("shows an account its own events only", async () => {
    const b = await s.account("events-b");
    const keysB: Keys = { PublicKey: b.PublicKey, PrivateKey: b.PrivateKey };
    const ra = read(client(), { now });
    const rb = read(client(keysB), { now });
    await Promise.all([ra.until(() => true), rb.until(() => true)]);
    const idA = await s.running();
    const idB = await s.running(keysB);
    await rb.until((items) => states(items, idB).includes("Running"), "B's instance running");
    await ra.until((items) => states(items, idA).includes("Running"), "A's instance running");
    await Promise.all([ra.close(), rb.close()]);
    assert.ok(rb.items.length > 0);
    assert.ok(rb.items.every((e) => e.Kind !== "reset" && e.UHostId === idB), "B sees nothing of A");
    assert.ok(ra.items.every((e) => e.Kind !== "reset" && e.UHostId !== idB), "A sees nothing of B");
    // Asking for A's instance by id does not help B either.
    const rbA = read(client(keysB), { now, uhostId: idA, after: 0 });
    await rbA.until(() => true);
    await settle();
    await new Promise((r) => setTimeout(r, 300));
    await rbA.close();
    assert.deepEqual(rbA.items, []);
  });

  it("resumes after Last-Event-ID with nothing missed and nothing twice, and filters by instance", async () => {
    const first = read(client(), { now });
    await first.until(() => true);
    const id = await s.running();
    await first.until((items) => states(items, id).includes("Running"), "Running");
    await first.close();
    const last = (first.items.at(-1) as InstanceEvent).EventId;
    // While nobody listens: a stop and a start.
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    assert.equal((await s.call("StartCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");

    const rows = await s.app.store.db.selectFrom("events").select(["id"]).where("id", ">", last).where("instance_id", "=", id).orderBy("id").execute();
    const resumed = read(client(), { now, after: last, uhostId: id });
    await resumed.until((items) => items.length >= rows.length, "the missed events");
    await new Promise((r) => setTimeout(r, 200));
    await resumed.close();
    assert.deepEqual(
      resumed.items.map((e) => (e as InstanceEvent).EventId),
      rows.map((r) => Number(r.id)),
      "exactly the events after the position",
    );
    assert.deepEqual(states(resumed.items, id), ["Stopping", "Stopped", "Starting", "Running"]);
  });

  it("past retention sends event: reset, then goes on", async () => {
    const id = await s.running();
    await s.clock.advance(2 * 3_600_000);
    const pruned = await s.app.events.prune();
    assert.ok(pruned > 0, "old events deleted");
    const r = read(client(), { now, after: 1 });
    await r.until((items) => items.length > 0, "the reset");
    assert.equal(r.items[0]?.Kind, "reset");
    const reset = r.items[0] as { PrunedThrough: number; ResumeAfter: number };
    assert.ok(reset.PrunedThrough > 1);
    assert.ok(reset.ResumeAfter >= reset.PrunedThrough);
    const stop = await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(stop.body.RetCode, 0, JSON.stringify(stop.body));
    await s.until(async () => (await s.state(id)) === "Stopped");
    await r.until((items) => states(items, id).includes("Stopped"), "the stop after the reset");
    await r.close();
    assert.ok(r.items.slice(1).every((e) => e.Kind !== "reset" && e.EventId > reset.ResumeAfter));
  });

  it("sends a comment at once and a heartbeat every 15 s of the clock", async () => {
    const ac = new AbortController();
    const res = await fetch(streamUrl({ Expires: expires() }), { signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const reader = res.body!.getReader();
    const text = () => reader.read().then(({ value }) => new TextDecoder().decode(value));
    assert.match(await text(), /^: StreamEvents [0-9a-f-]{36}\nretry: 2000\n\n/);
    const heartbeat = text();
    await s.clock.advance(15_000);
    assert.equal(await heartbeat, ": heartbeat\n\n");
    ac.abort();
    await s.until(async () => s.app.events.streams.open === 0, 10, 100);
  });

  it("refuses a stream without a valid signature, Expires or position, with a RetCode and a status EventSource does not retry", async () => {
    const bad = async (url: string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { headers });
      return { status: res.status, body: (await res.json()) as { RetCode: number; Message: string; Action: string } };
    };
    const noSig = await bad(`${s.url}/events?PublicKey=${s.keys.PublicKey}&Expires=${expires()}`);
    assert.deepEqual([noSig.status, noSig.body.RetCode, noSig.body.Action], [401, 170, "StreamEventsResponse"]);
    const wrongKey = await bad(streamUrl({ Expires: expires() }, { PublicKey: s.keys.PublicKey, PrivateKey: "not-the-key" }));
    assert.deepEqual([wrongKey.status, wrongKey.body.RetCode], [401, 171]);
    const noExpires = await bad(streamUrl({}));
    assert.deepEqual([noExpires.status, noExpires.body.RetCode], [400, 220]);
    const expired = await bad(streamUrl({ Expires: Math.floor(now() / 1000) - 1 }));
    assert.deepEqual([expired.status, expired.body.RetCode], [400, 230]);
    assert.match(expired.body.Message, /Expires/);
    const far = await bad(streamUrl({ Expires: Math.floor(now() / 1000) + 7200 }));
    assert.deepEqual([far.status, far.body.RetCode], [400, 230]);
    const position = await bad(streamUrl({ Expires: expires() }), { "Last-Event-ID": "12abc" });
    assert.deepEqual([position.status, position.body.RetCode], [400, 230]);
    const post = await fetch(streamUrl({ Expires: expires() }), { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(s.app.events.streams.open, 0);
  });
});
