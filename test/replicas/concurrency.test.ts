/**
 * Three replicas on one PostgreSQL take 1,000 concurrent reboots of 100 instances: each accepted
 * reboot is executed by the driver exactly once, one at a time per instance, and ends with a
 * final record.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call } from "../helpers/client.js";
import { poll } from "../helpers/process.js";
import { REGION } from "../helpers/server.js";
import { startCluster, type Cluster } from "./cluster.js";

describe("three replicas, one PostgreSQL: 1,000 concurrent reboots of 100 instances", () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster(3, { OCS_SIM_BOOT_MS: "300", OCS_LEASE_MS: "3000", OCS_RECOVERY_INTERVAL_MS: "500" });
  });
  after(async () => {
    await c.close();
  });

  it("executes exactly the accepted reboots, one at a time per instance, none twice, each with a final record", async () => {
    const ids = await c.create(100);
    await poll(async () => [...(await c.states(ids)).values()].every((s) => s === "Running"), 100, 600);
    const journalBefore = await c.sql.query<{ n: string }>("select count(*) as n from sim_journal where action = 'reboot'");
    assert.equal(Number(journalBefore.rows[0]?.n), 0);

    const requests = Array.from({ length: 1000 }, (_, i) => {
      const id = ids[i % ids.length] as string;
      const replica = c.replicas[i % c.replicas.length];
      assert.ok(replica);
      return call(replica.url, c.keys, "RebootCompShareInstance", { ...REGION, UHostId: id }).then((res) => ({ id, code: res.body.RetCode }));
    });
    const answers = await Promise.all(requests);
    const accepted = new Map<string, number>();
    for (const a of answers) {
      assert.ok([0, 226610, 8905].includes(a.code), `unexpected RetCode ${a.code}`);
      if (a.code === 0) accepted.set(a.id, (accepted.get(a.id) ?? 0) + 1);
    }
    assert.ok(accepted.size > 0);

    // Everything settles: no running operation, every instance Running.
    await poll(async () => {
      const running = await c.sql.query<{ n: string }>("select count(*) as n from operations where status = 'running'");
      return Number(running.rows[0]?.n) === 0;
    }, 100, 600);
    const states = await c.states(ids);
    for (const id of ids) assert.equal(states.get(id), "Running", id);

    const ops = await c.sql.query<{ instance_id: string; status: string; n: string }>(
      "select instance_id, status, count(*) as n from operations where action = 'RebootCompShareInstance' group by instance_id, status",
    );
    const journal = await c.sql.query<{ machine_id: string; started_at: string; until: string }>(
      "select machine_id, started_at, until from sim_journal where action = 'reboot' order by machine_id, started_at",
    );
    for (const id of ids) {
      const want = accepted.get(id) ?? 0;
      const records = ops.rows.filter((r) => r.instance_id === id);
      assert.deepEqual(
        records.map((r) => [r.status, Number(r.n)]),
        want === 0 ? [] : [["succeeded", want]],
        `${id}: every accepted reboot has one final record`,
      );
      const runs = journal.rows.filter((r) => r.machine_id === id);
      assert.equal(runs.length, want, `${id}: the driver ran each accepted reboot once`);
      for (let k = 1; k < runs.length; k++) {
        assert.ok(Number(runs[k]?.started_at) >= Number(runs[k - 1]?.until), `${id}: reboots overlap`);
      }
    }
    const locks = await c.sql.query<{ n: string }>("select count(*) as n from instance_locks where holder_op_id is not null");
    assert.equal(Number(locks.rows[0]?.n), 0, "every lock was released");
  });
});
