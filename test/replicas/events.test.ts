/**
 * The event stream across two replicas of one PostgreSQL database: each replica's stream carries
 * the events written by both, in id order, exactly once; a stream read on one resumes on the
 * other; an id held by a transaction still open is waited for and a rolled-back one skipped; and
 * a listener whose connection is killed catches up after it reconnects.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { InstanceEvent, StreamItem } from "@opencompshare/sdk";
import pg from "pg";
import { call } from "../helpers/client.js";
import { poll } from "../helpers/process.js";
import { REGION } from "../helpers/server.js";
import { clientOf, read } from "../events/helpers.js";
import { startCluster, type Cluster } from "./cluster.js";

const idsOf = (items: StreamItem[]): number[] => items.map((e) => (e as InstanceEvent).EventId);

describe("events on two replicas", () => {
  let c: Cluster | undefined;
  after(async () => {
    await c?.close();
  });

  it("fans out every event to both replicas' streams, in order, once; resumes on the other replica", async () => {
    c = await startCluster(2, { OCS_SIM_BOOT_MS: "300" });
    const cluster = c;
    const [a, b] = cluster.replicas;
    const onA = read(clientOf(a!.url, cluster.keys));
    const onB = read(clientOf(b!.url, cluster.keys));
    await Promise.all([onA.until(() => true), onB.until(() => true)]);
    const account = (await cluster.sql.query<{ id: string }>("select id from accounts where name = 'default'")).rows[0]!.id;
    const logged = async (): Promise<number[]> =>
      (await cluster.sql.query<{ id: string }>("select id from events where account_id = $1 order by id", [account])).rows.map((r) => Number(r.id));

    // Concurrent writes on both replicas: their transactions commit out of id order.
    const ids = await cluster.create(12);
    await poll(async () => [...(await cluster.states(ids)).values()].every((s) => s === "Running"), 100, 300);

    const reboots = await Promise.all(ids.map((id, i) => call(cluster.replicas[i % 2]!.url, cluster.keys, "RebootCompShareInstance", { ...REGION, UHostId: id })));
    assert.ok(reboots.every((r) => r.body.RetCode === 0));
    await poll(async () => [...(await cluster.states(ids)).values()].every((s) => s === "Running"), 100, 300);

    // An id taken by a transaction that stays open while the replicas go on writing, and one rolled back.
    const held = new pg.Client({ connectionString: cluster.url });
    await held.connect();
    await held.query("begin");
    const heldRow = await held.query<{ id: string }>(
      "insert into events (account_id, instance_id, kind, data, created_at) values ($1, $2, 'policy.notice', '{\"Step\":\"held\"}', $3) returning id",
      [account, ids[0], Date.now()],
    );
    const heldId = Number(heldRow.rows[0]?.id);
    const rolled = new pg.Client({ connectionString: cluster.url });
    await rolled.connect();
    await rolled.query("begin");
    await rolled.query("insert into events (account_id, instance_id, kind, data, created_at) values ($1, $2, 'policy.notice', '{\"Step\":\"rolled\"}', $3)", [account, ids[1], Date.now()]);
    await rolled.query("rollback");
    await rolled.end();
    // Accepted on each replica: their acceptance events commit after the held id.
    const later = await Promise.all([2, 3].map((k) => call(cluster.replicas[k % 2]!.url, cluster.keys, "StopCompShareInstance", { ...REGION, UHostId: ids[k] })));
    assert.ok(later.every((r) => r.body.RetCode === 0));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await logged()).some((id) => id > heldId), "later events were committed");
    assert.ok(idsOf(onB.items).every((id) => id < heldId), "B waits at the open transaction's id");
    assert.ok(idsOf(onA.items).every((id) => id < heldId), "A too");
    await held.query("commit");
    await held.end();
    await poll(async () => [...(await cluster.states([ids[2]!, ids[3]!])).values()].every((s) => s === "Stopped"), 100, 300);

    const all = await logged();
    await onA.until((items) => items.length >= all.length, "every event on A");
    await onB.until((items) => items.length >= all.length, "every event on B");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(idsOf(onA.items), all, "A: every event of the account, in order, once");
    assert.deepEqual(idsOf(onB.items), all, "B: the same");
    assert.ok(onB.items.some((e) => e.Kind === "policy.notice" && (e as InstanceEvent).Step === "held"), "the held event came, late");
    assert.ok(!onB.items.some((e) => (e as InstanceEvent).Step === "rolled"), "the rolled-back one never did");
    await onA.close();

    // A position read on A resumes on B: the rest, exactly.
    const middle = all[Math.floor(all.length / 2)]!;
    const resumed = read(clientOf(b!.url, cluster.keys), { after: middle });
    const rest = all.filter((id) => id > middle);
    await resumed.until((items) => items.length >= rest.length, "the rest on B");
    await resumed.close();
    assert.deepEqual(idsOf(resumed.items), rest);

    // B's listening connection is killed: it reconnects, and what was written meanwhile arrives.
    const killed = await cluster.sql.query("select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'LISTEN%'");
    assert.ok(killed.rows.length >= 2, "both replicas listen on a connection of their own");
    const stop = await call(a!.url, cluster.keys, "StopCompShareInstance", { ...REGION, UHostId: ids[0]! });
    assert.equal(stop.body.RetCode, 0);
    await poll(async () => (await cluster.states([ids[0]!])).get(ids[0]!) === "Stopped", 100, 300);
    const now = await logged();
    await onB.until((items) => items.length >= now.length, "the events written while B reconnected");
    await onB.close();
    assert.deepEqual(idsOf(onB.items), now);
  });
});
