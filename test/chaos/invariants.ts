/**
 * The soak's invariants, checked in the database and through the API once the system is quiet
 * after the final restart: every accepted operation ended with a record, no transitional state,
 * no lock held, GPUs given exactly, accounts isolated, no internal error, no unexpected exit.
 * Each is printed with its result.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { auditLedger, type Store } from "@opencompshare/server";
import { runningOps } from "./crashes.js";
import { QUIET_MAX_MS, REGION, TRANSITIONAL } from "./settings.js";
import { accepted, accounts, api, cross, internalErrors, listedForeign, processes, unexpectedExits } from "./state.js";
import { checkListed } from "./traffic.js";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export const checks: Check[] = [];
export function check(name: string, ok: boolean, detail: string): void {
  checks.push({ name, ok, detail });
  console.log(`${ok ? "PASS" : "FAIL"}  ${name}${detail ? `\n        ${detail.replaceAll("\n", "\n        ")}` : ""}`);
}

/** An 8433 answer with the error the server logged for its request id. */
export function withServerLog(line: string): string {
  const reqId = /request ([0-9a-f-]{36})/.exec(line)?.[1];
  if (!reqId) return line;
  for (const p of processes) {
    const logged = p.output().split("\n").find((l) => l.includes(reqId) && l.includes('"err"'));
    if (!logged) continue;
    try {
      const err = (JSON.parse(logged) as { err?: { message?: string; code?: string } }).err;
      return `${line}\n  server log: ${err?.code ?? ""} ${err?.message ?? logged}`;
    } catch {
      return `${line}\n  server log: ${logged.slice(0, 500)}`;
    }
  }
  return line;
}

export const sample = (xs: string[], n = 8): string => (xs.length > n ? `${xs.slice(0, n).join("\n")}\n… and ${xs.length - n} more` : xs.join("\n"));

export async function quiet(store: Store): Promise<{ quiet: boolean; waitedMs: number }> {
  const t0 = Date.now();
  while (Date.now() - t0 < QUIET_MAX_MS) {
    const [ops, transitional, tasks, recycling, making] = await Promise.all([
      runningOps(store),
      store.db.selectFrom("instances").select("id").where("state", "in", TRANSITIONAL).execute(),
      store.db.selectFrom("instances").select("id").where("task", "is not", null).execute(),
      store.db.selectFrom("instances").select("id").where("recycling", "=", 1).execute(),
      store.db.selectFrom("images").select("id").where("status", "=", "Making").execute(),
    ]);
    if (ops === 0 && transitional.length === 0 && tasks.length === 0 && recycling.length === 0 && making.length === 0) {
      return { quiet: true, waitedMs: Date.now() - t0 };
    }
    await sleep(250);
  }
  return { quiet: false, waitedMs: Date.now() - t0 };
}

export async function invariants(store: Store, quietResult: { quiet: boolean; waitedMs: number }, finalExit: number | string | null): Promise<void> {
  const db = store.db;
  console.log("\n== invariants");
  check(
    "the system became quiet after the final restart (no running operation, transitional state, task, reclaim or image being made)",
    quietResult.quiet,
    `after ${(quietResult.waitedMs / 1000).toFixed(1)} s (bound ${QUIET_MAX_MS / 1000} s)`,
  );

  // 1. Every accepted operation has a final record.
  const ids = [...new Set(accepted.map((a) => a.requestId))];
  const rows: Array<{ request_id: string; id: string; action: string; status: string; ended_at: number | null; instance_id: string }> = [];
  for (let i = 0; i < ids.length; i += 500) {
    rows.push(...(await db.selectFrom("operations").select(["request_id", "id", "action", "status", "ended_at", "instance_id"]).where("request_id", "in", ids.slice(i, i + 500)).execute()));
  }
  const byRequest = new Map<string, typeof rows>();
  for (const r of rows) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r]);
  const missing: string[] = [];
  const unfinished: string[] = [];
  for (const a of accepted) {
    const ops = (byRequest.get(a.requestId) ?? []).filter((o) => o.instance_id === a.uhostId && o.action === a.action);
    if (ops.length === 0) missing.push(`${a.account} ${a.action} ${a.uhostId} (request ${a.requestId}): no operation record`);
    for (const o of ops) {
      if (!(o.status === "succeeded" || o.status === "failed") || o.ended_at === null) unfinished.push(`${a.account} ${a.action} ${a.uhostId} (${o.id}): status ${o.status}, ended_at ${String(o.ended_at)}`);
    }
  }
  const statuses = new Map<string, number>();
  for (const r of rows) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const recovered = await db.selectFrom("operations").select((eb) => eb.fn.countAll<number>().as("n")).where("recovered", "=", 1).executeTakeFirstOrThrow();
  check(
    "every accepted operation has a final record (succeeded or failed, ended_at set)",
    accepted.length > 0 && missing.length === 0 && unfinished.length === 0,
    `${accepted.length} accepted: ${[...statuses].map(([s, n]) => `${n} ${s}`).join(", ")}; ${Number(recovered.n)} operations finished by recovery${missing.length + unfinished.length > 0 ? `\n${sample([...missing, ...unfinished])}` : ""}`,
  );
  const anyRunning = await runningOps(store);
  check("no operation at all is still running", anyRunning === 0, `${anyRunning} running`);

  // 2. No transitional state, in the database and through the API.
  const transitional = await db.selectFrom("instances").select(["id", "state"]).where("state", "in", TRANSITIONAL).execute();
  const seenByApi: string[] = [];
  let apiFailures = 0;
  for (const acct of accounts) {
    const res = await api(acct, "DescribeCompShareInstance", { ...REGION, Limit: 100 });
    if (res.retCode !== 0) {
      apiFailures++;
      continue;
    }
    for (const inst of res.body.UHostSet as Array<{ UHostId: string; State: string }>) {
      checkListed(acct, inst.UHostId, "final DescribeCompShareInstance");
      if (TRANSITIONAL.includes(inst.State)) seenByApi.push(`${acct.name} ${inst.UHostId} ${inst.State}`);
      const ops = await api(acct, "DescribeCompShareInstanceOperations", { Region: REGION.Region, UHostId: inst.UHostId, Limit: 100 });
      for (const op of (ops.body.OperationSet as Array<{ Status: string; Action: string; OperationId: string }> | undefined) ?? []) {
        if (op.Status === "Running") seenByApi.push(`${acct.name} ${inst.UHostId}: operation ${op.OperationId} ${op.Action} still Running`);
      }
    }
  }
  const states = await db.selectFrom("instances").select(["state"]).execute();
  const stateCounts = new Map<string, number>();
  for (const s of states) stateCounts.set(s.state || '""', (stateCounts.get(s.state || '""') ?? 0) + 1);
  check(
    "no instance is in a transitional state (database and API)",
    transitional.length === 0 && seenByApi.length === 0 && apiFailures === 0,
    `${states.length} instances: ${[...stateCounts].map(([s, n]) => `${n} ${s}`).join(", ")}${transitional.length + seenByApi.length > 0 ? `\n${sample([...transitional.map((t) => `${t.id} ${t.state}`), ...seenByApi])}` : ""}${apiFailures ? `\n${apiFailures} final Describe calls failed` : ""}`,
  );

  // 3. Locks.
  const now = Date.now();
  const held = await db.selectFrom("instance_locks").select(["instance_id", "holder_op_id", "expires_at"]).where("holder_op_id", "is not", null).execute();
  const expired = held.filter((l) => Number(l.expires_at) <= now);
  check("no lock is held past its TTL", expired.length === 0, expired.length ? sample(expired.map((l) => `${l.instance_id} held by ${l.holder_op_id} expired ${now - Number(l.expires_at)} ms ago`)) : "");
  check("with everything idle, no lock is held", held.length === 0, held.length ? sample(held.map((l) => `${l.instance_id} held by ${l.holder_op_id}`)) : "");

  // 4. Placement: every instance holds exactly its GPUs, no GPU is given twice or to a gone instance, and hosts count what they hold.
  const given = await db.selectFrom("host_gpus").select(["host_id", "device", "instance_id"]).where("instance_id", "is not", null).execute();
  const instances = await db.selectFrom("instances").select(["id", "gpu", "cpu", "memory", "host_id"]).execute();
  const hosts = await db.selectFrom("hosts").select(["id", "used_cpus", "used_memory_mb"]).execute();
  const mismatches: string[] = [];
  const byInstance = new Map<string, number>();
  for (const g of given) byInstance.set(g.instance_id as string, (byInstance.get(g.instance_id as string) ?? 0) + 1);
  for (const i of instances) {
    const n = byInstance.get(i.id) ?? 0;
    if (n !== Number(i.gpu)) mismatches.push(`${i.id}: holds ${n} GPUs, has ${Number(i.gpu)}`);
    byInstance.delete(i.id);
  }
  for (const [id, n] of byInstance) mismatches.push(`${n} GPUs given to ${id}, which no longer exists`);
  for (const h of hosts) {
    const on = instances.filter((i) => i.host_id === h.id);
    const cpus = on.reduce((sum, i) => sum + Number(i.cpu), 0);
    const memory = on.reduce((sum, i) => sum + Number(i.memory), 0);
    if (cpus !== Number(h.used_cpus) || memory !== Number(h.used_memory_mb)) mismatches.push(`${h.id}: counts ${h.used_cpus} CPUs and ${h.used_memory_mb} MB, its instances hold ${cpus} and ${memory}`);
  }
  check("every instance holds exactly its GPUs, none is given twice or to a gone instance, and hosts count what they hold", mismatches.length === 0, mismatches.length ? sample(mismatches) : `${given.length} GPUs given, ${instances.length} instances`);

  // 5. Isolation.
  check(
    "every cross-account attempt was answered 8039 (or found nothing)",
    cross.violations.length === 0 && cross.notFound > 0,
    `${cross.attempts} attempts: ${cross.notFound} not found, ${cross.neutral} without an answer (server down)${cross.violations.length ? `\n${sample(cross.violations)}` : ""}`,
  );
  check("no listing of one account ever showed another's instance", listedForeign.length === 0, listedForeign.length ? sample(listedForeign) : "");
  const owners = await db.selectFrom("instances").select(["id", "account_id"]).execute();
  const wrongOwner: string[] = [];
  for (const o of owners) {
    const creator = accounts.find((a) => a.created.has(o.id));
    if (creator && creator.accountId !== o.account_id) wrongOwner.push(`${o.id} created by ${creator.name} belongs to ${o.account_id}`);
  }
  check("every instance still belongs to the account that created it", wrongOwner.length === 0, wrongOwner.length ? sample(wrongOwner) : "");

  // 6. Money: every balance is the sum of its paid ledger entries, and no prepaid instance was made without its charge.
  const audit = await auditLedger(db);
  check(
    "every balance is the sum of its paid ledger entries, and every prepaid instance has its purchase",
    audit.unbalanced.length === 0 && audit.unbought.length === 0,
    `${audit.accounts} accounts${audit.unbalanced.length ? `\n${sample(audit.unbalanced.map((a) => `${a.accountId}: balance ${a.balanceCents} fen, paid entries ${a.paidSumCents}`))}` : ""}${audit.unbought.length ? `\nnot bought: ${sample(audit.unbought)}` : ""}`,
  );

  // And the server itself.
  // A synchronous driver call (deleting an image) that fails by injection answers 8433, nothing
  // changed: expected. Any other 8433 is a bug.
  const explained = internalErrors.map(withServerLog);
  const injected = explained.filter((l) => /server log: .*driver \w+: injected failure/.test(l));
  const unexplained = explained.filter((l) => !injected.includes(l));
  check(
    "no answer was an internal error (8433), but for a synchronous driver call failing by injection",
    unexplained.length === 0,
    `${injected.length} by injected driver failures${unexplained.length ? `\n${sample(unexplained)}` : ""}`,
  );
  check("the server never exited on its own; the final SIGTERM stopped it with code 0", unexpectedExits.length === 0 && finalExit === 0, [...unexpectedExits, `SIGTERM exit: ${String(finalExit)}`].join("\n"));
}
