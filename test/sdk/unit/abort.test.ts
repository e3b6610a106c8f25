/** Per-call timeouts and AbortSignal: a call ends when told to, however far it has come. */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { CompShareClient, HttpError, NetworkError, TimeoutError } from "@opencompshare/sdk";
import { stubServer, type Reply, type StubServer } from "./stub-server.js";

const KEYS = { publicKey: "my_public_key", privateKey: "my_private_key" };

let stub: StubServer | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function serve(reply: (n: number) => Reply): Promise<StubServer> {
  stub = await stubServer((_req, n) => reply(n));
  return stub;
}

describe("timeouts", () => {
  it("a call's timeoutMs ends a call the server never answers: TimeoutError, a NetworkError", async () => {
    const s = await serve(() => "hang");
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url });
    await assert.rejects(client.describeCompShareImages({}, { timeoutMs: 400 }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.ok(e instanceof NetworkError);
      assert.equal(e.timeoutMs, 400);
      assert.equal(e.action, "DescribeCompShareImages");
      return true;
    });
    // On a loaded machine the deadline may pass before the stub has even read the request: at most one, never a retry.
    assert.ok(s.requests.length <= 1, `a timed-out attempt is not retried: the deadline is the call's (${s.requests.length} requests)`);
  });

  it("the client's timeoutMs is the default of every call", async () => {
    const s = await serve(() => "hang");
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url, timeoutMs: 80 });
    await assert.rejects(client.rebootCompShareInstance({ UHostId: "uhost-a" }), (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 80);
  });

  it("the deadline covers the retries and the waits between them; the last error is the cause", async () => {
    const s = await serve(() => ({ status: 503, body: "busy" }));
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url, maxRetries: 100, retryBaseDelayMs: 30_000, retryMaxDelayMs: 60_000 });
    await assert.rejects(client.describeCompShareImages({}, { timeoutMs: 150 }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.ok(e.cause instanceof HttpError);
      assert.equal(e.cause.status, 503);
      return true;
    });
    assert.ok(s.requests.length < 100);
  });
});

describe("AbortSignal", () => {
  it("aborts a request in flight with the signal's reason", async () => {
    const controller = new AbortController();
    const s = await serve(() => {
      controller.abort(new Error("user pressed ^C"));
      return "hang";
    });
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url });
    await assert.rejects(client.describeCompShareInstance({}, { signal: controller.signal }), /user pressed \^C/);
    assert.equal(s.requests.length, 1);
  });

  it("rejects with an AbortError when aborted without a reason", async () => {
    const controller = new AbortController();
    const s = await serve(() => {
      controller.abort();
      return "hang";
    });
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url });
    await assert.rejects(client.stopCompShareInstance({ UHostId: "uhost-a" }, { signal: controller.signal }), { name: "AbortError" });
  });

  it("sends nothing when the signal is already aborted", async () => {
    const s = await serve(() => ({ body: { RetCode: 0 } }));
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url });
    await assert.rejects(client.describeCompShareImages({}, { signal: AbortSignal.abort(new Error("too late")) }), /too late/);
    assert.equal(s.requests.length, 0);
  });

  it("aborts the wait between two attempts", async () => {
    const controller = new AbortController();
    const s = await serve(() => {
      setTimeout(() => controller.abort(new Error("stop retrying")), 30);
      return { status: 503 };
    });
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url, maxRetries: 5, retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 });
    // The jittered wait may be short, so a few attempts can happen; the abort still ends the call with its reason.
    await assert.rejects(client.describeCompShareImages({}, { signal: controller.signal }), /stop retrying/);
  });

  it("the signal's listener is removed once a call ends", async () => {
    const s = await serve(() => ({ body: { Action: "DescribeCompShareImagesResponse", RetCode: 0, ImageSet: [], TotalCount: 0 } }));
    const client = new CompShareClient({ ...KEYS, baseUrl: s.url });
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await client.describeCompShareImages({}, { signal: controller.signal });
    // Aborting afterwards affects nothing.
    controller.abort();
    assert.equal(s.requests.length, 20);
  });
});
