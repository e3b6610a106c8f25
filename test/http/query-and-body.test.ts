/**
 * A query string and a body together (the Go SDK's `POST /?Action=X`): merged, and a key
 * named twice with different values refused naming the key.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { assertAnswer, assertRefusal, FORM, formOf, JSON_TYPE, raw, signFlat, wire } from "./raw.js";

describe("HTTP parsing: query and body together", () => {
  const s = serverForSuite();
  const { form } = wire(s);

  it("accepts Action in both the query and the body (Go SDK: POST /?Action=X)", async () => {
    const res = await form("DescribeCompShareInstance", REGION, s.keys, "/?Action=DescribeCompShareInstance");
    assertAnswer(res, "DescribeCompShareInstance", 0);
    const reboot = await form("RebootCompShareInstance", { ...REGION, UHostId: "uhost-nope" }, s.keys, "/?Action=RebootCompShareInstance");
    assertAnswer(reboot, "RebootCompShareInstance", 8039);
  });

  it("merges the query string with a body (Action only in the query)", async () => {
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "3" }, s.keys);
    const { Action: _action, ...rest } = params;
    const res = await raw(s.url, { path: "/?Action=DescribeCompShareInstance", headers: { "Content-Type": FORM }, body: formOf(rest) });
    assertAnswer(res, "DescribeCompShareInstance", 0);
  });

  it("refuses conflicting duplicate keys with 230 naming the key", async () => {
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "1" }, s.keys);
    const dupForm = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${formOf(params)}&Limit=2` });
    assertRefusal(dupForm, "Params [Limit] not available: given twice with different values");
    const dupQuery = await raw(s.url, { path: "/?Limit=2", headers: { "Content-Type": FORM }, body: formOf(params) });
    assertRefusal(dupQuery, "Params [Limit] not available: given twice with different values");
    const dupAction = await raw(s.url, { path: "/?Action=StopCompShareInstance", headers: { "Content-Type": FORM }, body: formOf(params) });
    assert.equal(dupAction.status, 200);
    assert.equal(dupAction.body.RetCode, 230, dupAction.text);
    assert.match(dupAction.body.Message ?? "", /^Params \[Action\] not available/);
    const dupGet = await raw(s.url, { method: "GET", path: `/?${formOf(params)}&Limit=3` });
    assert.equal(dupGet.body.RetCode, 230, dupGet.text);
    assert.match(dupGet.body.Message ?? "", /^Params \[Limit\] not available/);
  });

  it("names the Action in the envelope of a duplicate-key refusal (the Action itself is unambiguous)", async () => {
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: "1" }, s.keys);
    const dupForm = await raw(s.url, { headers: { "Content-Type": FORM }, body: `${formOf(params)}&Limit=2` });
    assertAnswer(dupForm, "DescribeCompShareInstance", 230, "Params [Limit] not available: given twice with different values");
    const dupQuery = await raw(s.url, { path: "/?Action=DescribeCompShareInstance&Limit=2", headers: { "Content-Type": FORM }, body: formOf(params) });
    assertAnswer(dupQuery, "DescribeCompShareInstance", 230, "Params [Limit] not available: given twice with different values");
  });

  it("refuses a JSON body where a flat key and a nested value collide with different values", async () => {
    // {"UHostIds.0":"uhost-a", …, "UHostIds":["uhost-b"]} names UHostIds.0 twice. Whichever of the two
    // values the client signed, the request is ambiguous and must be refused, not silently resolved.
    for (const signed of ["uhost-a", "uhost-b"]) {
      const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, "UHostIds.0": signed }, s.keys);
      const body = JSON.stringify({ ...params, "UHostIds.0": "uhost-a", UHostIds: ["uhost-b"] });
      const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
      assert.equal(res.status, 200);
      assert.equal(res.body.RetCode, 230, `signed ${signed}: ${res.text}`);
      assert.match(res.body.Message ?? "", /^Params \[UHostIds\.0\] not available/);
    }
  });
  it("refuses a JSON body that names the same key twice with different values", async () => {
    // JSON.parse keeps the last of duplicate names; a form with the same duplicate is refused (above).
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION, Limit: 2 }, s.keys);
    const body = JSON.stringify(params).replace('"Limit":2', '"Limit":1,"Limit":2');
    assert.ok(body.includes('"Limit":1,"Limit":2'), body);
    const res = await raw(s.url, { headers: { "Content-Type": JSON_TYPE }, body });
    assert.equal(res.status, 200);
    assert.equal(res.body.RetCode, 230, res.text);
    assert.match(res.body.Message ?? "", /^Params \[Limit\] not available/);
  });
});
