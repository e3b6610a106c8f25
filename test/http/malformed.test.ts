/**
 * Requests refused before any Action runs: another Content-Type, JSON that is not an object or
 * nests too deep, a method other than GET and POST, a body over OCS_BODY_LIMIT (HTTP 413), and
 * what Node's HTTP parser cannot read (HTTP 431 and 400), each answered with an envelope.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signedParams } from "../helpers/client.js";
import { REGION, startServer } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { assertAnswer, FORM, formOf, JSON_TYPE, raw, signFlat, UUID, wire } from "./raw.js";

describe("HTTP parsing: malformed requests", () => {
  const s = serverForSuite();
  const { form } = wire(s);

  it("refuses a body of another Content-Type with 230 naming Content-Type", async () => {
    const body = formOf(signedParams("DescribeCompShareInstance", REGION, s.keys));
    for (const type of ["text/plain", "application/xml", "multipart/form-data; boundary=x"]) {
      const res = await raw(s.url, { headers: { "Content-Type": type }, body });
      assert.equal(res.status, 200, type);
      assert.match(String(res.headers["x-ucloud-request-uuid"]), UUID);
      assert.equal(res.body.RetCode, 230, `${type}: ${res.text}`);
      assert.match(res.body.Message ?? "", /Content-Type/, type);
      assert.match(res.body.Action, /Response$/);
    }
  });

  it("refuses invalid JSON, a JSON array and other non-object JSON with 230", async () => {
    for (const body of ['{"Action":"DescribeCompShareInstance",', "{'Action':1}", "[]", '[{"Action":"DescribeCompShareInstance"}]', '"x"', "42", "null", "true"]) {
      const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
      assert.equal(res.status, 200, body);
      assert.match(String(res.headers["x-ucloud-request-uuid"]), UUID);
      assert.equal(res.body.RetCode, 230, `${body}: ${res.text}`);
      assert.match(res.body.Message ?? "", /^Params \[[^\]]+\] not available/);
    }
  });

  it("refuses deep JSON nesting with 230, without crashing", async () => {
    const signed = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
    const prefix = JSON.stringify(signed).slice(0, -1);
    for (const depth of [12, 1000, 100_000]) {
      const body = `${prefix},"Deep":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
      const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
      assert.equal(res.status, 200, `depth ${depth}`);
      assert.equal(res.body.RetCode, 230, `depth ${depth}: ${res.text.slice(0, 200)}`);
      const arrays = `${prefix},"Deep":${"[".repeat(depth)}1${"]".repeat(depth)}}`;
      const res2 = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: arrays });
      assert.equal(res2.status, 200, `array depth ${depth}`);
      assert.equal(res2.body.RetCode, 230, `array depth ${depth}: ${res2.text.slice(0, 200)}`);
    }
    assertAnswer(await form("DescribeCompShareInstance", REGION), "DescribeCompShareInstance", 0);
  });

  it("answers HTTP 405 to methods other than GET and POST", async () => {
    for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const res = await raw(s.url, { method, headers: { "Content-Type": FORM }, body: formOf(signedParams("DescribeCompShareInstance", REGION, s.keys)) });
      assert.equal(res.status, 405, method);
      assert.match(String(res.headers.allow ?? ""), /GET/);
      assert.match(String(res.headers.allow ?? ""), /POST/);
      assert.match(String(res.headers["x-ucloud-request-uuid"]), UUID);
    }
  });
});

describe("the body limit (OCS_BODY_LIMIT=2048)", () => {
  const s = serverForSuite({ env: { OCS_BODY_LIMIT: "2048" } });

  it("answers HTTP 413 to a body over the limit, with Content-Length or chunked", async () => {
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Padding: "x".repeat(3000) }, s.keys);
    const body = formOf(params);
    assert.ok(body.length > 2048);
    const declared = await raw(s.url, { headers: { "Content-Type": FORM }, body });
    assert.equal(declared.status, 413, declared.text);
    assert.match(String(declared.headers["x-ucloud-request-uuid"]), UUID);
    const chunked = await raw(s.url, { headers: { "Content-Type": FORM }, body, chunked: true });
    assert.equal(chunked.status, 413, chunked.text);
    const jsonBody = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify(params) });
    assert.equal(jsonBody.status, 413, jsonBody.text);
  });

  it("accepts a body just under the limit, and still answers after a refusal", async () => {
    const base = formOf(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Padding: "" }, s.keys));
    const padding = "y".repeat(2048 - base.length - 10);
    const body = formOf(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Padding: padding }, s.keys));
    assert.ok(body.length <= 2048 && body.length > 1900, String(body.length));
    assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body }), "DescribeCompShareInstance", 0);
    const over = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${body}${"z".repeat(200)}` });
    assert.equal(over.status, 413);
    assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body }), "DescribeCompShareInstance", 0);
  });
});

describe("requests Node cannot parse", () => {
  it("answers oversized headers with HTTP 431 and an envelope, and malformed HTTP with 400 and an envelope", async () => {
    const { connect } = await import("node:net");
    const s = await startServer();
    try {
      const port = Number(new URL(s.url).port);
      const overSocket = (text: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1", () => socket.end(text));
          let out = "";
          socket.on("data", (d: Buffer) => (out += d.toString()));
          socket.on("close", () => resolve(out));
          socket.on("error", reject);
        });
      const big = await overSocket(`GET /?Action=DescribeCompShareInstance HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
      assert.match(big, /^HTTP\/1\.1 431 /);
      assert.match(big, /X-UCLOUD-REQUEST-UUID: [0-9a-f-]{36}/i);
      const bigBody = JSON.parse(big.slice(big.indexOf("\r\n\r\n") + 4)) as { RetCode: number; Message: string };
      assert.equal(bigBody.RetCode, 230);
      assert.match(bigBody.Message, /headers too large/);
      const bad = await overSocket("NOT HTTP AT ALL\r\n\r\n");
      assert.match(bad, /^HTTP\/1\.1 400 /);
      assert.equal((JSON.parse(bad.slice(bad.indexOf("\r\n\r\n") + 4)) as { RetCode: number }).RetCode, 230);
      // The server still answers.
      assert.equal((await s.call("DescribeCompShareInstance", REGION)).body.RetCode, 0);
    } finally {
      await s.close();
    }
  });
});
