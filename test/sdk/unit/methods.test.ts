/** One typed method per Action of the contract, generated from it; the package's identity. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { actions, type ActionName } from "@opencompshare/protocol";
import { CompShareClient, methodName, SDK_VERSION } from "@opencompshare/sdk";
import { ok, stubServer, type StubServer } from "./stub-server.js";

describe("typed methods", () => {
  let stub: StubServer;
  before(async () => {
    stub = await stubServer((req) => ok(req.params.Action ?? ""));
  });
  after(() => stub.close());

  it("exist for every Action of the contract, and each sends its own Action", async () => {
    const client = new CompShareClient({ publicKey: "p", privateKey: "k", baseUrl: stub.url });
    const names = Object.keys(actions) as ActionName[];
    assert.ok(names.length >= 18);
    for (const action of names) {
      const method = (client as unknown as Record<string, (input: object) => Promise<{ Action: string }>>)[methodName(action)];
      assert.equal(typeof method, "function", action);
      const res = await method!.call(client, { UHostId: "uhost-a" });
      assert.equal(res.Action, `${action}Response`);
      assert.equal(stub.requests.at(-1)?.params.Action, action);
    }
  });

  it("are named after the Action in camelCase", () => {
    assert.equal(methodName("RebootCompShareInstance"), "rebootCompShareInstance");
    assert.equal(methodName("DescribeCompShareInstanceOperations"), "describeCompShareInstanceOperations");
  });
});

describe("the package", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../../packages/sdk/package.json", import.meta.url), "utf8")) as {
    version: string;
    dependencies?: object;
  };

  it("sends the version of its package.json", () => {
    assert.equal(SDK_VERSION, pkg.version);
  });

  it("has no runtime dependency", () => {
    assert.equal(pkg.dependencies, undefined);
  });
});
