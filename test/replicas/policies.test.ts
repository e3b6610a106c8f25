/**
 * The lifecycle policies on two replicas of one PostgreSQL database, both passing every 100 ms:
 * no reclaim step is taken twice, and no hour is billed twice.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { call } from "../helpers/client.js";
import { poll } from "../helpers/process.js";
import { REGION } from "../helpers/server.js";
import { HOUR, offsetPlacing } from "../policies/helpers.js";
import { startCluster, type Cluster } from "./cluster.js";

describe("lifecycle policies on two replicas", () => {
  let c: Cluster | undefined;
  after(async () => {
    await c?.close();
  });

  it("takes each reclaim step once and bills each hour once", async () => {
    c = await startCluster(2, { OCS_POLICY_INTERVAL_MS: "100", OCS_SIM_BOOT_MS: "1000", OCS_INITIAL_BALANCE: "1000", OCS_LOG_LEVEL: "warn",
      // The reclaims fall due an hour ago: at 14:00 local, in the deletion window.
      OCS_POLICY_UTC_OFFSET_MIN: String(offsetPlacing(Date.now() - HOUR)),
    });
    const cluster = c;
    const [a] = cluster.replicas;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await call(a!.url, cluster.keys, "CreateCompShareInstance", {
        ...REGION,
        CPU: 16,
        Memory: 65536,
        GPU: 1,
        GpuType: "4090",
        MachineType: "G",
        CompShareImageId: "compshareImage-ubuntu2204",
        ChargeType: "Postpay",
      });
      assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
      ids.push(...(res.body.UHostIds as string[]));
    }
    await poll(async () => [...(await cluster.states(ids)).values()].every((s) => s === "Running"), 100, 600);
    const inArrears = ids.slice(0, 4);
    const billed = ids.slice(4);
    // Four instances 13 hours into their arrears; four that have run 5 hours without an order.
    await cluster.sql.query("update instances set arrears_since = $1 where id = any($2)", [Date.now() - 13 * HOUR, inArrears]);
    await cluster.sql.query("update instances set start_time = $1, billed_until = 0 where id = any($2)", [Date.now() - 5 * HOUR - 60_000, billed]);

    await poll(async () => {
      const left = await cluster.sql.query<{ n: string }>("select count(*) as n from instances where id = any($1)", [inArrears]);
      const hours = await cluster.sql.query<{ n: string }>("select count(*) as n from ledger where kind = 'hour' and instance_id = any($1)", [billed]);
      return Number(left.rows[0]?.n) === 0 && Number(hours.rows[0]?.n) >= billed.length * 5;
    }, 100, 600);
    // A few more passes of both replicas, to give a double a chance.
    await new Promise((r) => setTimeout(r, 500));

    const steps = await cluster.sql.query<{ instance_id: string; request_id: string; n: string }>(
      "select instance_id, request_id, count(*) as n from operations where request_id like 'policy:%' group by instance_id, request_id",
    );
    for (const id of inArrears) {
      const mine = steps.rows.filter((r) => r.instance_id === id);
      assert.deepEqual(mine.map((r) => r.request_id.split(":").pop()).sort(), ["expiry-notice", "reclaim", "reclaim-warning", "stop", "stop-warning"], id);
      for (const r of mine) assert.equal(Number(r.n), 1, `${r.request_id} once`);
    }
    const reclaims = await cluster.sql.query<{ status: string }>("select status from operations where action = 'ReclaimCompShareInstance'");
    assert.equal(reclaims.rows.length, inArrears.length);
    assert.ok(reclaims.rows.every((r) => r.status === "succeeded"));

    const hours = await cluster.sql.query<{ instance_id: string; n: string; starts: string }>(
      "select instance_id, count(*) as n, count(distinct period_start) as starts from ledger where kind = 'hour' and period_end - period_start = $1 group by instance_id",
      [HOUR],
    );
    for (const id of billed) {
      const row = hours.rows.find((r) => r.instance_id === id);
      assert.equal(Number(row?.n), 5, `${id}: five hours`);
      assert.equal(Number(row?.starts), 5);
    }
    const balance = await cluster.sql.query<{ balance_cents: string }>("select balance_cents from accounts where name = 'default'");
    const charged = await cluster.sql.query<{ total: string }>("select sum(amount_cents) as total from ledger where kind = 'hour'");
    assert.equal(Number(balance.rows[0]?.balance_cents), 100_000 + Number(charged.rows[0]?.total), "the balance is what the orders took, no more");
    assert.equal(Number(charged.rows[0]?.total), -billed.length * 5 * 166, "five hours of 1.66 CNY for each");
  });
});
