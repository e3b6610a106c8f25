/**
 * Testing mode and its guard: without OCS_TESTING every test control answers 161, as an Action
 * that does not exist; with it, only the operator's keys get an answer (299 for any other
 * account); /metrics says which mode the server runs in.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actions, type ActionContract } from "@opencompshare/protocol";
import { serverForSuite } from "../helpers/suite.js";

const CONTROLS = Object.values(actions as Record<string, ActionContract>).filter((a) => a.testing);

/** Parameters each control accepts, so that only the mode (not validation) decides the answer. */
const VALID: Record<string, Record<string, string | number>> = {
  ArmCompShareFault: { Method: "reboot", Mode: "fail" },
  AdvanceCompShareClock: { Seconds: 1 },
  SaveCompShareSnapshot: { Name: "s1" },
  RestoreCompShareSnapshot: { Name: "s1" },
  DeleteCompShareSnapshot: { Name: "s1" },
};

async function metric(url: string, name: string): Promise<string | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split("\n").find((l) => l.startsWith(`${name} `));
}

describe("test controls without testing mode", () => {
  const s = serverForSuite();

  it("lists ten controls, each marked as an extension", () => {
    assert.equal(CONTROLS.length, 10);
    for (const c of CONTROLS) assert.equal(c.extension, true, c.name);
  });

  it("answers 161 to every control, even with valid parameters and the operator's keys", async () => {
    for (const c of CONTROLS) {
      const res = await s.call(c.name, VALID[c.name] ?? {});
      assert.equal(res.body.RetCode, 161, `${c.name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.Message, `Action [${c.name}] not found`);
    }
  });

  it("shows ocs_testing_mode 0 in /metrics", async () => {
    assert.equal(await metric(s.url, "ocs_testing_mode"), "ocs_testing_mode 0");
  });
});

describe("test controls in testing mode", () => {
  const s = serverForSuite({ env: { OCS_TESTING: "1" } });

  it("refuses another account's keys with 299, and changes nothing", async () => {
    const other = await s.account("tester");
    const keys = { PublicKey: other.PublicKey, PrivateKey: other.PrivateKey };
    for (const c of CONTROLS) {
      const res = await s.call(c.name, VALID[c.name] ?? {}, keys);
      assert.equal(res.body.RetCode, 299, `${c.name}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.Message), /only the operator's \(default\) account/);
    }
    const clock = await s.call("DescribeCompShareClock");
    assert.equal(clock.body.RetCode, 0);
    assert.equal(clock.body.OffsetSeconds, 0);
    assert.equal((await s.call("DescribeCompShareFaults")).body.TotalCount, 0);
  });

  it("answers the operator", async () => {
    const res = await s.call("DescribeCompShareClock");
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    assert.equal(res.body.TimeMs, s.clock.now());
  });

  it("checks parameters with clear errors", async () => {
    const zero = await s.call("AdvanceCompShareClock", { Seconds: 0 });
    assert.equal(zero.body.RetCode, 230);
    assert.match(String(zero.body.Message), /Seconds/);
    const back = await s.call("AdvanceCompShareClock", { Seconds: -60 });
    assert.equal(back.body.RetCode, 230);
    const method = await s.call("ArmCompShareFault", { Method: "explode", Mode: "fail" });
    assert.equal(method.body.RetCode, 230);
    assert.match(String(method.body.Message), /Method/);
    const name = await s.call("SaveCompShareSnapshot", { Name: "../etc" });
    assert.equal(name.body.RetCode, 230);
    assert.equal((await s.call("DescribeCompShareClock")).body.OffsetSeconds, 0, "a refused advance moves nothing");
  });

  it("shows ocs_testing_mode 1 in /metrics", async () => {
    assert.equal(await metric(s.url, "ocs_testing_mode"), "ocs_testing_mode 1");
  });
});
