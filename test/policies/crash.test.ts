/**
 * kill -9 of a real server process in the middle of a reclaim, then a restart on the same data:
 * the reclaim completes, once, and every step of the timeline is in the history once. Time is
 * real (two processes); the instance is put 13 hours into its arrears by SQL, so that every step
 * is due at once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { call, type Keys } from "../helpers/client.js";
import { crashableServer, stateAt } from "../helpers/crash.js";
import { poll } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS, REGION } from "../helpers/server.js";
import { HOUR, offsetPlacing } from "./helpers.js";

interface Op {
  Action: string;
  Status: string;
  RequestId: string;
  Recovered: boolean;
  Source: string;
  Requester: string;
}

describe("a crash in the middle of a reclaim", () => {
  const crash = crashableServer("ocs-reclaim-crash", () => ({
    OCS_POLICY_INTERVAL_MS: "100",
    OCS_SIM_BOOT_MS: "6000",
    OCS_INITIAL_BALANCE: "0",
    // The reclaim falls due an hour ago: at 14:00 local, in the deletion window.
    OCS_POLICY_UTC_OFFSET_MIN: String(offsetPlacing(Date.now() - HOUR)),
  }));
  const keys: Keys = DEFAULT_KEYS;

  const ops = async (url: string, id: string): Promise<Op[]> =>
    (await call(url, keys, "DescribeCompShareInstanceOperations", { ...REGION, UHostId: id, Limit: 100 })).body.OperationSet as Op[];
  const exists = async (url: string, id: string) =>
    ((await call(url, keys, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": id })).body.UHostSet as unknown[]).length > 0;

  it("completes the reclaim after kill -9 and a restart, once", async () => {
    let server = await crash.start();
    const created = await call(server.url, keys, "CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    assert.equal(created.body.RetCode, 0, JSON.stringify(created.body));
    const id = (created.body.UHostIds as string[])[0] as string;
    const url1 = server.url;
    await poll(async () => (await stateAt(url1, id, keys)) === "Running", 100, 300);

    const sql = await crash.sql();
    await sql.run("update instances set arrears_since = ? where id = ?", [Date.now() - 13 * HOUR, id]);

    // The server takes every step; the reclaim is killed while it runs.
    await poll(async () => (await ops(url1, id)).some((o) => o.Action === "ReclaimCompShareInstance" && o.Status === "Running"), 20, 3000);
    assert.equal(await crash.kill9(), "SIGKILL");

    server = await crash.start();
    const url2 = server.url;
    await poll(async () => !(await exists(url2, id)), 100, 600);
    const history = await ops(url2, id);
    const reclaims = history.filter((o) => o.Action === "ReclaimCompShareInstance");
    assert.equal(reclaims.length, 1, JSON.stringify(history));
    assert.equal(reclaims[0]?.Status, "Succeeded");
    assert.equal(reclaims[0]?.Recovered, true, "the restarted server finished it");
    assert.deepEqual([reclaims[0]?.Source, reclaims[0]?.Requester], ["policy", "arrears:reclaim"], "asked by the lifecycle policy's step");
    const steps = history.filter((o) => o.RequestId.startsWith("policy:")).map((o) => o.RequestId.split(":").pop());
    assert.deepEqual(steps.slice().sort(), ["expiry-notice", "reclaim", "reclaim-warning", "stop", "stop-warning"]);
    const locks = await sql.run("select count(*) as n from instance_locks where instance_id = ?", [id]);
    assert.equal(Number(locks[0]?.n), 0, "no lock outlives the released instance");
  });
});
