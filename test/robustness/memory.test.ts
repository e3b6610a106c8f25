/**
 * Memory stays bounded under garbage: a few thousand hostile requests (random signed
 * parameters, raw bytes, bodies near and over the limit, clients that disconnect mid-body) do not
 * make the heap of the server (in this process) keep growing. The heap is measured after a full
 * GC, after a warm-up and after each round; the bound is generous: less than 64 MiB of growth.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { actions } from "@opencompshare/protocol";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { anyKey, anyNested, anyScalar, checkAnswer, keepAlive, NO_RATE_LIMIT, objectOf, raw, SEED, signedRequest, type Encoding, type RawRequest } from "./support.js";

const LIMIT = 64 * 1024;

/**
 * A full GC before each measurement, so that the numbers are live objects rather than garbage
 * not yet collected. Flags cannot be passed per test file; V8 lets a running process expose gc.
 */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}
const collect = exposeGc();
const MiB = 1024 * 1024;

type Garbage =
  | { kind: "signed"; action: string; params: Array<[string, unknown]>; encoding: Encoding }
  | { kind: "bytes"; body: Uint8Array; type: string }
  | { kind: "big"; size: number; encoding: Encoding }
  | { kind: "abort"; sent: number };

const garbage: fc.Arbitrary<Garbage> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("signed" as const), action: fc.constantFrom(...Object.keys(actions)), params: fc.array(fc.tuple(anyKey, fc.oneof(anyScalar, anyNested)), { maxLength: 8 }), encoding: fc.constantFrom<Encoding>("form", "get", "json-flat", "json-nested") }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("bytes" as const), body: fc.uint8Array({ maxLength: 2048 }), type: fc.constantFrom("application/x-www-form-urlencoded", "application/json", "text/plain", "") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("big" as const), size: fc.integer({ min: LIMIT / 2, max: LIMIT * 2 }), encoding: fc.constantFrom<Encoding>("form", "json-flat") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("abort" as const), sent: fc.integer({ min: 0, max: 500 }) }) },
);

describe("memory under garbage", () => {
  let s: TestServer;
  let port: number;
  before(async () => {
    s = await startServer({ env: { ...NO_RATE_LIMIT, OCS_BODY_LIMIT: String(LIMIT), OCS_LOG_LEVEL: "warn" } });
    port = Number(new URL(s.url).port);
  });
  after(async () => {
    keepAlive.destroy();
    await s.close();
  });

  /** A client that declares a body, sends part of it, and disconnects. */
  const abort = (sent: number) =>
    new Promise<void>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port }, () => {
        socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${LIMIT}\r\n\r\n${"a".repeat(sent)}`, () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on("error", () => resolve());
    });

  async function send(g: Garbage): Promise<void> {
    if (g.kind === "abort") return abort(g.sent);
    let req: RawRequest;
    let size: number;
    let action: string | undefined;
    if (g.kind === "bytes") {
      req = { headers: g.type ? { "Content-Type": g.type } : {}, body: Buffer.from(g.body) };
      size = g.body.length;
    } else {
      let signed;
      try {
        signed =
          g.kind === "big"
            ? signedRequest("DescribeCompShareInstance", { ...REGION, Padding: "p".repeat(g.size) }, s.keys, g.encoding)
            : signedRequest(g.action, objectOf(g.params.filter(([k]) => !["Action", "PublicKey", "Signature"].includes(k)) as never), s.keys, g.encoding);
      } catch {
        return;
      }
      req = signed.request;
      size = signed.size;
      action = size > LIMIT ? undefined : g.kind === "big" ? "DescribeCompShareInstance" : g.action;
    }
    const res = await raw(s.url, req, size > LIMIT ? false : keepAlive);
    checkAnswer(res, { action, oversized: size > LIMIT, input: g });
  }

  async function round(seed: number, count: number): Promise<void> {
    const batch = fc.sample(garbage, { seed, numRuns: count });
    // Eight clients at a time.
    for (let i = 0; i < batch.length; i += 8) await Promise.all(batch.slice(i, i + 8).map(send));
  }

  const heap = (): number => {
    collect?.();
    return process.memoryUsage().heapUsed;
  };

  it("4,000 garbage requests after a warm-up of 500: the heap grows by less than 64 MiB", async () => {
    await round(SEED, 500);
    const baseline = heap();
    const seen: number[] = [];
    for (let r = 1; r <= 4; r++) {
      await round(SEED + r, 1000);
      seen.push(heap());
    }
    const growth = Math.max(...seen) - baseline;
    const report = `baseline ${(baseline / MiB).toFixed(1)} MiB, after each round ${seen.map((h) => (h / MiB).toFixed(1)).join(", ")} MiB`;
    console.log(`# heap${collect ? " after GC" : ""}: ${report}`);
    assert.ok(growth < 64 * MiB, `the heap grew by ${(growth / MiB).toFixed(1)} MiB: ${report}`);
    const res = await s.call("DescribeCompShareInstance", REGION);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    assert.deepEqual(s.logs.filter((l) => l.includes('"internal error"') || l.includes("unhandled error")), []);
  });
});
