/**
 * The database faults of the fault suite: PostgreSQL itself fails under load. A database of the
 * scenario's own on the suite's embedded PostgreSQL, two `ocs serve` replicas on it, 20 Running
 * instances of the simulated fleet, and:
 *
 * - crash: 10 reboots through replica 1, PostgreSQL killed with SIGKILL 0.4 s later and started
 *   again on the same data directory 5 s after that, while replica 1 is kept busy with a steady
 *   trickle of reboots of other instances for 40 s. The reboots whose end could not be recorded
 *   during the outage must be finished by recovery within OCS_LEASE_MS + OCS_RECOVERY_INTERVAL_MS
 *   (plus a margin) of PostgreSQL's return, however busy the replica (issue 27, defect 1).
 * - stall: the same load, PostgreSQL stopped with SIGSTOP for 20 s, then SIGCONT.
 *
 * Also here: `query`, the suite's own reads of a database (a fresh connection each time: it may
 * have been down), and `freshDatabase`, which the other scenarios make their databases with.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { NestedValue } from "@opencompshare/protocol";
import type { KillablePostgres } from "../../scripts/embedded-postgres.js";
import type { ServerProcess } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS, REGION } from "../helpers/server.js";
import { Api, enveloped, histogram, messages, type Answer } from "./api.js";
import { check, histogramOf, sample, say, secs } from "./checks.js";
import { checkStopped, spawnReplica, terminate } from "./processes.js";

// ---------------------------------------------------------------------------------------------
// Bounds and settings
/**
 * Longer than the outage: before the fix, the heartbeat of a busy replica renewed the leases of
 * the operations it had abandoned before they could lapse, so the defect shows every time (with
 * a lease shorter than the outage, they lapse meanwhile, and recovery races the heartbeat).
 */
const LEASE_MS = 12_000;
const RECOVERY_INTERVAL_MS = 1000;
const LOCK_TTL_S = 30;
const BOOT_MS = 1500;
/** How long after PostgreSQL answers again the abandoned operations may take to end: lease + interval + margin. */
const END_BOUND_MS = LEASE_MS + RECOVERY_INTERVAL_MS + 15_000;
const FIRST = 10;
const OTHERS = 10;
/** One reboot of another instance through replica 1 every TRICKLE_EVERY_MS, for TRICKLE_MS. */
const TRICKLE_MS = 40_000;
const TRICKLE_EVERY_MS = 300;
const MAX_IN_FLIGHT = 20;
const SETTLE_MAX_MS = 40_000;

// ---------------------------------------------------------------------------------------------
// The database, read by the suite directly (a fresh connection each time: it may have been down)

export async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface OpRow {
  id: string;
  instance_id: string;
  action: string;
  request_id: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  recovered: number;
}

/** A new, empty database `name` on `server`; resolves with its URL. */
export async function freshDatabase(server: { url: string }, name: string): Promise<string> {
  await query(server.url, `create database ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// One scenario: a database of its own, two replicas, instances, the load, the fault, the checks

export interface Fault {
  name: string;
  /** What is done to PostgreSQL 0.4 s after the first reboots were accepted; resolves when it answers again. */
  inject(pg: KillablePostgres): Promise<{ down: number; back: number }>;
  /** The longest an instance may stay transitional, and an accepted operation run. */
  transitBoundMs: number;
  /** How long a request may take before it counts as unanswered. */
  requestTimeoutMs: number;
  /** Whether `GET /readyz` must answer 503 during the fault (a stalled database makes it wait instead). */
  notReady: boolean;
}

export const CRASH: Fault = {
  name: "crash (kill -9, back 5 s later)",
  async inject(server) {
    const down = Date.now();
    await server.kill();
    say(`PostgreSQL killed (SIGKILL to the postmaster and its processes)`);
    await sleep(Math.max(0, down + 5000 - Date.now()));
    await server.restart();
    const back = Date.now();
    say(`PostgreSQL answers again on the same data directory and port, ${secs(back - down)} after the kill`);
    return { down, back };
  },
  transitBoundMs: LOCK_TTL_S * 1000,
  requestTimeoutMs: 20_000,
  notReady: true,
};

export const STALL: Fault = {
  name: "stall (SIGSTOP for 20 s, then SIGCONT)",
  async inject(server) {
    const down = Date.now();
    server.pause();
    say(`PostgreSQL stopped (SIGSTOP to the postmaster and its processes)`);
    await sleep(20_000);
    server.resume();
    const back = Date.now();
    say(`PostgreSQL continued (SIGCONT), ${secs(back - down)} after the stop`);
    return { down, back };
  },
  transitBoundMs: LOCK_TTL_S * 1000 + LEASE_MS + RECOVERY_INTERVAL_MS,
  requestTimeoutMs: 60_000,
  notReady: false,
};

/** Scenario `index` (its database is `ocs_faults_INDEX`): the replicas, the instances, the load, `fault`, the checks; the replicas stopped with SIGTERM. */
export async function databaseFault(server: KillablePostgres, fault: Fault, index: number): Promise<void> {
  const dbName = `ocs_faults_${index}`;
  const dbUrl = await freshDatabase(server, dbName);
  const dirs: string[] = [];
  const replicas: ServerProcess[] = [];
  const exits: string[] = [];
  const api = new Api();
  try {
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), "ocs-faults-"));
      dirs.push(dataDir);
      const replica = await spawnReplica(`scenario-${index}-replica-${i + 1}`, {
        OCS_DATA_DIR: dataDir,
        OCS_DATABASE_URL: dbUrl,
        OCS_MASTER_KEY: "a".repeat(64),
        OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
        OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
        OCS_SIM_BOOT_MS: String(BOOT_MS),
        OCS_LEASE_MS: String(LEASE_MS),
        OCS_RECOVERY_INTERVAL_MS: String(RECOVERY_INTERVAL_MS),
        OCS_LOCK_TTL_S: String(LOCK_TTL_S),
        OCS_RATE_LIMIT_RPS: "0",
        OCS_LOG_LEVEL: "warn",
      });
      replicas.push(replica);
      void replica.exited.then((how) => exits.push(`replica ${i + 1} exited (${String(how)})`));
    }
    const [r1, r2] = replicas as [ServerProcess, ServerProcess];
    say(`replicas on ${r1.url} and ${r2.url}, database ${dbName}`);

    // Instances, all Running.
    const ids: string[] = [];
    for (let i = 0; i < FIRST + OTHERS; i++) {
      const res = await api.call(replicas[i % 2] as ServerProcess, "CreateCompShareInstance", { ...CREATE, Name: `faults-${i}` }, 20_000);
      if (res.retCode !== 0) throw new Error(`create: ${JSON.stringify(res.body)} ${res.error}`);
      ids.push(...(res.body.UHostIds as string[]));
    }
    const describe = async (via: ServerProcess, which: string[]): Promise<Map<string, string>> => {
      const params: Record<string, NestedValue> = { ...REGION, Limit: 100 };
      which.forEach((id, k) => (params[`UHostIds.${k}`] = id));
      const res = await api.call(via, "DescribeCompShareInstance", params, 20_000);
      if (res.retCode !== 0) throw new Error(`describe: ${JSON.stringify(res.body)} ${res.error}`);
      return new Map((res.body.UHostSet as Array<{ UHostId: string; State: string }>).map((x) => [x.UHostId, x.State]));
    };
    let allRunning = false;
    for (let i = 0; i < 120 && !allRunning; i++) {
      const states = await describe(r2, ids);
      allRunning = ids.every((id) => states.get(id) === "Running");
      if (!allRunning) await sleep(250);
    }
    if (!allRunning) throw new Error("the instances did not all become Running in time");
    const first = ids.slice(0, FIRST);
    const others = ids.slice(FIRST);
    say(`${ids.length} instances Running; rebooting ${FIRST} through replica 1, then the fault`);

    // The first reboots, then the fault 0.4 s later, while the trickle keeps replica 1 busy.
    const t0 = Date.now();
    const firstAnswers = await Promise.all(first.map((id) => api.call(r1, "RebootCompShareInstance", { ...REGION, UHostId: id }, fault.requestTimeoutMs)));
    const firstAccepted = firstAnswers.filter((a) => a.retCode === 0);
    const accepted: Answer[] = [...firstAccepted];
    const trickleUntil = t0 + TRICKLE_MS;
    const trickle = (async () => {
      const pending = new Set<Promise<void>>();
      let next = 0;
      let skipped = 0;
      for (let tick = 0; tick < Math.ceil(TRICKLE_MS / TRICKLE_EVERY_MS) + 1 && Date.now() < trickleUntil; tick++) {
        if (pending.size < MAX_IN_FLIGHT) {
          const id = others[next++ % others.length] as string;
          const p = api.call(r1, "RebootCompShareInstance", { ...REGION, UHostId: id }, fault.requestTimeoutMs).then((a) => {
            if (a.retCode === 0) accepted.push(a);
          });
          pending.add(p);
          void p.finally(() => pending.delete(p));
        } else skipped++;
        await sleep(Math.max(0, t0 + (tick + 1) * TRICKLE_EVERY_MS - Date.now()));
      }
      await Promise.all(pending);
      return skipped;
    })();
    await sleep(Math.max(0, t0 + 400 - Date.now()));
    const injected = fault.inject(server);
    // The readiness probe, 2.5 s into the fault and once the database is back.
    const readyz = async (): Promise<string> => {
      const codes = await Promise.all(replicas.map((r) => fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((res) => String(res.status), (error: unknown) => `no answer (${String(error)})`)));
      return codes.join(", ");
    };
    await sleep(2500);
    const readyDuring = fault.notReady ? await readyz() : "";
    const { down, back } = await injected;
    const readyAfter = fault.notReady ? await readyz() : "";

    // While the trickle goes on, when did the first reboots end (as the database recorded it)?
    let firstEnded: number | null = null;
    for (let i = 0; i < 400 && firstEnded === null && Date.now() < trickleUntil + LEASE_MS + 10_000; i++) {
      const rows = await query<{ status: string; ended_at: string | null }>(dbUrl, "select status, ended_at from operations where request_id = any($1)", [firstAccepted.map((a) => a.requestId)]).catch(() => []);
      if (rows.length > 0 && rows.every((r) => r.status !== "running" && r.ended_at !== null)) {
        firstEnded = Math.max(...rows.map((r) => Number(r.ended_at)));
      } else await sleep(250);
    }
    const skipped = await trickle;
    say(`trickle over: ${accepted.length - firstAccepted.length} reboots of other instances accepted through replica 1 (${skipped} ticks skipped at ${MAX_IN_FLIGHT} in flight)`);

    // Everything settles (bounded).
    let running = -1;
    for (let i = 0; i < SETTLE_MAX_MS / 250 && running !== 0; i++) {
      running = Number((await query<{ n: string }>(dbUrl, "select count(*) as n from operations where status = 'running'").catch(() => [{ n: "-1" }]))[0]?.n);
      if (running !== 0) await sleep(250);
    }

    // -- the checks
    const outage = api.answers.filter((a) => a.at >= down && a.at <= back);
    const after = api.answers.filter((a) => a.at > back);
    check(`[${fault.name}] the first ${FIRST} reboots were accepted before the fault`, firstAccepted.length === FIRST, histogram(firstAnswers));
    check(
      `[${fault.name}] during the fault every API answer was an envelope with HTTP 200 (no 500, no reset)`,
      outage.length > 0 && outage.every(enveloped),
      `${outage.length} answers: ${histogram(outage)}${outage.some((a) => a.retCode === 8433) ? `\n8433 said: ${messages(outage, 8433)}` : ""}${outage.some((a) => !enveloped(a)) ? `\n${sample(outage.filter((a) => !enveloped(a)).map((a) => `${a.action} at +${secs(a.at - down)}: HTTP ${a.status} ${a.error}`))}` : ""}`,
    );
    const unavailable = outage.filter((a) => a.retCode === 8433);
    check(
      `[${fault.name}] every 8433 during the fault says the database does not answer and to try again (the RetCode the official SDKs retry)`,
      unavailable.every((a) => /database does not answer.*try again/.test(String(a.body.Message ?? ""))),
      `${unavailable.length} × 8433: ${messages(outage, 8433)}`,
    );
    check(`[${fault.name}] after it, every API answer was an envelope with HTTP 200`, after.every(enveloped), `${after.length} answers: ${histogram(after)}`);
    if (fault.notReady) {
      check(`[${fault.name}] GET /readyz answered 503 on both replicas during the fault, 200 once the database was back`, readyDuring === "503, 503" && readyAfter === "200, 200", `during: ${readyDuring}; after: ${readyAfter}`);
    }
    const firstOk = after.find((a) => a.action === "RebootCompShareInstance" && a.retCode === 0);
    if (firstOk) say(`first reboot accepted again ${secs(firstOk.at - back)} after PostgreSQL answered`);
    check(
      `[${fault.name}] the first ${FIRST} reboots ended within OCS_LEASE_MS + OCS_RECOVERY_INTERVAL_MS + 15 s (${secs(END_BOUND_MS)}) of PostgreSQL's return, with replica 1 busy`,
      firstEnded !== null && firstEnded - back <= END_BOUND_MS,
      firstEnded === null ? `they had not ended ${secs(LEASE_MS + 10_000)} after the trickle was over` : `the last ended ${secs(firstEnded - back)} after PostgreSQL answered again (${secs(firstEnded - t0)} after they were accepted)`,
    );
    check(`[${fault.name}] nothing is still running once settled`, running === 0, `${running} running`);

    // Through the API: the first ten Running, their reboots ended, each exactly once.
    const states = await describe(r2, ids);
    const stuck = ids.filter((id) => states.get(id) !== "Running").map((id) => `${id} ${states.get(id) ?? "missing"}`);
    check(`[${fault.name}] every instance is Running (none transitional)`, stuck.length === 0, stuck.length ? sample(stuck) : `${ids.length} Running`);
    const listed: string[] = [];
    const byRequest = new Map<string, Array<{ Status: string; OperationId: string }>>();
    for (const id of ids) {
      const res = await api.call(r1, "DescribeCompShareInstanceOperations", { Region: REGION.Region, UHostId: id, Limit: 100 }, 20_000);
      if (res.retCode !== 0) {
        listed.push(`${id}: DescribeCompShareInstanceOperations answered ${res.retCode} ${res.error}`);
        continue;
      }
      for (const op of res.body.OperationSet as Array<{ Status: string; OperationId: string; Action: string; RequestId: string }>) {
        if (op.Action !== "RebootCompShareInstance") continue;
        if (op.Status === "Running") listed.push(`${id}: ${op.OperationId} still Running`);
        byRequest.set(op.RequestId, [...(byRequest.get(op.RequestId) ?? []), op]);
      }
    }
    const notOnce = accepted.filter((a) => (byRequest.get(a.requestId) ?? []).length !== 1 || !["Succeeded", "Failed"].includes(byRequest.get(a.requestId)?.[0]?.Status ?? ""));
    const firstStatuses = firstAccepted.map((a) => byRequest.get(a.requestId)?.[0]?.Status ?? "missing");
    check(
      `[${fault.name}] every accepted reboot is listed once by DescribeCompShareInstanceOperations, Succeeded or Failed; none Running`,
      listed.length === 0 && notOnce.length === 0,
      `${accepted.length} accepted; the first ${FIRST}: ${histogramOf(firstStatuses)}${listed.length + notOnce.length ? `\n${sample([...listed, ...notOnce.map((a) => `${a.uhostId} request ${a.requestId}: ${JSON.stringify(byRequest.get(a.requestId) ?? [])}`)])}` : ""}`,
    );

    // In the database: one record per accepted request, one end event per operation, no operation longer than the bound.
    const rows = await query<OpRow>(dbUrl, "select id, instance_id, action, request_id, status, started_at, ended_at, recovered from operations where request_id = any($1)", [accepted.map((a) => a.requestId)]);
    const ends = await query<{ data: string }>(dbUrl, "select data from events where kind in ('operation.succeeded', 'operation.failed')");
    const endsOf = new Map<string, number>();
    for (const e of ends) {
      const opId = (JSON.parse(e.data) as { OperationId?: string }).OperationId ?? "";
      endsOf.set(opId, (endsOf.get(opId) ?? 0) + 1);
    }
    const wrong: string[] = [];
    for (const a of accepted) {
      const mine = rows.filter((r) => r.request_id === a.requestId);
      if (mine.length !== 1) wrong.push(`${a.uhostId} request ${a.requestId}: ${mine.length} records`);
      for (const r of mine) {
        if (r.status === "running" || r.ended_at === null) wrong.push(`${r.id}: ${r.status}, ended_at ${String(r.ended_at)}`);
        if (endsOf.get(r.id) !== 1) wrong.push(`${r.id}: ${endsOf.get(r.id) ?? 0} end events`);
      }
    }
    const recovered = rows.filter((r) => Number(r.recovered) === 1).length;
    check(`[${fault.name}] every accepted reboot ended exactly once (one final record, one end event)`, accepted.length > FIRST && wrong.length === 0, `${rows.length} records, ${recovered} finished by recovery${wrong.length ? `\n${sample(wrong)}` : ""}`);
    const longest = rows.filter((r) => r.ended_at !== null).map((r) => ({ r, ms: Number(r.ended_at) - Number(r.started_at) })).sort((x, y) => y.ms - x.ms);
    const tooLong = longest.filter((x) => x.ms > fault.transitBoundMs);
    check(
      `[${fault.name}] no instance stayed transitional (no operation ran) longer than ${secs(fault.transitBoundMs)}`,
      tooLong.length === 0 && rows.every((r) => r.ended_at !== null),
      `longest: ${longest[0] ? `${secs(longest[0].ms)} (${longest[0].r.instance_id})` : "none"}${tooLong.length ? `\n${sample(tooLong.map((x) => `${x.r.instance_id} ${x.r.id}: ${secs(x.ms)}`))}` : ""}`,
    );
    const locks = await query<{ instance_id: string; expires_at: string }>(dbUrl, "select instance_id, expires_at from instance_locks where holder_op_id is not null");
    check(`[${fault.name}] with everything idle, no lock is held`, locks.length === 0, locks.length ? sample(locks.map((l) => l.instance_id)) : "");
    check(`[${fault.name}] both replicas lived through it`, exits.length === 0, exits.join("; "));
    const abandoned = replicas.map((r) => r.output().split("\n").filter((l) => l.includes("could not record the failure")).length);
    const taken = replicas.map((r) => r.output().split("\n").filter((l) => l.includes("resuming orphaned operation")).length);
    say(`replica logs: "could not record the failure" ${abandoned.join(" + ")}, "resuming orphaned operation" ${taken.join(" + ")} (replica 1 + replica 2)`);
  } finally {
    checkStopped(fault.name, await terminate(replicas.map((r, i) => ({ label: `replica ${i + 1}`, ...r }))));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
