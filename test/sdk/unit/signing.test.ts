/**
 * The SDK signs and encodes exactly as the official SDKs: every test vector of protocol.md, and
 * the request as it arrives at a server (method, path, headers, form body, flattened keys).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verify, type NestedValue } from "@opencompshare/protocol";
import { CompShareClient, encodeForm, signParams } from "@opencompshare/sdk";
import { ok, stubServer, type StubServer } from "./stub-server.js";

const UC = { publicKey: "ucloudsomeone@example.com1296235120854146120", privateKey: "46f09bb9fab4f12dfc160dae12273d5332b5debe" };
const MY = { publicKey: "my_public_key", privateKey: "my_private_key" };

const CREATE_UHOST = {
  Action: "CreateUHostInstance",
  CPU: 2,
  ChargeType: "Month",
  DiskSpace: 10,
  ImageId: "f43736e1-65a5-4bea-ad2e-8a46e18883c2",
  LoginMode: "Password",
  Memory: 2048,
  Name: "Host01",
  Password: "VUNsb3VkLmNu",
  Quantity: 1,
  Region: "cn-bj2",
  Zone: "cn-bj2-04",
};

describe("signParams: every test vector of protocol.md", () => {
  it("row 1: DescribeUHostInstance, Limit=10", () => {
    const p = signParams({ Action: "DescribeUHostInstance", Region: "cn-bj2", Limit: 10 }, UC);
    assert.equal(p.Signature, "cba5cf5ec4d4233d206b1b54951e3787350a642f");
    assert.equal(p.PublicKey, UC.publicKey);
  });

  it("row 2: CreateUHostInstance", () => {
    assert.equal(signParams(CREATE_UHOST, UC).Signature, "4f9ef5df2abab2c6fccd1e9515cb7e2df8c6bb65");
  });

  it("row 3: the same with SecurityToken, which is sent and signed", () => {
    const p = signParams(CREATE_UHOST, { ...UC, securityToken: "some_stoken" });
    assert.equal(p.SecurityToken, "some_stoken");
    assert.equal(p.Signature, "170c480ad176a247b324eb92a2cfe536aacfbd04");
  });

  it("row 4: AllocateBackendBatch, Backends.0..11 from a nested list with a native number", () => {
    const backends = Array.from({ length: 12 }, (_, i) => ["foo", "bar", 42][i % 3] as NestedValue);
    const p = signParams({ Action: "AllocateBackendBatch", Backends: backends }, UC);
    assert.equal(p["Backends.11"], 42);
    assert.equal(p.Signature, "6bc32642779f8cb0bb3d3f128b1c0688abf9a1a3");
  });

  it("row 5: the seed's reboot", () => {
    const p = signParams({ Action: "RebootCompShareInstance", Region: "cn-wlcb", Zone: "cn-wlcb-01", UHostId: "uhost-xxxx" }, MY);
    assert.equal(p.Signature, "9b2267baf30d3919420ffcdcb5bdae717e5aa6fd");
  });

  it('row 6: {"foo":"bar"}', () => {
    assert.equal(signParams({ foo: "bar" }, MY).Signature, "d4411ab30953fb0bbcb1e7313081f05e4e91a394");
  });

  it("replaces a Signature given among the parameters instead of signing it", () => {
    const p = signParams({ Action: "RebootCompShareInstance", Region: "cn-wlcb", Zone: "cn-wlcb-01", UHostId: "uhost-xxxx", Signature: "x" }, MY);
    assert.equal(p.Signature, "9b2267baf30d3919420ffcdcb5bdae717e5aa6fd");
  });
});

describe("encodeForm", () => {
  it("spells booleans true/false, numbers without exponent, a space as +, unicode as UTF-8", () => {
    const body = encodeForm({ A: true, B: false, C: 42.0, D: 1e21, E: 1.5e-7, F: "名 a+b&c", G: "", H: null });
    assert.equal(body, "A=true&B=false&C=42&D=1000000000000000000000&E=0.00000015&F=%E5%90%8D+a%2Bb%26c&G=&H=");
  });
});

describe("what the client sends", () => {
  let stub: StubServer;
  before(async () => {
    stub = await stubServer((req) => ok(req.params.Action ?? ""));
  });
  after(() => stub.close());
  const last = () => stub.requests[stub.requests.length - 1]!;

  it("row 1 through the client: form POST to /, the default region added, nothing else", async () => {
    const client = new CompShareClient({ ...UC, region: "cn-bj2", baseUrl: stub.url });
    await client.invoke("DescribeUHostInstance", { Limit: 10 });
    const req = last();
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/");
    assert.equal(req.headers["content-type"], "application/x-www-form-urlencoded");
    assert.deepEqual(req.params, {
      Action: "DescribeUHostInstance",
      Region: "cn-bj2",
      Limit: "10",
      PublicKey: UC.publicKey,
      Signature: "cba5cf5ec4d4233d206b1b54951e3787350a642f",
    });
  });

  it("rows 2 and 3 through the client, with and without a security token", async () => {
    const { Action, ...params } = CREATE_UHOST;
    await new CompShareClient({ ...UC, baseUrl: stub.url }).invoke(Action, params);
    assert.equal(last().params.Signature, "4f9ef5df2abab2c6fccd1e9515cb7e2df8c6bb65");
    await new CompShareClient({ ...UC, baseUrl: stub.url, securityToken: "some_stoken" }).invoke(Action, params);
    assert.equal(last().params.SecurityToken, "some_stoken");
    assert.equal(last().params.Signature, "170c480ad176a247b324eb92a2cfe536aacfbd04");
  });

  it("row 5 through the typed method: exactly the captured request of the Python SDK", async () => {
    const client = new CompShareClient({ ...MY, baseUrl: stub.url });
    const res = await client.rebootCompShareInstance({ UHostId: "uhost-xxxx" });
    assert.equal(res.Action, "RebootCompShareInstanceResponse");
    assert.deepEqual(last().params, {
      Region: "cn-wlcb",
      Zone: "cn-wlcb-01",
      UHostId: "uhost-xxxx",
      Action: "RebootCompShareInstance",
      PublicKey: "my_public_key",
      Signature: "9b2267baf30d3919420ffcdcb5bdae717e5aa6fd",
    });
  });

  it("names itself in the User-Agent, with the caller's suffix", async () => {
    await new CompShareClient({ ...MY, baseUrl: stub.url, userAgent: "my-app/1.2" }).describeCompShareImages();
    assert.match(String(last().headers["user-agent"]), /^OpenCompShare-SDK\/0\.1\.0 Node\.js\/v\d+\.\d+\.\d+ my-app\/1\.2$/);
  });

  it("flattens lists and objects, spells booleans true/false, keeps Zone out of listings", async () => {
    const client = new CompShareClient({ ...MY, baseUrl: stub.url });
    await client.describeCompShareInstance({ UHostIds: ["uhost-a", "uhost-b"], WithoutGpu: true, Limit: 20 });
    const req = last();
    assert.match(req.body, /(^|&)UHostIds\.0=uhost-a(&|$)/);
    assert.match(req.body, /(^|&)UHostIds\.1=uhost-b(&|$)/);
    assert.match(req.body, /(^|&)WithoutGpu=true(&|$)/);
    assert.equal(req.params.Region, "cn-wlcb");
    assert.equal(req.params.Zone, undefined, "Zone is a filter in a listing: not defaulted");

    await client.createCompShareInstance({
      CPU: 16,
      Memory: 65536,
      GPU: 1,
      GpuType: "4090",
      MachineType: "G",
      CompShareImageId: "compshareImage-ubuntu2204",
      Disks: [{ IsBoot: true, Size: 100, Type: "CLOUD_SSD" }],
      EnableUS3: false,
      Name: "训练 job 1",
    });
    const create = last();
    assert.equal(create.params["Disks.0.IsBoot"], "true");
    assert.equal(create.params["Disks.0.Size"], "100");
    assert.equal(create.params["Disks.0.Type"], "CLOUD_SSD");
    assert.equal(create.params.EnableUS3, "false");
    assert.equal(create.params.Zone, "cn-wlcb-01");
    assert.match(create.body, /(^|&)Name=%E8%AE%AD%E7%BB%83\+job\+1(&|$)/);
    assert.equal(create.params.Name, "训练 job 1");

    await client.createCompShareCustomImage({ UHostId: "uhost-a", Name: "img", Softwares: { CUDAVersion: "12.4", Application: ["jupyter", "comfyui"] } });
    assert.equal(last().params["Softwares.CUDAVersion"], "12.4");
    assert.equal(last().params["Softwares.Application.1"], "comfyui");
  });

  it("takes Region, Zone and ProjectId from the client, and a request's own over them", async () => {
    const client = new CompShareClient({ ...MY, baseUrl: stub.url, region: "cn-x", zone: "cn-x-02", projectId: "org-1" });
    await client.startCompShareInstance({ UHostId: "uhost-a" });
    assert.deepEqual([last().params.Region, last().params.Zone, last().params.ProjectId], ["cn-x", "cn-x-02", "org-1"]);
    await client.startCompShareInstance({ UHostId: "uhost-a", Region: "cn-y", Zone: "cn-y-01", ProjectId: "org-2" });
    assert.deepEqual([last().params.Region, last().params.Zone, last().params.ProjectId], ["cn-y", "cn-y-01", "org-2"]);
    await new CompShareClient({ ...MY, baseUrl: stub.url }).startCompShareInstance({ UHostId: "uhost-a" });
    assert.equal(last().params.ProjectId, undefined, "no ProjectId unless configured: the default project");
  });

  it("sends an empty string, signed, as the Python SDK does", async () => {
    await new CompShareClient({ ...MY, baseUrl: stub.url }).modifyCompShareInstanceName({ UHostId: "uhost-a", Name: "" });
    assert.match(last().body, /(^|&)Name=(&|$)/);
  });

  it("signs every request it sends so that the server's verify accepts it", () => {
    assert.ok(stub.requests.length >= 8);
    for (const req of stub.requests) {
      const key = req.params.PublicKey === UC.publicKey ? UC.privateKey : MY.privateKey;
      assert.ok(verify(req.params, key, req.params.Signature ?? ""), `${req.params.Action}: ${req.body}`);
    }
  });
});
