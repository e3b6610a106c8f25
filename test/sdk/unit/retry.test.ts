/**
 * The retry policy, against a local server that fails N times and then answers: which failures
 * are retried, how many times, and that a Create* is never retried.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  backoffDelay,
  CompShareClient,
  DEFAULT_RETRY,
  HttpError,
  InvalidResponseError,
  NetworkError,
  RetCodeError,
  type ClientConfig,
} from "@opencompshare/sdk";
import { ok, retCode, stubServer, type Reply, type StubServer } from "./stub-server.js";

const KEYS = { publicKey: "my_public_key", privateKey: "my_private_key" };
const DESCRIBE = "DescribeCompShareImages";

let stub: StubServer | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

/** A server that answers `failure` to the first `n` requests, then success. */
async function failing(n: number, failure: (action: string) => Reply) {
  stub = await stubServer((req, i) => {
    const action = req.params.Action ?? "";
    return i <= n ? failure(action) : ok(action, { ImageSet: [], TotalCount: 0, UHostIds: ["uhost-new"], CompShareImageId: "img" });
  });
  return stub;
}

const client = (s: StubServer, extra: Partial<ClientConfig> = {}) =>
  new CompShareClient({ ...KEYS, baseUrl: s.url, retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...extra });

const TRANSIENT: Array<[string, (action: string) => Reply]> = [
  ["HTTP 429", () => ({ status: 429, body: "slow down" })],
  ["HTTP 502", () => ({ status: 502, body: "bad gateway" })],
  ["HTTP 503", () => ({ status: 503, body: "" })],
  ["HTTP 504", () => ({ status: 504, body: "gateway timeout" })],
  ["RetCode 153", (a) => retCode(a, 153, "rate limited")],
  ["RetCode 8433", (a) => retCode(a, 8433, "ServiceError: the service is briefly unavailable (its database does not answer), request r; nothing was changed; try again")],
  ["a reset connection", () => "reset"],
];

describe("retries of an idempotent Action", () => {
  for (const [name, failure] of TRANSIENT) {
    it(`retries ${name} and returns the answer that finally came`, async () => {
      const s = await failing(2, failure);
      const res = await client(s).request(DESCRIBE, {});
      assert.equal(res.data.RetCode, 0);
      assert.equal(res.attempts, 3);
      assert.equal(s.requests.length, 3);
      // The very same signed request each time.
      assert.equal(new Set(s.requests.map((r) => r.body)).size, 1);
    });
  }

  it("makes three attempts by default, then gives up with the last error, typed", async () => {
    assert.equal(DEFAULT_RETRY.maxRetries, 2);
    let s = await failing(10, () => ({ status: 503, body: "unavailable" }));
    await assert.rejects(client(s).describeCompShareImages(), (e: unknown) => e instanceof HttpError && e.status === 503 && e.body === "unavailable");
    assert.equal(s.requests.length, 3);
    await s.close();

    s = await failing(10, (a) => retCode(a, 153, "rate limited", "req-153"));
    await assert.rejects(
      client(s).describeCompShareImages(),
      (e: unknown) => e instanceof RetCodeError && e.retCode === 153 && e.symbol === "RateLimited" && e.requestId === "req-153",
    );
    assert.equal(s.requests.length, 3);
    await s.close();

    s = await failing(10, () => "reset");
    await assert.rejects(client(s).describeCompShareImages(), (e: unknown) => e instanceof NetworkError && e.action === DESCRIBE);
    assert.equal(s.requests.length, 3);
  });

  it("maxRetries: 0 turns retries off, on the client or on one call; a call may ask for more", async () => {
    const s = await failing(100, () => ({ status: 503 }));
    await assert.rejects(client(s, { maxRetries: 0 }).describeCompShareImages(), HttpError);
    assert.equal(s.requests.length, 1);
    await assert.rejects(client(s).describeCompShareImages({}, { maxRetries: 0 }), HttpError);
    assert.equal(s.requests.length, 2);
    await assert.rejects(client(s).describeCompShareImages({}, { maxRetries: 4 }), HttpError);
    assert.equal(s.requests.length, 7);
  });

  const PERMANENT: Array<[string, (action: string) => Reply, (e: unknown) => boolean]> = [
    ["HTTP 500", () => ({ status: 500, body: "oops" }), (e) => e instanceof HttpError && e.status === 500],
    ["HTTP 400", () => ({ status: 400, body: "bad" }), (e) => e instanceof HttpError && e.status === 400],
    ["RetCode 8905", (a) => retCode(a, 8905, "InstanceStateInvalid: no"), (e) => e instanceof RetCodeError && e.retCode === 8905],
    ["RetCode 150", (a) => retCode(a, 150, "Service Unavailable"), (e) => e instanceof RetCodeError && e.retCode === 150],
    ["RetCode 226610", (a) => retCode(a, 226610, "locked"), (e) => e instanceof RetCodeError && e.symbol === "InstanceOperationInProgress"],
    ["a body that is not JSON", () => ({ body: "<html>" }), (e) => e instanceof InvalidResponseError],
  ];
  for (const [name, failure, check] of PERMANENT) {
    it(`does not retry ${name}`, async () => {
      const s = await failing(1, failure);
      await assert.rejects(client(s, { maxRetries: 5 }).describeCompShareImages(), check);
      assert.equal(s.requests.length, 1);
    });
  }
});

describe("Create is never retried", () => {
  const CREATES: Array<[string, (c: CompShareClient) => Promise<unknown>]> = [
    [
      "CreateCompShareInstance",
      (c) => c.createCompShareInstance({ CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204" }),
    ],
    ["CreateCompShareCustomImage", (c) => c.createCompShareCustomImage({ UHostId: "uhost-a", Name: "snap" })],
  ];
  for (const [action, create] of CREATES) {
    for (const [name, failure] of TRANSIENT) {
      it(`${action} after ${name}: one attempt, the error surfaces`, async () => {
        const s = await failing(1, failure);
        await assert.rejects(create(client(s, { maxRetries: 5 })), (e: unknown) => e instanceof HttpError || e instanceof RetCodeError || e instanceof NetworkError);
        assert.equal(s.requests.length, 1, "a resend could create a second one");
        assert.equal(s.requests[0]?.params.Action, action);
      });
    }
  }

  it("an Action outside the contract is retried only when its name says it reads", async () => {
    let s = await failing(1, () => ({ status: 503 }));
    await client(s).invoke("DescribeCompShareTeams", {});
    assert.equal(s.requests.length, 2);
    await s.close();
    s = await failing(1, () => ({ status: 503 }));
    await assert.rejects(client(s).invoke("AllocateCompShareThing", {}), HttpError);
    assert.equal(s.requests.length, 1);
  });
});

describe("backoff: exponential with full jitter", () => {
  const policy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };

  it("draws between 0 and a cap that doubles each retry up to the maximum", () => {
    assert.equal(backoffDelay(0, policy, () => 0), 0);
    assert.equal(backoffDelay(0, policy, () => 0.999), 99);
    assert.equal(backoffDelay(1, policy, () => 0.999), 199);
    assert.equal(backoffDelay(2, policy, () => 0.999), 399);
    assert.equal(backoffDelay(3, policy, () => 0.999), 799);
    assert.equal(backoffDelay(4, policy, () => 0.999), 999);
    assert.equal(backoffDelay(10, policy, () => 0.999), 999);
    assert.equal(backoffDelay(2, policy, () => 0.5), 200);
  });

  it("waits at least the server's Retry-After, bounded by the maximum", () => {
    assert.equal(backoffDelay(0, policy, () => 0, 300), 300);
    assert.equal(backoffDelay(0, policy, () => 0, 60_000), 1000);
    assert.equal(backoffDelay(3, policy, () => 0.999, 10), 799);
  });

  it("reads Retry-After from a 429 or 503 into the HttpError", async () => {
    const s = await failing(1, () => ({ status: 429, headers: { "Retry-After": "0" } }));
    await assert.rejects(client(s, { maxRetries: 0 }).describeCompShareImages(), (e: unknown) => e instanceof HttpError && e.retryAfterMs === 0);
  });
});
