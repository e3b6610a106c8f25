/**
 * Shared pieces of the robustness tests: a raw HTTP client with full control of bytes and
 * headers, the check every API answer must pass, and fast-check arbitraries for hostile input.
 */
import assert from "node:assert/strict";
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import fc from "fast-check";
import { flatten, sign, type NestedValue, type WireParams } from "@opencompshare/protocol";
import type { Keys } from "../helpers/client.js";

/** One seed for every property, so a run is reproducible; OCS_FC_SEED replays another. */
export const SEED = Number(process.env.OCS_FC_SEED ?? 20261126);

/** fast-check parameters: a fixed seed, a bounded number of runs, and a bounded shrink. */
export const fcParams = <T>(numRuns: number): fc.Parameters<T> => ({ seed: SEED, numRuns, verbose: 1 });

/**
 * These tests are about input, not rates: thousands of requests from one account on a
 * ManualClock, whose token bucket would never refill. The rate limit is off for their servers.
 */
export const NO_RATE_LIMIT = { OCS_RATE_LIMIT_RPS: "0" };

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What no request may ever produce. */
export const INTERNAL_ERROR = 8433;
/** Refusals that a correctly signed request for a real Action must never get. */
export const AUTH_REFUSALS = new Set([160, 161, 170, 171, 172]);

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON, or undefined when the answer is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Chunked transfer encoding instead of Content-Length. */
  chunked?: boolean;
}

/** Keep-alive connections for the many small requests of a property. */
export const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One request with exact bytes. The server may answer (413) and close before the whole body is
 * written: an answer that arrived counts, a write error after it is ignored.
 */
export function raw(baseUrl: string, req: RawRequest, agent: Agent | false = keepAlive): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, "utf8");
  const headers: Record<string, string> = { ...req.headers };
  if (body && !req.chunked) headers["Content-Length"] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const r = httpRequest({ host: url.hostname, port: url.port, path: req.path ?? "/", method: req.method ?? "POST", headers, agent }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: Record<string, unknown> | undefined;
        try {
          const parsed: unknown = JSON.parse(text);
          if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on("error", reject);
    });
    r.on("error", (error) => {
      if (!answered) reject(error);
    });
    if (body && req.chunked) {
      for (let i = 0; i < body.length; i += 4096) r.write(body.subarray(i, i + 4096));
    } else if (body) {
      r.write(body);
    }
    r.end();
  });
}

export interface Expect {
  /** The Action the envelope must name (`<Action>Response`); undefined: any `…Response`. */
  action?: string | undefined;
  /** The body is over the limit: HTTP 413 (RetCode 230) instead of 200. */
  oversized?: boolean;
  /** Context printed when an assertion fails (the input). */
  input?: unknown;
}

/**
 * What every answer of the API must be: HTTP 200 (413 for a body over the limit), never 5xx,
 * the request id header, a JSON envelope `<Action>Response` with a numeric RetCode, and
 * never RetCode 8433. Returns the RetCode.
 */
export function checkAnswer(res: RawAnswer, expect: Expect = {}): number {
  const context = `HTTP ${res.status} ${res.text.slice(0, 500)}\ninput: ${describeInput(expect.input)}`;
  assert.ok(res.status < 500, `a 5xx answer\n${context}`);
  assert.equal(res.status, expect.oversized ? 413 : 200, context);
  assert.match(String(res.headers["x-ucloud-request-uuid"] ?? ""), UUID, `no request id header\n${context}`);
  assert.ok(res.json, `not a JSON envelope\n${context}`);
  const retCode = res.json.RetCode;
  assert.equal(typeof retCode, "number", context);
  assert.ok(Number.isInteger(retCode), context);
  assert.equal(typeof res.json.Action, "string", context);
  if (expect.action !== undefined) assert.equal(res.json.Action, `${expect.action}Response`, context);
  else assert.match(res.json.Action as string, /Response$/, context);
  assert.notEqual(retCode, INTERNAL_ERROR, `an internal error (8433)\n${context}`);
  if (retCode !== 0) assert.equal(typeof res.json.Message, "string", context);
  if (expect.oversized) assert.equal(retCode, 230, context);
  return retCode as number;
}

function describeInput(input: unknown): string {
  if (input === undefined) return "-";
  if (Buffer.isBuffer(input)) return `<${input.length} bytes> ${JSON.stringify(input.subarray(0, 400).toString("latin1"))}`;
  try {
    const s = JSON.stringify(input, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
    return s.length > 1500 ? `${s.slice(0, 1500)}…` : s;
  } catch {
    return String(input);
  }
}

/** `k=v&…` as the official SDKs send a form (percent-encoded UTF-8). */
export function formOf(params: WireParams): string {
  return new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, v === null ? "" : String(v)])).toString();
}

/** Object.fromEntries keeps a key named `__proto__` as an own property (a literal assignment would not). */
export const objectOf = (entries: Array<[string, NestedValue]>): Record<string, NestedValue> => Object.fromEntries(entries) as Record<string, NestedValue>;

export type Encoding = "form" | "get" | "json-flat" | "json-nested";

export interface SignedRequest {
  request: RawRequest;
  /** Bytes of the body, for the 413 decision. */
  size: number;
}

/**
 * A signed request of `params` (nested values) in one encoding, signed exactly as the official
 * SDKs sign: over the flattened keys, with the spelling of `spellValue`.
 */
export function signedRequest(action: string, params: Record<string, NestedValue>, keys: Keys, encoding: Encoding): SignedRequest {
  const all = objectOf([["Action", action], ...Object.entries(params), ["PublicKey", keys.PublicKey]]);
  const flat = flatten(all);
  const signature = sign(flat, keys.PrivateKey);
  if (encoding === "json-nested") {
    const body = JSON.stringify(objectOf([...Object.entries(all), ["Signature", signature]]));
    return { request: { headers: { "Content-Type": "application/json" }, body }, size: Buffer.byteLength(body) };
  }
  if (encoding === "json-flat") {
    const body = JSON.stringify({ ...flat, Signature: signature });
    return { request: { headers: { "Content-Type": "application/json" }, body }, size: Buffer.byteLength(body) };
  }
  // A form carries strings: sign the strings it carries (String(1e21) is "1e+21", not the JSON spelling).
  const strings: WireParams = {};
  for (const [k, v] of Object.entries(flat)) strings[k] = v === null ? "" : String(v);
  const form = formOf({ ...strings, Signature: sign(strings, keys.PrivateKey) });
  // A URL beyond Node's header limit (16 KiB) is refused by the HTTP layer, not the API: send those as a form.
  if (encoding === "get" && form.length < 8000) return { request: { method: "GET", path: `/?${form}` }, size: 0 };
  return { request: { headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form }, size: Buffer.byteLength(form) };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Strings that have hurt parsers before: empty, NUL, escapes, numbers in disguise, huge ones. */
export const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "%",
  "%zz",
  "%00",
  "+",
  "&",
  "=",
  "&=&",
  ".",
  "..",
  "0",
  "-1",
  "-0",
  "00",
  "1.0",
  "1e3",
  "1e309",
  "-1e309",
  "0x10",
  " 5 ",
  "NaN",
  "Infinity",
  "9007199254740993",
  "99999999999999999999999",
  "true",
  "TRUE",
  "false",
  "null",
  "undefined",
  "[]",
  "{}",
  '{"a":1}',
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "\ufeff",
  "\ufffd",
  "\uffff",
  "😀",
  "𝕏𝕐",
  "\u202e",
  "e\u0301",
  "\r\n",
  "\t",
  "'; DROP TABLE instances; --",
  "%' OR 1=1 --",
  "\\",
  '"',
  "x".repeat(65),
  "y".repeat(129),
  "z".repeat(5000),
];

/** Any string of valid Unicode (no lone surrogates: those cannot travel unchanged in UTF-8). */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
);

/** Numbers at and beyond every edge. */
export const anyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -2, max: 2000 }),
  fc.constantFrom(0, -0, -1, 1, 0.5, -0.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e21, 1e308, -1e308, Number.MIN_VALUE, Number.EPSILON),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A scalar as JSON can carry it. */
export const anyScalar: fc.Arbitrary<string | number | boolean | null> = fc.oneof(
  { weight: 4, arbitrary: anyString },
  { weight: 3, arbitrary: anyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** Keys of the wire: plain, flattened, with gaps, negative, huge, leading zeros, empty segments, too deep. */
export const anyKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("UHostIds", "Disks", "Softwares", "Application", "x", "Limit", "Region", "__proto__", "constructor"),
        fc.array(
          fc.oneof(
            fc.nat(3).map(String),
            fc.constantFrom("-1", "01", "1e3", "999", "1000", "4294967296", "99999999999999999999", "", " ", "Size", "IsBoot", "__proto__", "length"),
          ),
          { minLength: 1, maxLength: 10 },
        ),
      )
      .map(([head, rest]) => [head, ...rest].join(".")),
  },
);

/** A member name of a nested JSON object: no dots, so that flattening it cannot collide with another key. */
const memberName = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "0", "1", "Size", "IsBoot")).map((k) => k.replaceAll(".", "_"));

/** A value of any shape for a nested JSON body, bounded in size and in depth (4). */
export const anyNested: fc.Arbitrary<NestedValue> = fc.letrec<{ v: NestedValue }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 4, withCrossShrink: true },
    anyScalar,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.array(fc.tuple(memberName, tie("v")), { maxLength: 4 }).map((entries) => objectOf(entries)),
  ),
})).v;
