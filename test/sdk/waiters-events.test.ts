/**
 * The instance waiters in `events` and `auto` mode against a real server on a ManualClock: they
 * listen to the event stream (filtered to the instance) instead of polling Describe, fall back
 * to polling when the stream is refused or drops, time out as the poll waiter does, and always
 * close their stream. Describe calls are counted by wrapping the client's fetch; nothing asserts
 * on durations.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { settle } from "@opencompshare/server/testing";
import { CompShareClient, HttpError, NetworkError, RetCodeError, waitUntilInstanceGone, waitUntilInstanceState, type WaiterOptions } from "@opencompshare/sdk";
import { startServer, type TestServer } from "../helpers/server.js";
import { read } from "../events/helpers.js";

const CREATE = { CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204" };

describe("waiters that listen to events", () => {
  let s: TestServer;
  /** Describe calls made through `client`, and streams it opened. */
  const counts = { describe: 0, streams: 0 };
  /** When set, GET /events answers this instead of reaching the server (an endpoint that is not there). */
  let refuseStreams: number | undefined;
  /** When set, GET /events opens and never says anything. */
  let silentStreams = false;
  let client: CompShareClient;
  /**
   * The waiter's time is the server's: a sleep moves the ManualClock, then lets the server's
   * event reader run (on SQLite it polls every 100 ms of real time) so that the events it wrote
   * reach the stream before the next step. The real pause only paces the steps.
   */
  let virtual: Pick<WaiterOptions, "now" | "sleep">;
  before(async () => {
    s = await startServer({ env: { OCS_SIM_BOOT_MS: "3000" } });
    const counting: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (new URL(url).pathname === "/events") {
        counts.streams++;
        if (refuseStreams !== undefined) return new Response("Not Found", { status: refuseStreams });
        if (silentStreams) {
          const body = new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(new TextEncoder().encode(": silent\n\n"));
              init?.signal?.addEventListener("abort", () => c.error(new DOMException("aborted", "AbortError")), { once: true });
            },
          });
          return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
        }
      } else if (typeof init?.body === "string" && /(^|&)Action=DescribeCompShareInstance(&|$)/.test(init.body)) counts.describe++;
      return fetch(input, init);
    };
    client = new CompShareClient({ publicKey: s.keys.PublicKey, privateKey: s.keys.PrivateKey, baseUrl: s.url, fetch: counting, maxRetries: 0 });
    virtual = {
      now: () => s.clock.now(),
      sleep: async (ms) => {
        await settle();
        await s.clock.advance(ms);
        s.app.events.hub.wake();
        await new Promise((r) => setTimeout(r, 30));
      },
    };
  });
  after(() => s.close());

  const reset = () => {
    counts.describe = 0;
    counts.streams = 0;
    refuseStreams = undefined;
    silentStreams = false;
  };
  const running = async () => {
    const id = (await client.createCompShareInstance(CREATE)).UHostIds[0] as string;
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Running", mode: "poll", intervalMs: 500, timeoutMs: 120_000, ...virtual });
    assert.equal(r.outcome, "success");
    return id;
  };
  /** Streams still open on the server, once the waiter's has had a moment to close. */
  const openStreams = async () => {
    for (let i = 0; i < 100 && s.app.events.streams.open > 0; i++) await new Promise((r) => setTimeout(r, 10));
    return s.app.events.streams.open;
  };

  it("events: resolves on Running after a reboot with far fewer Describe calls than polling", async () => {
    const id = await running();

    reset();
    await client.rebootCompShareInstance({ UHostId: id });
    const polled = await waitUntilInstanceState(client, { UHostId: id, State: "Running", mode: "poll", intervalMs: 250, timeoutMs: 120_000, ...virtual });
    assert.equal(polled.outcome, "success");
    const byPolling = counts.describe;
    assert.equal(counts.streams, 0, "poll mode opens no stream");

    reset();
    await client.rebootCompShareInstance({ UHostId: id });
    const states: Array<string | undefined> = [];
    const r = await waitUntilInstanceState(client, {
      UHostId: id,
      State: "Running",
      mode: "events",
      intervalMs: 250,
      timeoutMs: 120_000,
      onPoll: (p) => states.push(p.state),
      ...virtual,
    });
    assert.equal(r.outcome, "success", r.message);
    assert.equal(r.resource?.State, "Running");
    assert.equal(r.resource?.UHostId, id);
    assert.equal(counts.streams, 1);
    // One Describe once the stream is open (Rebooting), one for the description at the end.
    assert.deepEqual(states, ["Rebooting", "Running"]);
    assert.equal(counts.describe, 2);
    assert.equal(r.polls, 2);
    assert.ok(byPolling >= 3 * counts.describe, `polling took ${byPolling} Describes, events ${counts.describe}`);
    assert.equal(await openStreams(), 0, "the stream is closed");
  });

  it("events: the target already reached is seen by the first Describe, after the stream opened", async () => {
    const id = await running();
    reset();
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Running", mode: "events", ...virtual });
    assert.equal(r.outcome, "success");
    assert.equal(counts.describe, 1);
    assert.equal(counts.streams, 1);
    assert.equal(await openStreams(), 0);
  });

  it("events: a timeout is an outcome with a clear message, and the stream is closed", async () => {
    const id = await running();
    reset();
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Stopped", mode: "events", timeoutMs: 30_000, intervalMs: 1000, ...virtual });
    assert.equal(r.outcome, "timeout");
    assert.equal(r.lastState, "Running");
    assert.ok(r.elapsedMs >= 30_000);
    assert.match(r.message, /still "Running" after 30000 ms/);
    assert.equal(counts.describe, 2, "events mode does not poll while it waits: one Describe at the start, one at the deadline");
    assert.equal(await openStreams(), 0);
  });

  it("events: a refused stream rejects with the refusal", async () => {
    const id = await running();
    reset();
    refuseStreams = 404;
    await assert.rejects(
      waitUntilInstanceState(client, { UHostId: id, State: "Running", mode: "events", ...virtual }),
      (e: unknown) => e instanceof HttpError && e.status === 404,
    );
    assert.equal(counts.describe, 0);
  });

  it("events: a stream that drops mid-wait rejects with a NetworkError", async () => {
    const id = await running();
    reset();
    await assert.rejects(
      waitUntilInstanceState(client, {
        UHostId: id,
        State: "Stopped",
        mode: "events",
        intervalMs: 1000,
        ...virtual,
        sleep: async (ms, signal) => {
          s.app.events.streams.closeAll();
          await virtual.sleep?.(ms, signal);
        },
      }),
      (e: unknown) => e instanceof NetworkError && /dropped/.test(e.message),
    );
    assert.equal(counts.describe, 1);
  });

  it("auto: falls back to polling when the events endpoint is refused (404), transparently", async () => {
    const id = await running();
    reset();
    refuseStreams = 404;
    await client.rebootCompShareInstance({ UHostId: id });
    const fallbacks: unknown[] = [];
    const r = await waitUntilInstanceState(client, { UHostId: id, State: "Running", intervalMs: 250, timeoutMs: 120_000, onFallback: (e) => fallbacks.push(e), ...virtual });
    assert.equal(r.outcome, "success", r.message);
    assert.equal(r.resource?.State, "Running");
    assert.equal(fallbacks.length, 1);
    assert.ok(fallbacks[0] instanceof HttpError && fallbacks[0].status === 404);
    assert.equal(counts.streams, 1, "it does not ask again");
    assert.ok(counts.describe >= 3, `it polled: ${counts.describe}`);
  });

  it("auto: falls back to polling when the server refuses the stream (too many streams of the account)", async () => {
    const id = await running();
    reset();
    const readers = Array.from({ length: 32 }, () => read(client, { now: () => s.clock.now() }));
    try {
      await Promise.all(readers.map((r) => r.until(() => true)));
      assert.equal(s.app.events.streams.open, 32);
      reset();
      await client.rebootCompShareInstance({ UHostId: id });
      const fallbacks: unknown[] = [];
      const r = await waitUntilInstanceState(client, { UHostId: id, State: "Running", intervalMs: 250, timeoutMs: 120_000, onFallback: (e) => fallbacks.push(e), ...virtual });
      assert.equal(r.outcome, "success", r.message);
      assert.ok(fallbacks[0] instanceof RetCodeError && fallbacks[0].retCode === 153, String(fallbacks[0]));
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });

  it("auto: falls back to polling when the stream drops mid-wait", async () => {
    const id = await running();
    reset();
    await client.rebootCompShareInstance({ UHostId: id });
    const fallbacks: unknown[] = [];
    let dropped = false;
    const r = await waitUntilInstanceState(client, {
      UHostId: id,
      State: "Running",
      intervalMs: 250,
      timeoutMs: 120_000,
      onFallback: (e) => fallbacks.push(e),
      ...virtual,
      // The first step of the wait ends every stream on the server, as a restart would.
      sleep: async (ms, signal) => {
        if (!dropped && s.app.events.streams.open > 0) {
          dropped = true;
          s.app.events.streams.closeAll();
        }
        await virtual.sleep?.(ms, signal);
      },
    });
    assert.ok(dropped);
    assert.equal(r.outcome, "success", r.message);
    assert.equal(fallbacks.length, 1);
    assert.ok(counts.describe >= 3, `it polled after the drop: ${counts.describe}`);
  });

  it("auto: a slow safety poll settles the wait when no event comes", async () => {
    const id = await running();
    reset();
    // The stream opens and stays silent (a proxy that swallows it, say): only a Describe can see the change.
    silentStreams = true;
    await client.rebootCompShareInstance({ UHostId: id });
    const seen: Array<string | undefined> = [];
    const r = await waitUntilInstanceState(client, {
      UHostId: id,
      State: "Running",
      intervalMs: 1000,
      safetyPollMs: 10_000,
      timeoutMs: 120_000,
      onPoll: (p) => seen.push(p.state),
      ...virtual,
    });
    assert.equal(r.outcome, "success", r.message);
    assert.equal(seen[0], "Rebooting", "the first Describe, once the stream was open");
    assert.equal(seen.at(-1), "Running");
    // A Describe every 10 s of the wait's clock, not one a second.
    assert.ok(r.polls <= 1 + Math.ceil(r.elapsedMs / 10_000), `${r.polls} polls in ${r.elapsedMs} ms`);
  });

  it("waitUntilInstanceGone in events mode: success on instance.released; a client without events() polls", async () => {
    const id = await running();
    await s.stop(id);
    reset();
    await client.terminateCompShareInstance({ UHostId: id });
    const r = await waitUntilInstanceGone(client, { UHostId: id, mode: "events", intervalMs: 500, timeoutMs: 600_000, ...virtual });
    assert.equal(r.outcome, "success", r.message);
    assert.equal(counts.streams, 1);
    assert.ok(counts.describe <= 2, `${counts.describe}`);

    const other = await running();
    reset();
    const describesOnly = { describeCompShareInstance: client.describeCompShareInstance.bind(client) };
    const auto = await waitUntilInstanceState(describesOnly, { UHostId: other, State: "Running", ...virtual });
    assert.equal(auto.outcome, "success");
    assert.equal(counts.streams, 0);
    await assert.rejects(waitUntilInstanceState(describesOnly, { UHostId: other, State: "Running", mode: "events", ...virtual }), TypeError);
  });

  it("an abort rejects with its reason and closes the stream", async () => {
    const id = await running();
    reset();
    const controller = new AbortController();
    const waiting = waitUntilInstanceState(client, { UHostId: id, State: "Stopped", mode: "events", signal: controller.signal, timeoutMs: 600_000, intervalMs: 1000, ...virtual });
    for (let i = 0; i < 200 && counts.describe === 0; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error("enough"));
    await assert.rejects(waiting, /enough/);
    assert.equal(await openStreams(), 0);
  });
});
