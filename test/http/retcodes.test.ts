/**
 * Every common RetCode with UCloud's wording: 160 no Action, 161 an unknown Action, 170/171/172
 * signature and key, 220 a missing parameter, 230 a value not accepted, 292 a foreign ProjectId.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CREATE, REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { assertAnswer, FORM, formOf, raw, signFlat, wire } from "./raw.js";

describe("HTTP parsing: the common RetCodes", () => {
  const s = serverForSuite();
  const { form, json, get } = wire(s);

  it("160: no Action", async () => {
    const noAction = signFlat({ ...REGION }, s.keys);
    const res = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(noAction) });
    assertAnswer(res, "", 160);
    const empty = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(signFlat({ Action: "", ...REGION }, s.keys)) });
    assertAnswer(empty, "", 160);
    assertAnswer(await raw(s.url, { method: "GET", path: "/" }), "", 160);
    assertAnswer(await raw(s.url, { method: "POST", path: "/", body: "" }), "", 160);
  });

  it("161: an Action that does not exist", async () => {
    assertAnswer(await form("DescribeUHostInstance", REGION), "DescribeUHostInstance", 161);
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "describecompshareinstance"]) {
      const res = await form(name, REGION);
      assert.equal(res.status, 200, name);
      assert.equal(res.body.RetCode, 161, `${name}: ${res.text}`);
    }
  });

  it("170: no Signature, or an empty one", async () => {
    const { Signature: _sig, ...unsigned } = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
    assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(unsigned) }), "DescribeCompShareInstance", 170);
    assertAnswer(
      await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf({ ...unsigned, Signature: "" }) }),
      "DescribeCompShareInstance",
      170,
    );
  });

  it('171: a wrong signature, with the Message "Signature VerifyAC Error"', async () => {
    const wrongKey = await form("DescribeCompShareInstance", REGION, { PublicKey: s.keys.PublicKey, PrivateKey: "not_my_private_key" });
    assertAnswer(wrongKey, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
    for (const signature of ["0".repeat(40), "abc", `${String(params.Signature)}0`, "zz".repeat(20)]) {
      const res = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf({ ...params, Signature: signature }) });
      assertAnswer(res, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
    }
    // A parameter changed after signing.
    const tampered = await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf({ ...params, Limit: "5" }) });
    assertAnswer(tampered, "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
  });

  it("authenticates before validating the parameters", async () => {
    const bad = { PublicKey: s.keys.PublicKey, PrivateKey: "wrong" };
    assertAnswer(await form("DescribeCompShareInstance", { ...REGION, Limit: "abc" }, bad), "DescribeCompShareInstance", 171);
    assertAnswer(await form("RebootCompShareInstance", REGION, bad), "RebootCompShareInstance", 171);
  });

  it('172: an unknown PublicKey, with the Message "User Not Exists"', async () => {
    const res = await form("DescribeCompShareInstance", REGION, { PublicKey: "nobody_public_key", PrivateKey: "x" });
    assertAnswer(res, "DescribeCompShareInstance", 172, "User Not Exists");
    const params = signFlat({ Action: "DescribeCompShareInstance", ...REGION }, s.keys);
    const { PublicKey: _pk, ...noKey } = params;
    assertAnswer(await raw(s.url, { headers: { "Content-Type": FORM }, body: formOf(noKey) }), "DescribeCompShareInstance", 172, "User Not Exists");
  });

  it("authenticates another account with its own keys, and not with a mix", async () => {
    const bob = await s.account("bob-parsing");
    assertAnswer(await form("DescribeCompShareInstance", REGION, bob), "DescribeCompShareInstance", 0);
    const mixed = { PublicKey: bob.PublicKey, PrivateKey: s.keys.PrivateKey };
    assertAnswer(await form("DescribeCompShareInstance", REGION, mixed), "DescribeCompShareInstance", 171, "Signature VerifyAC Error");
  });

  it('220: a missing parameter, "Missing params [UHostId]"', async () => {
    assertAnswer(await form("RebootCompShareInstance", REGION), "RebootCompShareInstance", 220, "Missing params [UHostId]");
    assertAnswer(await json("RebootCompShareInstance", REGION), "RebootCompShareInstance", 220, "Missing params [UHostId]");
    assertAnswer(await get("RebootCompShareInstance", REGION), "RebootCompShareInstance", 220, "Missing params [UHostId]");
  });

  it('230: a value that is not accepted, "Params [Limit] not available: expected an integer" for Limit=abc', async () => {
    assertAnswer(await form("DescribeCompShareInstance", { ...REGION, Limit: "abc" }), "DescribeCompShareInstance", 230, "Params [Limit] not available: expected an integer");
    assertAnswer(await get("DescribeCompShareInstance", { ...REGION, Limit: "abc" }), "DescribeCompShareInstance", 230, "Params [Limit] not available: expected an integer");
    assertAnswer(await json("DescribeCompShareInstance", { ...REGION, Limit: "abc" }), "DescribeCompShareInstance", 230, "Params [Limit] not available: expected an integer");
    assertAnswer(await form("DescribeCompShareInstance", { ...REGION, WithoutGpu: "maybe" }), "DescribeCompShareInstance", 230, "Params [WithoutGpu] not available: expected true or false");
    assertAnswer(await form("CreateCompShareInstance", { ...CREATE, ChargeType: "Weekly" }), "CreateCompShareInstance", 230, "Params [ChargeType] not available: one of Month, Day, Dynamic, Postpay, Spot, Year");
  });

  it("coerces form strings: Limit=10, Limit=42.0, WithoutGpu=TRUE", async () => {
    for (const [k, v] of [
      ["Limit", "10"],
      ["Limit", "42.0"],
      ["WithoutGpu", "TRUE"],
      ["WithoutGpu", "false"],
    ] as const) {
      assertAnswer(await form("DescribeCompShareInstance", { ...REGION, [k]: v }), "DescribeCompShareInstance", 0);
    }
  });

  it("292: a ProjectId that is not the caller's", async () => {
    const res = await form("DescribeCompShareInstance", { ...REGION, ProjectId: "org-does-not-exist" });
    assertAnswer(res, "DescribeCompShareInstance", 292);
    const carol = await s.account("carol-parsing");
    const foreign = await form("RebootCompShareInstance", { ...REGION, UHostId: "uhost-x", ProjectId: carol.ProjectId });
    assertAnswer(foreign, "RebootCompShareInstance", 292);
    assertAnswer(await form("DescribeCompShareInstance", { ...REGION, ProjectId: carol.ProjectId }, carol), "DescribeCompShareInstance", 0);
  });

  it("230: an unknown Region or Zone", async () => {
    const region = await form("RebootCompShareInstance", { Region: "cn-nowhere", Zone: "cn-wlcb-01", UHostId: "uhost-x" });
    assertAnswer(region, "RebootCompShareInstance", 230, "Params [Region] not available: cn-nowhere is not a region of this service (cn-wlcb, cn-sh2)");
    const zone = await form("RebootCompShareInstance", { Region: "cn-wlcb", Zone: "cn-wlcb-99", UHostId: "uhost-x" });
    assertAnswer(zone, "RebootCompShareInstance", 230, /^Params \[Zone\] not available: cn-wlcb-99 is not a zone of cn-wlcb \(cn-wlcb-01.*\)$/);
    const describeZone = await form("DescribeCompShareInstance", { Zone: "cn-nowhere-01" });
    assertAnswer(describeZone, "DescribeCompShareInstance", 230, /^Params \[Zone\] not available: cn-nowhere-01 is not a zone of .+ \(.*cn-wlcb-01.*\)$/);
    const create = await form("CreateCompShareInstance", { ...CREATE, Region: "cn-bj2" });
    assertAnswer(create, "CreateCompShareInstance", 230, /^Params \[Region\] not available: cn-bj2 is not a region of this service/);
  });
});
