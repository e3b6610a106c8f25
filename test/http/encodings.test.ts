/**
 * The wire encodings a call comes in, end to end against a real server: a form POST (the
 * Python SDK's, byte for byte), JSON with flattened keys or nested lists and objects, and a GET
 * with the parameters in the query string.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flatten, sign, type NestedValue } from "@opencompshare/protocol";
import { signedParams } from "../helpers/client.js";
import { CREATE, REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { assertAnswer, FORM, formOf, JSON_TYPE, raw, signFlat, wire } from "./raw.js";

describe("HTTP parsing: encodings", () => {
  const s = serverForSuite();
  const { form, json, get, createOne, describeOne } = wire(s);

  it("accepts a form POST", async () => {
    const res = await form("DescribeCompShareInstance", { ...REGION, Limit: 5 });
    assertAnswer(res, "DescribeCompShareInstance", 0);
    assert.equal(typeof res.body.TotalCount, "number");
    assert.ok(Array.isArray(res.body.UHostSet));
  });

  it("accepts the seed's captured Python request byte for byte (the signature verifies)", async () => {
    const res = await raw(s.url, {
      headers: { "Content-Type": FORM, "U-Timestamp-Ms": "1795715649597", "User-Agent": "Python/3.11.4 Python-SDK/0.11.80" },
      body:
        "Region=cn-wlcb&Zone=cn-wlcb-01&UHostId=uhost-xxxx&Action=RebootCompShareInstance&PublicKey=my_public_key" +
        "&Signature=9b2267baf30d3919420ffcdcb5bdae717e5aa6fd",
    });
    // Authenticated and validated: the instance simply does not exist.
    assertAnswer(res, "RebootCompShareInstance", 8039, /^InstanceNotFound: .*uhost-xxxx/);
  });

  it("ignores the U-Timestamp-Ms and User-Agent headers of the official SDKs", async () => {
    for (const ua of ["Python/3.11.4 Python-SDK/0.11.80", "GO/go1.22 GO-SDK/0.22.0 Product/UCompShare", "JS-SDK/0.2.0"]) {
      const res = await raw(s.url, {
        headers: { "Content-Type": FORM, "U-Timestamp-Ms": String(Date.now()), "User-Agent": ua },
        body: formOf(signedParams("DescribeCompShareInstance", REGION, s.keys)),
      });
      assertAnswer(res, "DescribeCompShareInstance", 0);
    }
  });

  it('accepts a JSON POST with flattened keys and native types ({"UHostIds.0":…,"Limit":20,"WithoutGpu":true})', async () => {
    const id = await createOne();
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": id, Limit: 20, WithoutGpu: true }, s.keys);
    const body = JSON.stringify(params);
    assert.ok(body.includes('"Limit":20') && body.includes('"WithoutGpu":true'), body);
    // WithoutGpu is read as the boolean true: it lists instances in no-GPU mode, and this one is not.
    const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
    assertAnswer(res, "DescribeCompShareInstance", 0);
    assert.deepEqual(res.body.UHostSet, []);
    const all = JSON.stringify(signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": id, Limit: 20, WithoutGpu: false }, s.keys));
    const res2 = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: all });
    assertAnswer(res2, "DescribeCompShareInstance", 0);
    assert.equal(res2.body.TotalCount, 1);
    assert.equal((res2.body.UHostSet as Array<{ UHostId: string }>)[0]?.UHostId, id);
  });

  it("signs a JSON float with no fraction as an integer (Limit 20.0 signed as 20)", async () => {
    const id = await createOne();
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": id, Limit: 20 }, s.keys);
    const body = JSON.stringify(params).replace('"Limit":20', '"Limit":20.0');
    assert.ok(body.includes('"Limit":20.0'), body);
    const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
    assertAnswer(res, "DescribeCompShareInstance", 0);
    assert.equal(res.body.TotalCount, 1);
  });

  it("accepts a JSON POST with nested lists and objects, signed over the flattened keys", async () => {
    const id = await createOne();
    const nested: Record<string, NestedValue> = { Action: "DescribeCompShareInstance", ...REGION, UHostIds: [id], Limit: 20 };
    const flat = flatten(nested);
    assert.equal(flat["UHostIds.0"], id);
    const signature = sign({ ...flat, PublicKey: s.keys.PublicKey }, s.keys.PrivateKey);
    const res = await raw(s.url, {
      headers: { "Content-Type": JSON_TYPE },
      body: JSON.stringify({ ...nested, PublicKey: s.keys.PublicKey, Signature: signature }),
    });
    assertAnswer(res, "DescribeCompShareInstance", 0);
    assert.equal(res.body.TotalCount, 1);
    assert.equal((res.body.UHostSet as Array<{ UHostId: string }>)[0]?.UHostId, id);
  });

  it("accepts a JSON array signed as its elements concatenated (CompShare's CLI on GetCompShareInstanceMonitor), and not a wrong one", async () => {
    const a = await createOne();
    const b = await createOne();
    const nested: Record<string, NestedValue> = { Action: "GetCompShareInstanceMonitor", ...REGION, UHostIds: [a, b] };
    const concatenated = { ...REGION, Action: "GetCompShareInstanceMonitor", UHostIds: `${a}${b}`, PublicKey: s.keys.PublicKey };
    const signature = sign(concatenated, s.keys.PrivateKey);
    const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify({ ...nested, PublicKey: s.keys.PublicKey, Signature: signature }) });
    assertAnswer(res, "GetCompShareInstanceMonitor", 0);
    const list = (res.body.Data as { List: Array<{ UHostId: string }> }).List;
    assert.deepEqual(list.map((m) => m.UHostId).sort(), [a, b].sort(), "both elements were read, not the joined string");
    const wrong = sign({ ...concatenated, UHostIds: `${b}${a}` }, s.keys.PrivateKey);
    const refused = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body: JSON.stringify({ ...nested, PublicKey: s.keys.PublicKey, Signature: wrong }) });
    assertAnswer(refused, "GetCompShareInstanceMonitor", 171);
  });

  it("creates with nested JSON Disks and reads them back", async () => {
    const res = await json("CreateCompShareInstance", {
      ...CREATE,
      Disks: [
        { IsBoot: true, Size: 100, Type: "CLOUD_SSD" },
        { IsBoot: false, Size: 200, Type: "CLOUD_SSD" },
      ],
    });
    assertAnswer(res, "CreateCompShareInstance", 0);
    const inst = await describeOne((res.body.UHostIds as string[])[0] as string);
    const disks = inst.DiskSet as Array<{ IsBoot: string; Size: number }>;
    assert.deepEqual(
      disks.map((d) => [d.IsBoot, d.Size]),
      [
        ["True", 100],
        ["False", 200],
      ],
    );
    assert.equal(inst.TotalDiskSpace, 300);
  });

  it("accepts application/json and the form type with a charset parameter", async () => {
    const j = await raw(s.url, {
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify(signedParams("DescribeCompShareInstance", REGION, s.keys)),
    });
    assertAnswer(j, "DescribeCompShareInstance", 0);
    const f = await raw(s.url, {
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8" },
      body: formOf(signedParams("DescribeCompShareInstance", REGION, s.keys)),
    });
    assertAnswer(f, "DescribeCompShareInstance", 0);
  });

  it("accepts a GET with the parameters in the query string", async () => {
    const id = await createOne();
    const res = await get("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id, Limit: 10, WithoutGpu: false });
    assertAnswer(res, "DescribeCompShareInstance", 0);
    assert.equal(res.body.TotalCount, 1);
  });
});
