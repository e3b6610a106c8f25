/**
 * Raw HTTP for the parsing tests: one request over a fresh connection with full control of
 * method, headers and body; the form encoding of the Python SDK; signing exactly the parameters
 * given; the envelope every answer must have (HTTP 200, the request id, `<Action>Response`); and
 * signed requests to a test server in each encoding.
 */
import assert from "node:assert/strict";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { sign, type NestedValue, type WireParams } from "@opencompshare/protocol";
import { signedParams, type Keys } from "../helpers/client.js";
import { CREATE, REGION, type TestServer } from "../helpers/server.js";

export const FORM = "application/x-www-form-urlencoded";
export const JSON_TYPE = "application/json";
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Envelope {
  Action: string;
  RetCode: number;
  Message?: string;
  [field: string]: unknown;
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: Envelope;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
}

/** One request over a fresh connection, with full control of method, headers and body. */
export function raw(baseUrl: string, req: RawRequest): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, "utf8");
  const headers: Record<string, string> = { ...req.headers };
  if (body && !req.chunked) headers["Content-Length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: url.hostname, port: url.port, path: req.path ?? "/", method: req.method ?? "POST", headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Envelope;
          try {
            parsed = JSON.parse(text) as Envelope;
          } catch {
            parsed = { Action: "", RetCode: Number.NaN, Message: `not JSON: ${text.slice(0, 200)}` };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
        res.on("error", reject);
      },
    );
    // The server may answer (413) and close before the whole body is written; the answer counts.
    r.on("error", reject);
    if (body && req.chunked) {
      for (let i = 0; i < body.length; i += 512) r.write(body.subarray(i, i + 512));
    } else if (body) {
      r.write(body);
    }
    r.end();
  });
}

/** `k=v&…` with percent-encoded UTF-8, exactly as the Python SDK sends a form. */
export const formOf = (params: WireParams): string =>
  Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v === null ? "" : String(v))}`)
    .join("&");

/** Adds PublicKey and the Signature over exactly these (already flat) parameters. */
export function signFlat(params: WireParams, keys: Keys): WireParams {
  const flat: WireParams = { ...params, PublicKey: keys.PublicKey };
  flat.Signature = sign(flat, keys.PrivateKey);
  return flat;
}

/** Asserts the envelope of an API-level answer: HTTP 200, the request id header, `<Action>Response`. */
export function assertAnswer(res: RawAnswer, action: string, retCode: number, message?: string | RegExp): void {
  const context = `${res.status} ${res.text}`;
  assert.equal(res.status, 200, context);
  assert.match(String(res.headers["x-ucloud-request-uuid"] ?? ""), UUID, context);
  assert.match(String(res.headers["content-type"] ?? ""), /^application\/json/, context);
  assert.equal(res.body.Action, `${action}Response`, context);
  assert.equal(res.body.RetCode, retCode, context);
  if (typeof message === "string") assert.equal(res.body.Message, message, context);
  else if (message) assert.match(res.body.Message ?? "", message, context);
  if (retCode !== 0) assert.equal(typeof res.body.Message, "string", context);
}

/** A refusal before the Action is known: HTTP 200, the request id, an envelope ending in `Response`. */
export function assertRefusal(res: RawAnswer, message: string): void {
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers["x-ucloud-request-uuid"] ?? ""), UUID, res.text);
  assert.match(res.body.Action, /Response$/, res.text);
  assert.equal(res.body.RetCode, 230, res.text);
  assert.equal(res.body.Message, message, res.text);
}

/** Signed requests to the server `s` (form, JSON, GET), and an instance made and read through them. */
export function wire(s: TestServer) {
  /** Signed form POST of nested params. */
  const form = (action: string, params: Record<string, NestedValue>, keys: Keys = s.keys, path = "/") =>
    raw(s.url, { path, headers: { "Content-Type": FORM }, body: formOf(signedParams(action, params, keys)) });
  const json = (action: string, params: Record<string, NestedValue>, keys: Keys = s.keys) =>
    raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(signedParams(action, params, keys)) });
  const get = (action: string, params: Record<string, NestedValue>, keys: Keys = s.keys) =>
    raw(s.url, { method: "GET", path: `/?${formOf(signedParams(action, params, keys))}` });
  const createOne = async (extra: Record<string, NestedValue> = {}): Promise<string> => {
    const res = await form("CreateCompShareInstance", { ...CREATE, ...extra });
    assertAnswer(res, "CreateCompShareInstance", 0);
    const ids = res.body.UHostIds as string[];
    assert.equal(ids.length, 1);
    return ids[0] as string;
  };
  const describeOne = async (id: string): Promise<Record<string, unknown>> => {
    const res = await form("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    assertAnswer(res, "DescribeCompShareInstance", 0);
    const set = res.body.UHostSet as Array<Record<string, unknown>>;
    assert.equal(set.length, 1, res.text);
    return set[0] as Record<string, unknown>;
  };

  return { form, json, get, createOne, describeOne };
}
