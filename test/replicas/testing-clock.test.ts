/**
 * Testing mode on two replicas of one PostgreSQL database: the clock's offset is a row of the
 * database, so an advance on one replica is the time of the other at once; a reclaim the advance
 * makes due is done before the answer, whichever replica then looks; a snapshot saved through one
 * replica is restored through the other, and the other's event stream follows the restored log.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { call } from "../helpers/client.js";
import type { ServerProcess } from "../helpers/process.js";
import { CREATE, REGION } from "../helpers/server.js";
import { clientOf, read } from "../events/helpers.js";
import { startCluster, type Cluster } from "./cluster.js";

const DAY = 86_400;

describe("testing mode on two replicas", () => {
  let c: Cluster | undefined;
  after(async () => {
    await c?.close();
  });

  const ok = async (via: ServerProcess, action: string, params: Record<string, string | number> = {}) => {
    const res = await call(via.url, (c as Cluster).keys, action, params);
    assert.equal(res.body.RetCode, 0, `${action}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  it("agrees on the clock at once, and applies the due work before answering", async () => {
    c = await startCluster(2, { OCS_TESTING: "1", OCS_SIM_BOOT_MS: "200" });
    const [a, b] = c.replicas as [ServerProcess, ServerProcess];
    const advanced = await ok(a, "AdvanceCompShareClock", { Seconds: 3600 });
    const seen = await ok(b, "DescribeCompShareClock");
    assert.equal(seen.OffsetSeconds, 3600, "replica b reads the offset replica a wrote");
    // The two replicas take their base time from the database: within a second of each other.
    assert.ok(Math.abs((seen.TimeMs as number) - (advanced.TimeMs as number)) < 5_000, JSON.stringify({ advanced, seen }));
    await ok(b, "AdvanceCompShareClock", { Seconds: 60 });
    assert.equal((await ok(a, "DescribeCompShareClock")).OffsetSeconds, 3660);

    // An instance of replica a, stopped; 8 days on through replica b: gone for replica a too.
    const created = await ok(a, "CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    const id = (created.UHostIds as string[])[0] as string;
    const state = async (via: ServerProcess) => ((await ok(via, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": id })).UHostSet as Array<{ State: string }>)[0]?.State;
    for (let i = 0; i < 200 && (await state(a)) !== "Running"; i++) await new Promise((r) => setTimeout(r, 50));
    await ok(a, "StopCompShareInstance", { ...REGION, UHostId: id });
    for (let i = 0; i < 200 && (await state(a)) !== "Stopped"; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await state(a), "Stopped");
    await ok(a, "SaveCompShareSnapshot", { Name: "stopped" });
    const reclaimed = await ok(b, "AdvanceCompShareClock", { Seconds: 8 * DAY });
    assert.ok((reclaimed.PolicySteps as number) >= 1, JSON.stringify(reclaimed));
    assert.equal(await state(a), undefined, "reclaimed: replica a no longer lists it");

    // The snapshot saved through a comes back through b, with its clock; a stream open on a follows
    // the replaced log: the next events (their ids below what a had read) reach it.
    const onA = read(clientOf(a.url, (c as Cluster).keys));
    await onA.until(() => true);
    await ok(b, "RestoreCompShareSnapshot", { Name: "stopped" });
    assert.equal(await state(a), "Stopped");
    assert.equal((await ok(a, "DescribeCompShareClock")).OffsetSeconds, 3660);
    await ok(b, "StartCompShareInstance", { ...REGION, UHostId: id });
    await onA.until((items) => items.some((e) => e.Kind === "instance.state" && "State" in e && e.State === "Running" && e.UHostId === id), "the restarted instance's events on replica a");
    await onA.close();
  });
});
