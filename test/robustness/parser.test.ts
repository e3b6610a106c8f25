/**
 * The wire parser, property-based: random keys and value types, flattened indexes with gaps,
 * huge or negative values, duplicate keys, unicode and invalid UTF-8 (raw bytes in form bodies
 * and JSON), deep JSON nesting, wrong content types and bodies over the limit. Every answer is an
 * envelope with a numeric RetCode and the request id, HTTP 200 (413 over the limit), never 8433.
 * The pure parts (unflatten, the schema) are checked directly too: they refuse, never throw
 * anything else.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import {
  actions,
  MAX_KEY_DEPTH,
  MAX_LIST_INDEX,
  parseWith,
  sign,
  unflatten,
  UnflattenError,
  type ActionContract,
  type WireParams,
} from "@opencompshare/protocol";
import type { Keys } from "../helpers/client.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { anyKey, anyNested, anyScalar, anyString, checkAnswer, fcParams, formOf, keepAlive, NO_RATE_LIMIT, objectOf, raw, signedRequest, type Encoding, type RawRequest } from "./support.js";

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

/** Adds PublicKey and the Signature over exactly these flat string parameters. */
function signFlat(params: Record<string, string>, keys: Keys): Record<string, string> {
  const flat: Record<string, string> = { ...params, PublicKey: keys.PublicKey };
  return { ...flat, Signature: sign(flat, keys.PrivateKey) };
}

/** Percent-encodes every byte: any byte sequence, valid UTF-8 or not, in a form or a query. */
const percent = (bytes: Uint8Array): string => [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

/** A UTF-16 string that may hold lone surrogates (JSON can spell them: "\ud800"). */
const loneSurrogates = fc.string({ unit: fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 12 });

const contentType = fc.oneof(
  fc.constantFrom(
    FORM,
    `${FORM}; charset=utf-8`,
    `${FORM}; charset=latin1`,
    "APPLICATION/X-WWW-FORM-URLENCODED",
    JSON_TYPE,
    `${JSON_TYPE}; charset=utf-8`,
    "application/vnd.api+json",
    "text/plain",
    "text/json",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/octet-stream",
    "*/*",
    ";",
    "application/json;;;",
    " application/json ",
  ),
  // Any printable ASCII: a header value holds no control characters.
  fc.string({ unit: "binary-ascii", maxLength: 30 }).filter((s) => [...s].every((c) => c >= " " && c <= "~")),
);

describe("the wire parser, pure", () => {
  it("unflatten of any flat map returns, or throws an UnflattenError naming a key; lists come back dense", () => {
    const flatMap = fc.array(fc.tuple(anyKey, fc.oneof(anyString, fc.integer(), fc.boolean(), fc.constant(null))), { maxLength: 12 });
    fc.assert(
      fc.property(flatMap, (entries) => {
        const params = Object.fromEntries(entries) as WireParams;
        let out: Record<string, unknown>;
        try {
          out = unflatten(params);
        } catch (error) {
          assert.ok(error instanceof UnflattenError, `not an UnflattenError: ${String(error)}`);
          assert.ok(Object.hasOwn(params, error.key) || Object.keys(params).some((k) => k.startsWith(`${error.key}.`) || error.key.startsWith(k)), error.key);
          return;
        }
        const walk = (v: unknown, depth: number): void => {
          assert.ok(depth <= MAX_KEY_DEPTH);
          if (Array.isArray(v)) {
            assert.ok(v.length <= MAX_LIST_INDEX + 1);
            for (let i = 0; i < v.length; i++) {
              assert.ok(i in v, "a list with a hole");
              walk(v[i], depth + 1);
            }
          } else if (v !== null && typeof v === "object") {
            for (const x of Object.values(v)) walk(x, depth + 1);
          }
        };
        walk(out, 0);
      }),
      fcParams(300),
    );
  });

  it("a key under an unknown prefix (`__proto__.UHostId`, `x.UHostId`) never stands for a declared one", () => {
    // The rebuilt objects must not inherit: `__proto__.Region=…` is not `Region=…`.
    fc.assert(
      fc.property(fc.constantFrom("__proto__", "constructor", "prototype", "x"), fc.constantFrom("UHostId", "Region", "Zone", "Limit"), anyString, (prefix, key, value) => {
        const nested = unflatten({ [`${prefix}.${key}`]: value });
        assert.equal((nested as Record<string, unknown>)[key], undefined, `${prefix}.${key} was read as ${key}`);
      }),
      fcParams(100),
    );
  });

  it("every Action's schema parses any value without throwing: a value, or issues naming the parameter", () => {
    const contracts = Object.values(actions) as ActionContract[];
    fc.assert(
      fc.property(fc.constantFrom(...contracts), fc.oneof(fc.anything(), anyNested, fc.dictionary(anyKey, fc.oneof(anyNested, fc.anything()), { maxKeys: 8 })), (contract, value) => {
        const { value: parsed, issues } = parseWith(contract.request, value, "wire");
        if (issues.length === 0) assert.ok(parsed !== undefined);
        for (const issue of issues) {
          assert.ok(issue.kind === "missing" || issue.kind === "invalid");
          assert.equal(typeof issue.path, "string");
        }
      }),
      fcParams(300),
    );
  });
});

describe("the wire parser over HTTP", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { ...NO_RATE_LIMIT, OCS_LOG_LEVEL: "warn" } });
  });
  after(async () => {
    keepAlive.destroy();
    await s.close();
  });

  it("random keys and values of any type, in any encoding: an envelope, never 8433", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(actions), "NoSuchAction", ""),
        fc.array(fc.tuple(anyKey, fc.oneof(anyScalar, anyNested)), { maxLength: 10 }),
        fc.constantFrom<Encoding>("form", "get", "json-flat", "json-nested"),
        async (action, entries, encoding) => {
          const params = objectOf(entries.filter(([k]) => !["Action", "PublicKey", "Signature"].includes(k)));
          let signed;
          try {
            signed = signedRequest(action, params, s.keys, encoding);
          } catch {
            fc.pre(false);
            return;
          }
          const res = await raw(s.url, signed.request);
          checkAnswer(res, { action, input: { action, encoding, params: entries } });
        },
      ),
      fcParams(200),
    );
  });

  it("raw bytes as a form body or query, invalid UTF-8 included: an envelope, never 8433", async () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString("latin1")),
      fc.uint8Array({ maxLength: 16 }).map(percent),
      fc.constantFrom("Action=DescribeCompShareInstance", "&", "=", "%", "%f", "%ff%fe", "%c3%28", "%ed%a0%80", "%f4%90%80%80", "+", "Region=cn-wlcb", "UHostIds.0=", "UHostIds.9=x", "a.b.c.d.e.f.g.h.i=1"),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), fc.boolean(), fc.constantFrom(FORM, ""), async (pieces, inQuery, type) => {
        const text = pieces.join("");
        const body = Buffer.from(text, "latin1");
        // A path holds no raw control bytes or spaces: Node's HTTP parser refuses those before the API.
        const req: RawRequest = inQuery ? { method: "GET", path: `/?${percent(body)}` } : { headers: type ? { "Content-Type": type } : {}, body };
        const res = await raw(s.url, req);
        checkAnswer(res, { input: body });
      }),
      fcParams(200),
    );
  });

  it("raw JSON: any value, lone surrogates, raw invalid UTF-8 inside strings, truncation: an envelope, never 8433", async () => {
    const jsonText = fc.oneof(
      fc.json({ maxDepth: 4 }).map((t) => Buffer.from(t, "utf8")),
      fc.tuple(loneSurrogates, anyScalar).map(([k, v]) => Buffer.from(`{"Action":"DescribeCompShareInstance",${JSON.stringify(k)}:${JSON.stringify(v)}}`, "utf8")),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom("Action", "Region", "PublicKey", "x")).map(([bytes, key]) =>
        Buffer.concat([Buffer.from(`{"${key}":"`), Buffer.from(bytes).filter((b) => b !== 0x22 && b !== 0x5c && b >= 0x20), Buffer.from('"}')]),
      ),
      fc.tuple(fc.json({ maxDepth: 3 }), fc.nat()).map(([t, n]) => Buffer.from(t.slice(0, n % (t.length + 1)), "utf8")),
      fc.constantFrom("", "{", "}", "[]", "null", "0", '""', "{}", '{"":1}', '{"a":1,"a":2}', '{"a":1,"a":1}', '{"__proto__":{"Action":"DescribeCompShareInstance"}}', '{"Action":["x"]}', '{"Action":{"a":1}}', '{"a":1e400}', '{"a":-1e400}', '{"UHostIds":[1,[2,[3]]]}', "\ufeff{}").map((t) => Buffer.from(t, "utf8")),
    );
    await fc.assert(
      fc.asyncProperty(jsonText, fc.constantFrom(JSON_TYPE, "application/problem+json"), async (body, type) => {
        const res = await raw(s.url, { headers: { "Content-Type": type }, body });
        checkAnswer(res, { input: body });
      }),
      fcParams(200),
    );
  });

  it("deep JSON nesting, up to 100,000 levels of arrays or objects: RetCode 230, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 100_000 })), fc.constantFrom("array", "object", "mixed"), async (depth, kind) => {
        const open = kind === "array" ? "[".repeat(depth) : kind === "object" ? '{"a":'.repeat(depth) : '{"a":['.repeat(depth);
        const close = kind === "array" ? "]".repeat(depth) : kind === "object" ? "}".repeat(depth) : "]}".repeat(depth);
        const body = `{"Action":"DescribeCompShareInstance","Region":${open}1${close}}`;
        const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
        const retCode = checkAnswer(res, { action: "DescribeCompShareInstance", input: { depth, kind } });
        // Past the key depth limit it is refused while parsing, before the (absent) signature is looked at.
        if (depth >= MAX_KEY_DEPTH) assert.equal(retCode, 230, res.text);
      }),
      fcParams(40),
    );
  });

  it("a key given twice with different values, in a form, a query, or both: RetCode 230", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("Region", "UHostIds.0", "Limit", "Zone", "x", "Action"),
        fc.tuple(anyString, anyString).filter(([a, b]) => a !== b),
        fc.constantFrom("form", "query", "query+form"),
        async (key, [a, b], where) => {
          const base = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
          const first = formOf({ ...base, [key]: a });
          const second = new URLSearchParams([[key, b]]).toString();
          const req =
            where === "form"
              ? { headers: { "Content-Type": FORM }, body: `${first}&${second}` }
              : where === "query"
                ? { method: "GET", path: `/?${first}&${second}` }
                : { path: `/?${second}`, headers: { "Content-Type": FORM }, body: first };
          const res = await raw(s.url, req);
          const retCode = checkAnswer(res, { input: { key, a, b, where } });
          assert.equal(retCode, 230, res.text);
        },
      ),
      fcParams(100),
    );
  });

  it("any content type on a signed body: accepted as form or JSON, or refused with 230", async () => {
    await fc.assert(
      fc.asyncProperty(contentType, fc.constantFrom<Encoding>("form", "json-flat"), async (type, encoding) => {
        const { request } = signedRequest("DescribeCompShareInstance", { ...REGION }, s.keys, encoding);
        const res = await raw(s.url, { ...request, headers: { "Content-Type": type } });
        const retCode = checkAnswer(res, { input: { type, encoding } });
        assert.ok(retCode === 0 || retCode === 230 || retCode === 160, res.text);
      }),
      fcParams(100),
    );
  });

  it("any PublicKey, any ProjectId, any id in a lookup, NUL and lone surrogates included: a refusal, never 8433", async () => {
    // Each of these reaches a database lookup with the value the client chose.
    const hostile = fc.oneof(anyString, loneSurrogates, fc.constantFrom("\u0000", "uhost-\u0000", "\ud800", "\udfff\ud800", "%00"));
    const other = await s.account(`probe-${Date.now()}`);
    const target = fc.constantFrom(
      ["PublicKey", "DescribeCompShareInstance"],
      ["ProjectId", "DescribeCompShareInstance"],
      ["UHostIds.0", "DescribeCompShareInstance"],
      ["UHostId", "RebootCompShareInstance"],
      ["UHostId", "DescribeCompShareInstanceOperations"],
      ["CompShareImageId", "GetCompShareImageCreateProgress"],
      ["CompShareImageId", "DescribeCompShareImages"],
      ["Name", "DescribeCompShareImages"],
      ["Tag", "DescribeCompShareImages"],
    );
    await fc.assert(
      fc.asyncProperty(target, hostile, fc.constantFrom("form", "json"), async ([key, action], value, encoding) => {
        const keys = { PublicKey: other.PublicKey, PrivateKey: other.PrivateKey };
        const params: Record<string, string> = { Action: action, ...REGION, [key]: value };
        if (action === "RebootCompShareInstance" || action === "DescribeCompShareInstanceOperations") params.UHostId ??= "uhost-x";
        if (action === "GetCompShareImageCreateProgress") params.CompShareImageId ??= "compshareImage-x";
        const flat: Record<string, string> = { ...params, PublicKey: key === "PublicKey" ? value : keys.PublicKey };
        flat.Signature = sign(flat, keys.PrivateKey);
        const req =
          encoding === "json"
            ? { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(flat) }
            : { headers: { "Content-Type": FORM }, body: formOf(flat) };
        const res = await raw(s.url, req);
        const retCode = checkAnswer(res, { action, input: { key, value, encoding } });
        // Refused while parsing, the same on both engines (PostgreSQL cannot even compare text holding NUL).
        if (value.includes("\u0000")) assert.equal(retCode, 230, res.text);
      }),
      fcParams(150),
    );
  });

  it("a parameter under an unknown prefix (`__proto__.UHostId`) is not taken for the declared one: 220", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("__proto__", "constructor", "prototype", "x", "UHostIds"),
        fc.constantFrom("RebootCompShareInstance", "ModifyCompShareInstanceName", "DescribeCompShareInstanceOperations"),
        fc.constantFrom<Encoding>("form", "get", "json-flat"),
        async (prefix, action, encoding) => {
          const params = objectOf([["Region", REGION.Region], ["Zone", REGION.Zone], ["Name", "n"], [`${prefix}.UHostId`, "uhost-000000000000"]]);
          const res = await raw(s.url, signedRequest(action, params, s.keys, encoding).request);
          const retCode = checkAnswer(res, { action, input: { prefix, action, encoding } });
          assert.equal(retCode, 220, res.text);
          assert.equal(res.json?.Message, "Missing params [UHostId]", res.text);
        },
      ),
      fcParams(30),
    );
  });

  it("still answers a normal request afterwards", async () => {
    const res = await s.call("DescribeCompShareInstance", REGION);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  });
});

describe("bodies over the limit (OCS_BODY_LIMIT=4096)", () => {
  const LIMIT = 4096;
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { ...NO_RATE_LIMIT, OCS_BODY_LIMIT: String(LIMIT), OCS_LOG_LEVEL: "warn" } });
  });
  after(async () => {
    await s.close();
  });

  it("HTTP 413 with RetCode 230 exactly when the body is over the limit, declared or chunked, form or JSON", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 0, max: 3 * LIMIT }), fc.integer({ min: LIMIT - 64, max: LIMIT + 64 }), fc.integer({ min: 64 * 1024, max: 512 * 1024 })),
        fc.constantFrom<Encoding>("form", "json-flat"),
        fc.boolean(),
        async (padding, encoding, chunked) => {
          const { request, size } = signedRequest("DescribeCompShareInstance", { ...REGION, Padding: "p".repeat(padding) }, s.keys, encoding);
          // A fresh connection each time: after a 413 the server closes it.
          const res = await raw(s.url, { ...request, chunked }, false);
          // Over the limit the body is not read, so the envelope cannot name the Action: `Response` or `<Action>Response`.
          const oversized = size > LIMIT;
          const retCode = checkAnswer(res, { action: oversized ? undefined : "DescribeCompShareInstance", oversized, input: { padding, size, encoding, chunked } });
          if (size <= LIMIT) assert.equal(retCode, 0, res.text);
        },
      ),
      fcParams(60),
    );
    const res = await s.call("DescribeCompShareInstance", REGION);
    assert.equal(res.body.RetCode, 0);
  });
});
