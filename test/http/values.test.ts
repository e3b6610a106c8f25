/**
 * How values are spelled on the wire: unicode in form, JSON and query, empty values as the
 * Python SDK sends them, `+` as a space, and a signed SecurityToken.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signedParams } from "../helpers/client.js";
import { CREATE, REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { assertAnswer, FORM, formOf, JSON_TYPE, raw, signFlat, wire } from "./raw.js";

describe("HTTP parsing: values", () => {
  const s = serverForSuite();
  const { form, json, get, describeOne } = wire(s);

  // Names take Chinese (CompShare's rule); a Remark takes any text, four-byte UTF-8 included.
  const unicodeName = "训练机-a_1";
  const unicodeRemark = "训练机-🚀-ñ";

  it("takes unicode in Name and Remark, percent-encoded UTF-8 in a form and signed as UTF-8", async () => {
    const body = formOf(signedParams("CreateCompShareInstance", { ...CREATE, Name: unicodeName, Remark: unicodeRemark }, s.keys));
    assert.ok(body.includes("Remark=%E8%AE%AD%E7%BB%83%E6%9C%BA-%F0%9F%9A%80-%C3%B1"), body);
    const res = await raw(s.url, { headers: { "Content-Type": FORM }, body });
    assertAnswer(res, "CreateCompShareInstance", 0);
    const inst = await describeOne((res.body.UHostIds as string[])[0] as string);
    assert.equal(inst.Name, unicodeName);
    assert.equal(inst.Remark, unicodeRemark);
  });

  it("takes unicode in JSON and in a GET query", async () => {
    const j = await json("CreateCompShareInstance", { ...CREATE, Name: `${unicodeName}-json`, Remark: `${unicodeRemark}-json` });
    assertAnswer(j, "CreateCompShareInstance", 0);
    const id = (j.body.UHostIds as string[])[0] as string;
    assert.equal((await describeOne(id)).Name, `${unicodeName}-json`);
    assert.equal((await describeOne(id)).Remark, `${unicodeRemark}-json`);
    const g = await get("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: "改名 1" });
    assertAnswer(g, "ModifyCompShareInstanceName", 0);
    assert.equal((await describeOne(id)).Name, "改名 1");
    const bad = await get("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: "改名 ✅" });
    assertAnswer(bad, "ModifyCompShareInstanceName", 230);
  });

  it("accepts empty values sent and signed like the Python SDK (Name=)", async () => {
    const params = signFlat({ Action: "CreateCompShareInstance", ...CREATE, Name: "", ChargeType: "", Password: "", Quantity: "", LoginMode: "" }, s.keys);
    const body = formOf(params);
    assert.ok(body.includes("&Name=&"), body);
    const res = await raw(s.url, { headers: { "Content-Type": FORM }, body });
    assertAnswer(res, "CreateCompShareInstance", 0);
    const inst = await describeOne((res.body.UHostIds as string[])[0] as string);
    assert.equal(typeof inst.Name, "string");
    assert.notEqual(inst.Name, "");
    // Omitted (the Go SDK) verifies too.
    assertAnswer(await form("DescribeCompShareInstance", { ...REGION }), "DescribeCompShareInstance", 0);
    // An empty value in JSON, and an empty value in a query string.
    const j = await raw(s.url, {
      headers: { "Content-Type": JSON_TYPE },
      body: JSON.stringify(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "" }, s.keys)),
    });
    assertAnswer(j, "DescribeCompShareInstance", 0);
    const g = await raw(s.url, { method: "GET", path: `/?${formOf(signFlat({ Action: "DescribeCompShareInstance", ...REGION, Offset: "" }, s.keys))}` });
    assertAnswer(g, "DescribeCompShareInstance", 0);
  });

  it("takes an empty required value as missing (220), after the signature verified", async () => {
    const res = await raw(s.url, {
      headers: { "Content-Type": FORM },
      body: formOf(signFlat({ Action: "RebootCompShareInstance", ...REGION, UHostId: "" }, s.keys)),
    });
    assertAnswer(res, "RebootCompShareInstance", 220, "Missing params [UHostId]");
  });

  it("decodes + as a space in a form body and verifies the signature over the decoded value", async () => {
    const params = signFlat({ Action: "CreateCompShareInstance", ...CREATE, Name: "my gpu box" }, s.keys);
    const body = formOf(params).replace("Name=my%20gpu%20box", "Name=my+gpu+box");
    assert.ok(body.includes("Name=my+gpu+box"), body);
    const res = await raw(s.url, { headers: { "Content-Type": FORM }, body });
    assertAnswer(res, "CreateCompShareInstance", 0);
    assert.equal((await describeOne((res.body.UHostIds as string[])[0] as string)).Name, "my gpu box");
    // Signed over the undecoded "+" it does not verify.
    const wrong = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Name: "a+b" }, s.keys);
    const wrongBody = formOf(wrong).replace("Name=a%2Bb", "Name=a+b");
    assert.ok(wrongBody.includes("Name=a+b"), wrongBody);
    assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body: wrongBody }), "DescribeCompShareInstance", 171);
    // %2B is a literal plus.
    const plus = await form("CreateCompShareInstance", { ...CREATE, Remark: "a+b" });
    assertAnswer(plus, "CreateCompShareInstance", 0);
    assert.equal((await describeOne((plus.body.UHostIds as string[])[0] as string)).Remark, "a+b");
  });

  it("accepts a signed SecurityToken, and refuses one left out of the signature", async () => {
    const ok = await form("DescribeCompShareInstance", { ...REGION, SecurityToken: "some_stoken" });
    assertAnswer(ok, "DescribeCompShareInstance", 0);
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
    const res = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${formOf(params)}&SecurityToken=some_stoken` });
    assertAnswer(res, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
  });
});
