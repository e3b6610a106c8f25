/**
 * Every refusal names the rule it applies, in the API's own words: a 230 says what the value
 * should have been, and a state refusal names the states the action needs, never a made-up one.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NestedValue } from "@opencompshare/protocol";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

const NAME_RULE = "1 to 63 characters of Chinese, letters, digits, space and _ . , : -";

describe("refusals name their rule", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it("a Name too long gets the whole naming rule, as a Name with bad characters does", async () => {
    const id = await s.running();
    for (const name of ["x".repeat(300), "x".repeat(64), "a+b", "名字!"]) {
      const create = await s.call("CreateCompShareInstance", { ...CREATE, Name: name });
      assert.equal(create.body.RetCode, 230, name);
      assert.equal(create.body.Message, `Params [Name] not available: ${NAME_RULE}`, name);
      const rename = await s.call("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: name });
      assert.equal(rename.body.Message, `Params [Name] not available: ${NAME_RULE}`, name);
    }
    const ok = await s.call("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: `训练 node_1.a,b:c-${"x".repeat(40)}` });
    assert.equal(ok.body.RetCode, 0, JSON.stringify(ok.body));
  });

  it("a state refusal names the states the action needs, in the API's spelling", async () => {
    const id = await s.running();
    const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(start.body.RetCode, 8905);
    assert.equal(start.body.Message, `InstanceStateInvalid: instance ${id} is Running; StartCompShareInstance needs it to be Stopped, or in an unknown state`);
    assert.doesNotMatch(start.body.Message ?? "", /\bor unknown\b/);
    const stop = await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(stop.body.RetCode, 0);
    const reboot = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.match(reboot.body.Message ?? "", new RegExp(`^InstanceOperationInProgress: instance ${id} is locked by StopCompShareInstance`));
    await s.until(async () => (await s.state(id)) === "Stopped");
    const again = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(again.body.Message, `InstanceStateInvalid: instance ${id} is Stopped; RebootCompShareInstance needs it to be Running`);
  });

  it("every 230 of a malformed value says, after the parameter, what it should be", async () => {
    const bad: Array<[string, Record<string, NestedValue>, string]> = [
      ["DescribeCompShareInstance", { ...REGION, Limit: "-1" }, "Params [Limit] not available: at least 0"],
      ["DescribeCompShareInstance", { ...REGION, Limit: "ten" }, "Params [Limit] not available: expected an integer"],
      ["DescribeCompShareInstance", { ...REGION, UHostIds: Array.from({ length: 101 }, (_, i) => `uhost-${i}`) }, "Params [UHostIds] not available: at most 100 items (101 given)"],
      ["RebootCompShareInstance", { ...REGION, UHostId: "u".repeat(65) }, "Params [UHostId] not available: at most 64 characters (65 given)"],
      ["CreateCompShareInstance", { ...CREATE, ChargeType: "Weekly" }, "Params [ChargeType] not available: one of Month, Day, Dynamic, Postpay, Spot, Year"],
      ["CreateCompShareInstance", { ...CREATE, Password: "not base64!" }, "Params [Password] not available: the password base64-encoded, at most 512 characters"],
      [
        "DescribeCompShareInstance",
        { ...REGION, Limit: "-1", Offset: "x" },
        "Params [Offset, Limit] not available: Offset expected an integer; Limit at least 0",
      ],
    ];
    for (const [action, params, message] of bad) {
      const res = await s.call(action, params);
      assert.equal(res.body.RetCode, 230, `${action} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.Message, message);
    }
  });
});
