/**
 * Replicas that die or stall: kill -9 of one replica while it runs operations, a replica paused
 * (SIGSTOP) past the lease and resumed, and a replica whose clock is an hour off.
 */
import assert from "node:assert/strict";
import { after, afterEach, describe, it } from "node:test";
import { call } from "../helpers/client.js";
import { poll, type ServerProcess } from "../helpers/process.js";
import { REGION } from "../helpers/server.js";
import { startCluster, type Cluster } from "./cluster.js";

const TTL_S = 8;
const ENV = {
  OCS_LOCK_TTL_S: String(TTL_S),
  OCS_LEASE_MS: "1000",
  OCS_RECOVERY_INTERVAL_MS: "200",
  OCS_SIM_BOOT_MS: "2000",
};

const TRANSITIONAL = ["Initializing", "Starting", "Stopping", "Rebooting", "Resizing"];

async function running(c: Cluster, ids: string[]): Promise<void> {
  await poll(async () => [...(await c.states(ids)).values()].every((s) => s === "Running"), 100, 600);
}

describe("replica failures on PostgreSQL", () => {
  let c: Cluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });
  after(async () => {
    await c?.close();
  });

  it("finishes the work of a replica killed with -9 within the lock TTL; no instance left in transit", async () => {
    c = await startCluster(3, ENV);
    const [a, b] = c.replicas as [ServerProcess, ServerProcess];
    const ids = await c.create(20);
    await running(c, ids);

    const answers = await Promise.all(ids.map((id) => call(a.url, c!.keys, "RebootCompShareInstance", { ...REGION, UHostId: id })));
    assert.ok(answers.every((r) => r.body.RetCode === 0));
    a.child.kill("SIGKILL");
    await a.exited;

    // The survivors take the orphans over once their leases lapse, and finish them.
    await poll(async () => {
      const res = await c!.sql.query<{ n: string }>("select count(*) as n from operations where status = 'running'");
      return Number(res.rows[0]?.n) === 0;
    }, 100, TTL_S * 10);
    const states = await c.states(ids, b);
    for (const id of ids) assert.ok(!TRANSITIONAL.includes(states.get(id) ?? ""), `${id} is ${states.get(id)}`);
    for (const id of ids) assert.equal(states.get(id), "Running");

    const ops = await c.sql.query<{ status: string; recovered: number; started_at: string; ended_at: string }>(
      "select status, recovered, started_at, ended_at from operations where action = 'RebootCompShareInstance'",
    );
    assert.equal(ops.rows.length, ids.length);
    for (const op of ops.rows) {
      assert.equal(op.status, "succeeded");
      assert.equal(Number(op.recovered), 1);
      assert.ok(Number(op.ended_at) - Number(op.started_at) <= TTL_S * 1000, "finished within the TTL");
    }
    const journal = await c.sql.query<{ machine_id: string; n: string }>(
      "select machine_id, count(*) as n from sim_journal where action = 'reboot' group by machine_id",
    );
    assert.equal(journal.rows.length, ids.length);
    for (const row of journal.rows) assert.equal(Number(row.n), 1, `${row.machine_id} rebooted once`);
    const locks = await c.sql.query<{ n: string }>("select count(*) as n from instance_locks where holder_op_id is not null");
    assert.equal(Number(locks.rows[0]?.n), 0);
  });

  it("does not let a replica paused past its lease overwrite what its successor wrote", async () => {
    // A long reboot, so that A is surely paused in its middle, even on a loaded machine (and a
    // lock TTL that a create of that length fits in).
    c = await startCluster(2, { ...ENV, OCS_SIM_BOOT_MS: "6000", OCS_LOCK_TTL_S: "30" });
    const [a, b] = c.replicas as [ServerProcess, ServerProcess];
    const [id] = await c.create(1);
    assert.ok(id);
    await running(c, [id]);

    assert.equal((await call(a.url, c.keys, "RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await poll(async () => {
      const r = await c!.sql.query<{ phase: string }>("select phase from operations where instance_id = $1 and action = 'RebootCompShareInstance'", [id]);
      return r.rows[0]?.phase === "rebooting";
    }, 10, 500);
    a.child.kill("SIGSTOP");
    const paused = await c.sql.query<{ status: string }>("select status from operations where instance_id = $1 and action = 'RebootCompShareInstance'", [id]);
    assert.equal(paused.rows[0]?.status, "running", "A was paused before it finished the reboot");

    // B takes the reboot over and finishes it, then stops the instance.
    await poll(async () => {
      const r = await c!.sql.query<{ status: string; recovered: number }>(
        "select status, recovered from operations where instance_id = $1 and action = 'RebootCompShareInstance'",
        [id],
      );
      return r.rows[0]?.status === "succeeded" && Number(r.rows[0]?.recovered) === 1;
    }, 100, 300);
    assert.equal((await call(b.url, c.keys, "StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await poll(async () => (await c!.states([id], b)).get(id) === "Stopped", 100, 300);

    // A wakes up with its reboot "done": its writes are refused by the fence.
    a.child.kill("SIGCONT");
    await poll(async () => a.output().includes("taken over by another runner"), 100, 300);
    assert.equal((await c.states([id], b)).get(id), "Stopped", "the stale replica did not write Running");
    const ops = await c.sql.query<{ action: string; status: string }>(
      "select action, status from operations where instance_id = $1 order by started_at",
      [id],
    );
    assert.deepEqual(
      ops.rows.map((o) => [o.action, o.status]),
      [
        ["CreateCompShareInstance", "succeeded"],
        ["RebootCompShareInstance", "succeeded"],
        ["StopCompShareInstance", "succeeded"],
      ],
    );
  });

  it("keeps locks and leases on the database's clock when a replica's own clock is an hour ahead", async () => {
    c = await startCluster(1, { ...ENV, OCS_SIM_BOOT_MS: "3000" });
    const [a] = c.replicas as [ServerProcess];
    const skewed = await c.start({ OCS_CLOCK_SKEW_MS: String(3_600_000) });
    const [id] = await c.create(1);
    assert.ok(id);
    await running(c, [id]);

    assert.equal((await call(a.url, c.keys, "RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    // To the skewed replica the lock would look expired an hour ago, were it not on the database's time.
    const duplicate = await call(skewed.url, c.keys, "RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(duplicate.body.RetCode, 226610);
    await poll(async () => (await c!.states([id])).get(id) === "Running", 100, 300);
    // Nor did it take the live operation over as an orphan.
    const ops = await c.sql.query<{ recovered: number }>("select recovered from operations where action = 'RebootCompShareInstance'");
    assert.deepEqual(ops.rows.map((o) => Number(o.recovered)), [0]);
  });
});
