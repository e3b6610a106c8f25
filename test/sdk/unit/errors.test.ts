/** Typed errors: what each kind of failure becomes, and what it carries. */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { freePort } from "../../helpers/process.js";
import {
  CompShareClient,
  CompShareError,
  HttpError,
  InvalidResponseError,
  NetworkError,
  RetCodeError,
} from "@opencompshare/sdk";
import { retCode, stubServer, type Reply, type StubServer } from "./stub-server.js";

const KEYS = { publicKey: "my_public_key", privateKey: "my_private_key" };

let stub: StubServer | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function answering(reply: Reply, extra: { validateResponses?: boolean } = {}) {
  stub = await stubServer(() => reply);
  return new CompShareClient({ ...KEYS, baseUrl: stub.url, maxRetries: 0, ...extra });
}

describe("RetCodeError", () => {
  it("carries the code, the symbol, the message, the action and the request id", async () => {
    const message = "InstanceOperationInProgress: instance uhost-a is locked by RebootCompShareInstance (operation op-1) until 2026-11-26T12:10:00.000Z";
    const client = await answering(retCode("RebootCompShareInstance", 226610, message, "4f1c0c1e-req"));
    await assert.rejects(client.rebootCompShareInstance({ UHostId: "uhost-a" }), (e: unknown) => {
      assert.ok(e instanceof RetCodeError);
      assert.ok(e instanceof CompShareError);
      assert.equal(e.retCode, 226610);
      assert.equal(e.symbol, "InstanceOperationInProgress");
      assert.equal(e.apiMessage, message);
      assert.equal(e.action, "RebootCompShareInstance");
      assert.equal(e.requestId, "4f1c0c1e-req");
      assert.equal(e.response.RetCode, 226610);
      assert.match(e.message, /InstanceOperationInProgress 226610: InstanceOperationInProgress: instance uhost-a .*request 4f1c0c1e-req/);
      assert.equal(e.name, "RetCodeError");
      return true;
    });
  });

  it("leaves the symbol unset for a code outside the catalogue (226699, none of ours or CompShare's)", async () => {
    const client = await answering(retCode("DescribeCompShareInstance", 226699, "a code this SDK does not know"));
    await assert.rejects(client.describeCompShareInstance(), (e: unknown) => e instanceof RetCodeError && e.symbol === undefined && e.retCode === 226699);
  });
});

describe("HttpError", () => {
  it("for a status of 400 or more, with the body and the request id", async () => {
    const client = await answering({ status: 413, body: { RetCode: 230, Message: "Params [body] not available" }, headers: { "X-UCLOUD-REQUEST-UUID": "r-413" } });
    await assert.rejects(client.describeCompShareImages(), (e: unknown) => {
      assert.ok(e instanceof HttpError);
      assert.equal(e.status, 413);
      assert.match(e.body, /RetCode/);
      assert.equal(e.requestId, "r-413");
      return true;
    });
  });
});

describe("InvalidResponseError", () => {
  const CASES: Array<[string, Reply, RegExp]> = [
    ["an empty body", { body: "" }, /empty body/],
    ["a body that is not JSON", { body: "<html>gateway</html>" }, /not JSON/],
    ["a JSON list", { body: "[1,2]" }, /not a JSON object/],
    ["no RetCode", { body: { Action: "DescribeCompShareImagesResponse" } }, /no numeric RetCode/],
    ["a RetCode that is a string", { body: { RetCode: "0" } }, /no numeric RetCode/],
  ];
  for (const [name, reply, reason] of CASES) {
    it(`for ${name}`, async () => {
      const client = await answering(reply);
      await assert.rejects(client.describeCompShareImages(), (e: unknown) => e instanceof InvalidResponseError && reason.test(e.reason) && e.status === 200);
    });
  }

  it("with validateResponses, for fields whose JSON types break the contract", async () => {
    const bad = { Action: "DescribeCompShareImagesResponse", RetCode: 0, ImageSet: [], TotalCount: "3" };
    let client = await answering({ body: bad }, { validateResponses: true });
    await assert.rejects(client.describeCompShareImages(), (e: unknown) => e instanceof InvalidResponseError && /TotalCount: expected an integer/.test(e.reason));
    await stub?.close();
    client = await answering({ body: bad });
    assert.equal((await client.describeCompShareImages()).TotalCount, "3" as unknown as number, "unchecked by default: the raw answer");
  });
});

describe("NetworkError", () => {
  it("when nothing listens, with the cause", async () => {
    const port = await freePort();
    const client = new CompShareClient({ ...KEYS, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
    await assert.rejects(client.describeCompShareImages(), (e: unknown) => {
      assert.ok(e instanceof NetworkError);
      assert.match(e.message, /ECONNREFUSED/);
      assert.ok(e.cause);
      assert.equal(e.requestId, undefined);
      return true;
    });
  });
});

describe("configuration", () => {
  it("refuses a client without keys or with a baseUrl that is not http(s)", () => {
    assert.throws(() => new CompShareClient({ publicKey: "", privateKey: "x" }), TypeError);
    assert.throws(() => new CompShareClient({ ...KEYS, baseUrl: "ftp://x" }), TypeError);
    assert.throws(() => new CompShareClient({ ...KEYS, maxRetries: -1 }), TypeError);
  });

  it("defaults to CompShare itself: https://api.compshare.cn, cn-wlcb, cn-wlcb-01", () => {
    const client = new CompShareClient(KEYS);
    assert.equal(client.baseUrl, "https://api.compshare.cn");
    assert.equal(client.region, "cn-wlcb");
    assert.equal(client.zone, "cn-wlcb-01");
    assert.equal(client.retry.maxRetries, 2);
    assert.ok(!JSON.stringify(client).includes("my_private_key"), "the private key is not an enumerable field");
  });
});
