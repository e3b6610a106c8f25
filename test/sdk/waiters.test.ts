/**
 * The waiters' outcomes against a real server on a ManualClock: the waiter's sleep moves the
 * server's clock, so boots and image builds happen without waiting in real time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { armFault, settle } from "@opencompshare/server/testing";
import {
  CompShareClient,
  RetCodeError,
  waitUntilImageAvailable,
  waitUntilInstanceGone,
  waitUntilInstanceState,
  type InstanceWaiterOptions,
  type Poll,
} from "@opencompshare/sdk";
import { startServer, type TestServer } from "../helpers/server.js";
import { retCode, stubServer } from "./unit/stub-server.js";

const CREATE = { CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204" };

describe("waiters against the server", () => {
  let s: TestServer;
  let client: CompShareClient;
  /** The waiter's time is the server's: sleeping advances the ManualClock. */
  let virtual: Pick<InstanceWaiterOptions, "now" | "sleep" | "mode">;
  before(async () => {
    s = await startServer();
    client = new CompShareClient({ publicKey: s.keys.PublicKey, privateKey: s.keys.PrivateKey, baseUrl: s.url, validateResponses: true });
    virtual = {
      // These are the poll waiters (test/sdk/waiters-events.test.ts has the listening ones): a sleep
      // that only moves the clock would let an event waiter race ahead of the server's work.
      mode: "poll",
      now: () => s.clock.now(),
      sleep: async (ms) => {
        await settle();
        await s.clock.advance(ms);
      },
    };
  });
  after(() => s.close());

  const create = async () => (await client.createCompShareInstance(CREATE)).UHostIds[0] as string;

  it("success: a new instance reaches Running; every poll is reported", async () => {
    const id = await create();
    const polls: Poll[] = [];
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Running", timeoutMs: 120_000, intervalMs: 500, onPoll: (p) => polls.push(p), ...virtual });
    assert.equal(r.outcome, "success");
    assert.equal(r.lastState, "Running");
    assert.equal(r.resource?.UHostId, id);
    assert.equal(r.resource?.State, "Running");
    assert.equal(polls[0]?.state, "Initializing");
    assert.equal(polls.at(-1)?.state, "Running");
    assert.equal(r.polls, polls.length);
  });

  it("failure: the instance lands in Install Fail", async () => {
    await armFault(s.app.store.db, { method: "provision", mode: "fail" });
    const id = await create();
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Running", timeoutMs: 120_000, intervalMs: 500, ...virtual });
    assert.equal(r.outcome, "failure");
    assert.ok(r.outcome === "failure" && r.reason === "install-failed");
    assert.equal(r.lastState, "Install Fail");
    assert.match(r.message, /Install Fail/);
  });

  it("failure: the instance is gone (unknown id)", async () => {
    const r = await waitUntilInstanceState(client, { UHostId: "uhost-000000000000", State: "Running", timeoutMs: 60_000, ...virtual });
    assert.ok(r.outcome === "failure" && r.reason === "gone");
    assert.equal(r.polls, 1);
    assert.equal(r.lastState, undefined);
  });

  it("failure: the instance disappears while waited for, with the last state seen", async () => {
    const id = await create();
    assert.equal((await waitUntilInstanceState(client, { UHostId: id, State: "Running", intervalMs: 500, ...virtual })).outcome, "success");
    await s.stop(id);
    await client.terminateCompShareInstance({ UHostId: id });
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Rebooting", timeoutMs: 600_000, intervalMs: 250, ...virtual });
    assert.ok(r.outcome === "failure" && r.reason === "gone");
    assert.ok(r.lastState !== undefined, "it was seen before it went");
  });

  it("timeout: reports the last state seen", async () => {
    const id = await create();
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Stopped", timeoutMs: 30_000, intervalMs: 1000, ...virtual });
    assert.equal(r.outcome, "timeout");
    assert.equal(r.lastState, "Running");
    assert.ok(r.elapsedMs >= 30_000);
    assert.match(r.message, /still "Running" after 30000 ms/);
  });

  it("waitUntilInstanceGone: success once a terminated instance is released", async () => {
    const id = await create();
    await waitUntilInstanceState(client, { UHostId: id, State: "Running", intervalMs: 500, ...virtual });
    await s.stop(id);
    await client.terminateCompShareInstance({ UHostId: id });
    const r = await waitUntilInstanceGone(client, { UHostId: id, timeoutMs: 600_000, intervalMs: 500, ...virtual });
    assert.equal(r.outcome, "success");
    assert.equal((await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet.length, 0);
  });

  it("waitUntilImageAvailable: success when the image is made; failure when making it fails", async () => {
    const id = await create();
    await waitUntilInstanceState(client, { UHostId: id, State: "Running", intervalMs: 500, ...virtual });
    const { CompShareImageId } = await client.createCompShareCustomImage({ UHostId: id, Name: "snap" });
    const made = await waitUntilImageAvailable(client, { CompShareImageId, timeoutMs: 600_000, intervalMs: 2000, ...virtual });
    assert.equal(made.outcome, "success");
    assert.equal(made.resource?.Status, "Available");

    await armFault(s.app.store.db, { method: "buildImage", mode: "fail" });
    const broken = await client.createCompShareCustomImage({ UHostId: id, Name: "broken" });
    const r = await waitUntilImageAvailable(client, { CompShareImageId: broken.CompShareImageId, timeoutMs: 600_000, intervalMs: 2000, ...virtual });
    assert.ok(r.outcome === "failure" && r.reason === "image-failed", JSON.stringify(r));
    assert.equal(r.lastState, "UnAvailable");
  });

  it("rejects on an error that is not an outcome (a bad signature), and on abort", async () => {
    const id = await create();
    const wrong = new CompShareClient({ publicKey: s.keys.PublicKey, privateKey: "wrong", baseUrl: s.url });
    await assert.rejects(waitUntilInstanceState(wrong, { UHostId: id, State: "Running", ...virtual }), (e: unknown) => e instanceof RetCodeError && e.retCode === 171);

    const controller = new AbortController();
    const waiting = waitUntilInstanceState(client, {
      UHostId: id,
      State: "Stopped",
      intervalMs: 60_000,
      signal: controller.signal,
      onPoll: () => controller.abort(new Error("no longer interested")),
    });
    await assert.rejects(waiting, /no longer interested/);
  });
});

describe("waiters against a stub", () => {
  it("poll with UHostIds.0, and count RetCode 8039 as gone", async () => {
    const stub = await stubServer((req) => retCode(req.params.Action ?? "", 8039, "InstanceNotFound: instance uhost-a does not exist"));
    try {
      const client = new CompShareClient({ publicKey: "p", privateKey: "k", baseUrl: stub.url });
      const r = await waitUntilInstanceState(client, { UHostId: "uhost-a", State: "Running" });
      assert.ok(r.outcome === "failure" && r.reason === "gone");
      // The waiter asks for the event stream first (mode "auto"); the stub's answer is no stream, so it polls.
      const describe = stub.requests.find((r) => r.params.Action !== undefined);
      assert.equal(describe?.params["UHostIds.0"], "uhost-a");
      assert.equal(describe?.params.Action, "DescribeCompShareInstance");
      assert.equal((await waitUntilInstanceGone(client, { UHostId: "uhost-a" })).outcome, "success");
    } finally {
      await stub.close();
    }
  });
});
