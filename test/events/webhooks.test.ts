/**
 * Webhooks on the event log, against a real server on the ManualClock and real HTTP receivers
 * on 127.0.0.1: every event delivered at least once and in order, signed; retries with a
 * growing backoff, each attempt logged; per-account isolation; delete; the secret kept out of
 * answers and logs; a lease held by another replica; a cursor past retention; the loop woken by
 * new events; bad input.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { InstanceEvent } from "@opencompshare/protocol";
import { backoffMs, signWebhook, Webhooks } from "@opencompshare/server";
import type { Keys } from "../helpers/client.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  event: InstanceEvent;
  status: number;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Answers 500 to the next `n` requests. */
  failNext(n: number): void;
  /** Answers 500 to everything until told otherwise. */
  failAll(on: boolean): void;
  /** The events answered 2xx. */
  delivered(): InstanceEvent[];
  close(): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const received: Received[] = [];
  let failing = 0;
  let always = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const status = always || failing > 0 ? 500 : 204;
      if (failing > 0) failing--;
      received.push({ headers: req.headers, raw, event: JSON.parse(raw) as InstanceEvent, status });
      res.writeHead(status).end(status === 500 ? "not now" : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook?x=1`,
    received,
    failNext: (n) => void (failing = n),
    failAll: (on) => void (always = on),
    delivered: () => received.filter((r) => r.status < 300).map((r) => r.event),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const verify = (secret: string, r: Received): boolean => {
  const ts = String(r.headers["x-ocs-timestamp"]);
  const expected = "sha256=" + createHmac("sha256", secret).update(`${ts}.${r.raw}`).digest("hex");
  return r.headers["x-ocs-signature"] === expected;
};

describe("webhooks", () => {
  let s: TestServer;
  const receivers: Receiver[] = [];
  before(async () => {
    s = await startServer({ env: { OCS_EVENT_RETENTION_HOURS: "1", OCS_SIM_BOOT_MS: "2000", OCS_WEBHOOK_TIMEOUT_MS: "300" } });
  });
  after(async () => {
    await s.close();
    for (const r of receivers) await r.close();
  });
  const newReceiver = async () => {
    const r = await receiver();
    receivers.push(r);
    return r;
  };
  const pass = () => s.app.events.webhooks.pass();
  const create = async (url: string, extra: Record<string, string> = {}, keys: Keys = s.keys) => {
    const res = await s.call("CreateCompShareWebhook", { Url: url, ...extra }, keys);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    return { id: res.body.WebhookId as string, secret: res.body.Secret as string };
  };
  const describeOne = async (id: string, keys: Keys = s.keys) => {
    const res = await s.call("DescribeCompShareWebhooks", { WebhookId: id }, keys);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    return (res.body.WebhookSet as Array<Record<string, unknown>>)[0] as Record<string, number | string>;
  };
  const deliveries = async (id: string, keys: Keys = s.keys) => {
    const res = await s.call("DescribeCompShareWebhookDeliveries", { WebhookId: id, Limit: 100 }, keys);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    return (res.body.DeliverySet as Array<Record<string, number | string>>).reverse();
  };
  /** Passes until one delivers and fails nothing. */
  const drain = async () => {
    for (let i = 0; i < 20; i++) {
      const r = await pass();
      if (r.delivered === 0 && r.failed === 0) return;
    }
    throw new Error("delivery did not settle");
  };
  const accountEvents = async (accountId: string, after: number) =>
    (await s.app.store.db.selectFrom("events").select(["id", "kind"]).where("account_id", "=", accountId).where("id", ">", after).orderBy("id").execute()).map((r) => Number(r.id));
  const defaultAccount = async () =>
    (await s.app.store.db.selectFrom("api_keys").select("account_id").where("public_key", "=", s.keys.PublicKey).executeTakeFirstOrThrow()).account_id;
  const reboot = async (id: string, keys: Keys = s.keys) => {
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id }, keys);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    await s.until(async () => (await s.state(id, keys)) === "Running");
    // The runner's last events (succeeded, lock released) come right after the state.
    await s.clock.advance(1000);
  };

  let instance = "";
  let first: { id: string; secret: string };
  let hook: Receiver;

  it("delivers every event of the account once it succeeds, in order, signed; the backoff grows; each attempt is logged", async () => {
    hook = await newReceiver();
    hook.failNext(3);
    first = await create(hook.url);
    assert.match(first.id, /^whk-[0-9a-f]+$/);
    assert.match(first.secret, /^whsec_[0-9a-f]{64}$/);
    const start = Number((await describeOne(first.id)).Cursor);
    instance = await s.running();

    // Attempt 1 fails: the webhook waits 1 s.
    let report = await pass();
    assert.equal(report.failed, 1);
    assert.equal(hook.received.length, 1);
    let w = await describeOne(first.id);
    assert.equal(w.Status, "Retrying");
    assert.equal(w.Attempts, 1);
    assert.equal(w.LastStatus, "500");
    assert.equal(w.Cursor, start, "no 2xx, no move");
    assert.equal(Number(w.NextAttemptTime) - Number(w.LastAttemptTime), 1);
    // Not due yet: nothing is sent.
    report = await pass();
    assert.equal(report.failed + report.delivered, 0);
    assert.equal(hook.received.length, 1);

    // Attempts 2 and 3 fail after 1 s and 2 s; then 4 s.
    const gaps: number[] = [Number(w.NextAttemptTime) - Number(w.LastAttemptTime)];
    for (const wait of [1000, 2000]) {
      await s.clock.advance(wait - 1);
      assert.equal((await pass()).failed, 0, "not before its time");
      await s.clock.advance(1);
      assert.equal((await pass()).failed, 1);
      w = await describeOne(first.id);
      gaps.push(Number(w.NextAttemptTime) - Number(w.LastAttemptTime));
    }
    assert.deepEqual(gaps, [1, 2, 4]);
    assert.equal(hook.received.length, 3);
    assert.ok(hook.received.every((r) => r.event.EventId === hook.received[0]?.event.EventId), "the same event, again");

    await s.clock.advance(4000);
    await drain();
    w = await describeOne(first.id);
    assert.equal(w.Status, "Active");
    assert.equal(w.Attempts, 0);
    assert.equal(w.NextAttemptTime, 0);
    assert.equal(w.LastStatus, "204");

    const expected = await accountEvents(await defaultAccount(), start);
    assert.ok(expected.length >= 5, `a create writes several events: ${expected.length}`);
    const got = hook.delivered().map((e) => e.EventId);
    assert.deepEqual(got, expected, "every event, in id order, once it succeeded");
    assert.ok(Number(w.Cursor) >= (expected.at(-1) ?? 0));
    for (const r of hook.received) {
      assert.ok(verify(first.secret, r), "the signature verifies");
      assert.ok(!verify("whsec_wrong", r));
      assert.equal(r.headers["content-type"], "application/json");
      assert.equal(r.headers["x-ocs-event-id"], String(r.event.EventId));
      assert.equal(r.headers["x-ocs-event-kind"], r.event.Kind);
      assert.equal(r.headers["x-ocs-webhook-id"], first.id);
      assert.equal(r.event.UHostId, instance);
      assert.ok(Math.abs(Number(r.headers["x-ocs-timestamp"]) - Math.floor(s.clock.now() / 1000)) < 60);
    }
    assert.equal(hook.delivered()[0]?.Kind, "instance.created");

    const log = await deliveries(first.id);
    assert.deepEqual(
      log.slice(0, 4).map((d) => [d.Outcome, d.Attempt, d.StatusCode, d.EventId]),
      [
        ["failed", 1, 500, expected[0]],
        ["failed", 2, 500, expected[0]],
        ["failed", 3, 500, expected[0]],
        ["delivered", 4, 204, expected[0]],
      ],
    );
    assert.equal(log[0]?.Error, "HTTP 500");
    assert.ok(log.slice(4).every((d) => d.Outcome === "delivered" && d.Attempt === 1));
    assert.equal(log.length, 3 + expected.length);
  });

  it("never answers or logs the secret, and keeps it sealed at rest", async () => {
    const listed = await s.call("DescribeCompShareWebhooks", {});
    assert.equal(listed.body.RetCode, 0);
    const text = JSON.stringify(listed.body);
    assert.ok(text.includes(first.id));
    assert.ok(!text.includes(first.secret), "not in Describe");
    assert.ok(!text.includes("Secret"), "no Secret field");
    assert.ok(!JSON.stringify(await deliveries(first.id)).includes(first.secret));
    const row = await s.app.store.db.selectFrom("webhooks").selectAll().where("id", "=", first.id).executeTakeFirstOrThrow();
    assert.ok(!row.secret_sealed.includes(first.secret.slice(6)), "sealed");
    assert.ok(!s.logs.join("\n").includes(first.secret.slice(6)), "not in the logs");
  });

  it("gives an account's webhook only that account's events", async () => {
    const b = await s.account("bob");
    const bob: Keys = { PublicKey: b.PublicKey, PrivateKey: b.PrivateKey };
    const theirs = await newReceiver();
    const hookB = await create(theirs.url, {}, bob);
    await reboot(instance);
    await drain();
    assert.equal(theirs.received.length, 0, "nothing of alice's");
    assert.ok(hook.delivered().some((e) => e.Action === "RebootCompShareInstance"), "alice's own webhook has the reboot");

    const bobs = await s.running(bob);
    await drain();
    assert.ok(theirs.received.length > 0);
    assert.ok(theirs.received.every((r) => r.event.UHostId === bobs), "only bob's instance");
    assert.ok(!hook.delivered().some((e) => e.UHostId === bobs), "and alice gets none of bob's");
    assert.ok(theirs.received.every((r) => verify(hookB.secret, r) && !verify(first.secret, r)));

    // Neither sees nor touches the other's webhooks.
    const list = await s.call("DescribeCompShareWebhooks", {}, bob);
    assert.deepEqual((list.body.WebhookSet as Array<{ WebhookId: string }>).map((w) => w.WebhookId), [hookB.id]);
    for (const action of ["DeleteCompShareWebhook", "DescribeCompShareWebhookDeliveries", "DescribeCompShareWebhooks"]) {
      const res = await s.call(action, { WebhookId: first.id }, bob);
      assert.equal(res.body.RetCode, 230, `${action}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.Message), /WebhookId/);
    }
    assert.equal((await describeOne(first.id)).WebhookId, first.id, "still there");
  });

  it("delivers only the kinds asked for, and a lease held by another replica blocks delivery until it expires", async () => {
    const states = await newReceiver();
    const w = await create(states.url, { "Kinds.0": "instance.state" });
    assert.deepEqual((await describeOne(w.id)).Kinds, ["instance.state"]);
    // Another replica holds the lease for 30 s.
    const until = s.clock.now() + 30_000;
    await s.app.store.db.updateTable("webhooks").set({ lease_owner: "replica-2", lease_until: until }).where("id", "=", w.id).execute();
    await reboot(instance);
    const report = await pass();
    assert.equal(report.leasedElsewhere, 1);
    assert.equal(states.received.length, 0, "the other replica's lease holds");
    await s.clock.advance(until - s.clock.now() - 1);
    await pass();
    assert.equal(states.received.length, 0, "until it expires");
    await s.clock.advance(1);
    await drain();
    assert.deepEqual(
      states.received.map((r) => r.event.State),
      ["Rebooting", "Running"],
    );
    assert.ok(states.received.every((r) => r.event.Kind === "instance.state"));
    const row = await s.app.store.db.selectFrom("webhooks").select(["lease_owner", "cursor"]).where("id", "=", w.id).executeTakeFirstOrThrow();
    assert.equal(row.lease_owner, null, "released after the pass");
  });

  it("two replicas passing at once deliver each event once: the lease goes to one", async () => {
    const both = await newReceiver();
    const w = await create(both.url);
    const { services, events } = s.app;
    const replica = new Webhooks({ db: services.db, clock: s.clock, sealer: services.sealer, hub: events.hub, log: services.log, owner: "replica-2" });
    try {
      await reboot(instance);
      const [a, b] = await Promise.all([pass(), replica.pass()]);
      assert.equal(a.webhooks + b.webhooks >= 1, true);
      await drain();
      await replica.pass();
      const ids = both.delivered().map((e) => e.EventId);
      assert.ok(ids.length > 0);
      assert.deepEqual(ids, [...new Set(ids)].sort((x, y) => x - y), "each once, in order");
      assert.equal(Number((await describeOne(w.id)).Cursor) >= (ids.at(-1) ?? 0), true);
    } finally {
      await replica.close();
      assert.equal((await s.call("DeleteCompShareWebhook", { WebhookId: w.id })).body.RetCode, 0);
    }
  });

  it("stops delivering once deleted", async () => {
    const before = hook.received.length;
    const del = await s.call("DeleteCompShareWebhook", { WebhookId: first.id });
    assert.equal(del.body.RetCode, 0, JSON.stringify(del.body));
    assert.equal(del.body.WebhookId, first.id);
    await reboot(instance);
    await drain();
    assert.equal(hook.received.length, before, "nothing after the delete");
    assert.equal((await s.call("DescribeCompShareWebhooks", { WebhookId: first.id })).body.RetCode, 230);
    assert.equal((await s.call("DeleteCompShareWebhook", { WebhookId: first.id })).body.RetCode, 230);
    const left = await s.app.store.db.selectFrom("webhook_deliveries").select("id").where("webhook_id", "=", first.id).execute();
    assert.equal(left.length, 0, "its log goes with it");
  });

  it("skips a cursor past retention to the oldest event kept, and logs a reset", async () => {
    const down = await newReceiver();
    down.failAll(true);
    const w = await create(down.url);
    await reboot(instance);
    assert.equal((await pass()).failed, 1);
    // Two hours later, retention (1 h here) has deleted what it did not deliver.
    await s.clock.advance(2 * 3_600_000);
    assert.ok((await s.app.events.prune()) > 0);
    down.failAll(false);
    const report = await pass();
    assert.equal(report.resets, 1);
    const log = await deliveries(w.id);
    const reset = log.find((d) => d.Outcome === "reset");
    assert.ok(reset, JSON.stringify(log));
    assert.match(String(reset.Error), /past retention/);
    const pruned = Number((await s.app.store.db.selectFrom("event_log").select("pruned_through").executeTakeFirstOrThrow()).pruned_through);
    assert.equal(reset.EventId, pruned);
    const d = await describeOne(w.id);
    assert.ok(Number(d.Cursor) >= pruned);
    assert.equal(d.Attempts, 0);
    // Delivery goes on after it.
    await reboot(instance);
    await drain();
    assert.ok(down.delivered().some((e) => e.Action === "RebootCompShareInstance" && e.EventId > pruned));
  });

  it("fails an attempt that gets no answer in time, or no connection, and logs why", async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const refusedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const slow = await create(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`);
      const refused = await create(`http://127.0.0.1:${refusedPort}/`);
      await reboot(instance);
      const report = await pass();
      assert.equal(report.failed, 2);
      assert.equal((await describeOne(slow.id)).LastStatus, "timeout");
      const [timedOut] = await deliveries(slow.id);
      assert.equal(timedOut?.StatusCode, 0);
      assert.match(String(timedOut?.Error), /no answer within 300 ms/);
      assert.ok(Number(timedOut?.Duration) >= 250, JSON.stringify(timedOut));
      assert.equal((await describeOne(refused.id)).LastStatus, "error");
      assert.match(String((await deliveries(refused.id))[0]?.Error), /ECONNREFUSED/);
      for (const id of [slow.id, refused.id]) assert.equal((await s.call("DeleteCompShareWebhook", { WebhookId: id })).body.RetCode, 0);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it("the loop delivers a new event without waiting for its timer", async () => {
    const live = await newReceiver();
    await create(live.url);
    s.app.events.webhooks.start();
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: instance });
    assert.equal(res.body.RetCode, 0);
    // The clock does not move: only the hub's wake-up can bring it.
    for (let i = 0; i < 200 && !live.delivered().some((e) => e.Kind === "operation.accepted"); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(live.delivered().some((e) => e.Kind === "operation.accepted" && e.Action === "RebootCompShareInstance"), JSON.stringify(live.received.map((r) => r.event.Kind)));
    await s.until(async () => (await s.state(instance)) === "Running");
  });

  it("backs off from 1 s, doubling, at most 5 min; signs as documented", () => {
    assert.deepEqual([1, 2, 3, 4, 9, 10, 11, 50].map(backoffMs), [1000, 2000, 4000, 8000, 256_000, 300_000, 300_000, 300_000]);
    const expected = "sha256=" + createHmac("sha256", "k").update("1700000000.{}").digest("hex");
    assert.equal(signWebhook("k", "1700000000", "{}"), expected);
  });

  it("refuses bad input with the parameter RetCodes", async () => {
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{}, 220, /Url/],
      [{ Url: "ftp://example.com/x" }, 230, /Url.*http and https/],
      [{ Url: "not a url" }, 230, /Url.*not a URL/],
      [{ Url: "https://user:pw@example.com/" }, 230, /Url.*user name/],
      [{ Url: "https://example.com/", "Kinds.0": "instance.exploded" }, 230, /Kinds/],
    ];
    for (const [params, retCode, message] of cases) {
      const res = await s.call("CreateCompShareWebhook", params);
      assert.equal(res.body.RetCode, retCode, JSON.stringify([params, res.body]));
      assert.match(String(res.body.Message), message);
    }
    assert.equal((await s.call("DeleteCompShareWebhook", { WebhookId: "nope" })).body.RetCode, 230);
    assert.equal((await s.call("DescribeCompShareWebhookDeliveries", {})).body.RetCode, 220);
  });
});
