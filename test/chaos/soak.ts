/**
 * The chaos soak (`npm run test:chaos`): a real `ocs serve` on SQLite, several accounts sending
 * a random mix of lifecycle actions concurrently (and trying each other's instances), the
 * simulated driver failing, hanging and dragging on request, and the server killed with
 * SIGKILL and restarted twice. After a final restart and a quiet period, the invariants are
 * checked in the database and through the API, each printed with its result, then
 * `N passed, M failed`; the exit code is non-zero when any failed.
 *
 * Bounded to about two minutes: traffic for TRAFFIC_MS, a bounded quiet period, a watchdog.
 * Traffic goes to 127.0.0.1 only. OCS_CHAOS_SEED replays the same choices (timing still varies).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { flatten, sign, type NestedValue } from "@opencompshare/protocol";
import { openStore, type Store } from "@opencompshare/server";
import { armFault, type FaultSpec } from "@opencompshare/server/testing";
import { loadCatalog } from "../../packages/server/src/catalog/catalog.js";
import { sizesOf } from "../../packages/server/src/catalog/sizes.js";
import type { Keys } from "../helpers/client.js";
import { OCS_BIN, spawnServer, type ServerProcess } from "../helpers/process.js";

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Bounds and settings

const TRAFFIC_MS = 70_000;
/** When, from the start of traffic, the server is killed with SIGKILL and restarted. */
const KILLS_AT_MS = [22_000, 47_000];
const QUIET_MAX_MS = 40_000;
const WATCHDOG_MS = 170_000;
const REQUEST_TIMEOUT_MS = 15_000;
const ACCOUNTS = ["ana", "bo", "chen", "dara"];
const WORKERS_PER_ACCOUNT = 2;
const MAX_OWN_INSTANCES = 4;
const REGION = { Region: "cn-wlcb", Zone: "cn-wlcb-01" };
const GPU_TYPES = ["4090", "4090", "3090", "A800", "H20"];
const CATALOG = loadCatalog(undefined);
/** A valid size of `gpuType` with `gpus` GPUs (CPU and memory follow the GPU count), as Create and Resize take it. */
function sizeOf(gpuType: string, gpus: number): { GPU: number; CPU: number; Memory: number } {
  const type = CATALOG.gpuType(gpuType);
  const size = type ? sizesOf(type).find((x) => x.gpu === gpus) : undefined;
  if (!size) throw new Error(`no ${gpus}-GPU size of ${gpuType} in the catalog`);
  return { GPU: gpus, CPU: size.cpu, Memory: 1024 * (size.memoryGb[int(0, size.memoryGb.length - 1)] as number) };
}
const PLATFORM_IMAGES = ["compshareImage-ubuntu2204", "compshareImage-pytorch24", "compshareImage-comfyui"];
const TRANSITIONAL = ["Initializing", "Starting", "Stopping", "Rebooting", "Resizing"];
/** Actions that are operations: a RetCode 0 answer means one was accepted and must end with a record. */
const OPERATIONS = new Set([
  "CreateCompShareInstance",
  "StartCompShareInstance",
  "StopCompShareInstance",
  "RebootCompShareInstance",
  "TerminateCompShareInstance",
  "ResetCompShareInstancePassword",
  "ReinstallCompShareInstance",
  "ResizeCompShareInstance",
  "CreateCompShareCustomImage",
]);
const FAULT_METHODS = ["provision", "powerOn", "powerOff", "reboot", "hardReboot", "status", "snapshot", "buildImage", "reinstall", "resize", "resetPassword", "destroy", "deleteImage"];

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (line: string) => console.log(`[${elapsed()}] ${line}`);

// ---------------------------------------------------------------------------------------------
// A seeded random source (mulberry32): the same choices for the same seed.

const SEED = Number(process.env.OCS_CHAOS_SEED ?? Date.now() % 1_000_000);
let seedState = SEED >>> 0;
const random = (): number => {
  seedState = (seedState + 0x6d2b79f5) >>> 0;
  let t = seedState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pick = <T>(xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)]);
function weighted<T>(choices: Array<[number, T]>): T {
  const total = choices.reduce((s, [w]) => s + w, 0);
  let r = random() * total;
  for (const [w, v] of choices) {
    r -= w;
    if (r < 0) return v;
  }
  return (choices[choices.length - 1] as [number, T])[1];
}

// ---------------------------------------------------------------------------------------------
// State of the run

interface Account {
  name: string;
  keys: Keys;
  accountId: string;
  /** Instances it created (every id a RetCode 0 Create returned): for isolation checks. */
  created: Set<string>;
  /** Its instances as last seen, with their state. */
  own: Map<string, string>;
  /** The GPU type of each instance it created (a resize keeps it). */
  types: Map<string, string>;
  images: string[];
}

interface Accepted {
  account: string;
  action: string;
  uhostId: string;
  requestId: string;
}

interface Answer {
  retCode: number | null;
  body: Record<string, unknown>;
  requestId: string;
}

const accounts: Account[] = [];
const accepted: Accepted[] = [];
const stats = new Map<string, Map<string, number>>();
const cross = { attempts: 0, notFound: 0, neutral: 0, violations: [] as string[] };
const listedForeign: string[] = [];
const internalErrors: string[] = [];
const unexpectedExits: string[] = [];
let server: ServerProcess | undefined;
/** Every server process of the run, for their logs. */
const processes: ServerProcess[] = [];
let killing = false;

const count = (action: string, outcome: string) => {
  const m = stats.get(action) ?? new Map<string, number>();
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
  stats.set(action, m);
};

/** A signed form POST to the current server; null RetCode when the server could not be reached (killed, restarting). */
async function api(acct: Account, action: string, params: Record<string, NestedValue>): Promise<Answer> {
  const current = server;
  if (!current) return { retCode: null, body: {}, requestId: "" };
  const flat = flatten({ Action: action, ...params, PublicKey: acct.keys.PublicKey });
  flat.Signature = sign(flat, acct.keys.PrivateKey);
  const body = new URLSearchParams(Object.entries(flat).map(([k, v]): [string, string] => [k, v === null ? "" : String(v)]));
  try {
    const res = await fetch(`${current.url}/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const json = (await res.json()) as Record<string, unknown>;
    const retCode = typeof json.RetCode === "number" ? json.RetCode : -1;
    count(action, String(retCode));
    if (retCode === 8433) internalErrors.push(`${acct.name} ${action}: ${String(json.Message)}`);
    return { retCode, body: json, requestId: res.headers.get("x-ucloud-request-uuid") ?? "" };
  } catch {
    count(action, "no answer");
    return { retCode: null, body: {}, requestId: "" };
  }
}

/** Calls an action on one of the caller's instances; records an accepted operation. */
async function onInstance(acct: Account, action: string, uhostId: string, extra: Record<string, NestedValue> = {}): Promise<Answer> {
  const res = await api(acct, action, { ...REGION, UHostId: uhostId, ...extra });
  if (res.retCode === 0 && OPERATIONS.has(action)) accepted.push({ account: acct.name, action, uhostId, requestId: res.requestId });
  return res;
}

// ---------------------------------------------------------------------------------------------
// The traffic: what one worker of an account does, step by step

const ownIn = (acct: Account, ...states: string[]): string | undefined => {
  const all = [...acct.own.keys()];
  // Mostly an instance in a state the action accepts; sometimes any, to meet the refusals too.
  const fitting = all.filter((id) => states.includes(acct.own.get(id) ?? ""));
  return random() < 0.75 && fitting.length > 0 ? pick(fitting) : pick(all);
};

async function describe(acct: Account): Promise<void> {
  const res = await api(acct, "DescribeCompShareInstance", { ...REGION, Limit: 100 });
  if (res.retCode !== 0) return;
  const set = (res.body.UHostSet as Array<{ UHostId: string; State: string }> | undefined) ?? [];
  acct.own.clear();
  for (const inst of set) {
    checkListed(acct, inst.UHostId, "DescribeCompShareInstance");
    acct.own.set(inst.UHostId, inst.State);
  }
}

/** A listed instance must be the caller's: never one another account created. */
function checkListed(acct: Account, id: string, how: string): void {
  const owner = accounts.find((a) => a !== acct && a.created.has(id));
  if (owner) listedForeign.push(`${how} of ${acct.name} listed ${id} of ${owner.name}`);
}

const password = () => Buffer.from(`pw-${int(0, 1e9)}`).toString("base64");

async function crossAttempt(acct: Account): Promise<void> {
  const other = pick(accounts.filter((a) => a !== acct)) as Account;
  const id = pick([...other.created]);
  if (!id) return;
  const action = pick([
    "StartCompShareInstance",
    "StopCompShareInstance",
    "RebootCompShareInstance",
    "TerminateCompShareInstance",
    "ResetCompShareInstancePassword",
    "ReinstallCompShareInstance",
    "ResizeCompShareInstance",
    "ModifyCompShareInstanceName",
    "CreateCompShareCustomImage",
    "DescribeCompShareInstanceOperations",
    "UpdateCompShareStopScheduler",
    "DeleteCompShareStopScheduler",
    "DescribeCompShareInstance",
  ]) as string;
  cross.attempts++;
  if (action === "DescribeCompShareInstance") {
    const res = await api(acct, action, { ...REGION, "UHostIds.0": id });
    if (res.retCode === null || res.retCode === 153) return void cross.neutral++;
    const set = (res.body.UHostSet as Array<{ UHostId: string }> | undefined) ?? [];
    if (res.retCode !== 0 || set.some((i) => i.UHostId === id)) cross.violations.push(`${acct.name} Describe of ${other.name}'s ${id}: RetCode ${res.retCode}, ${set.length} listed`);
    else cross.notFound++;
    return;
  }
  const extra: Record<string, NestedValue> = {
    ResetCompShareInstancePassword: { Password: password() },
    ReinstallCompShareInstance: { CompShareImageId: PLATFORM_IMAGES[0] as string },
    ResizeCompShareInstance: (({ GPU, CPU, Memory }) => ({ Gpu: GPU, Cpu: CPU, Memory }))(sizeOf("4090", 1)),
    ModifyCompShareInstanceName: { Name: `taken-by-${acct.name}` },
    CreateCompShareCustomImage: { Name: `stolen-by-${acct.name}` },
    UpdateCompShareStopScheduler: { StopTime: Math.floor(Date.now() / 1000) + 600 },
  }[action] ?? {};
  const params: Record<string, NestedValue> = { ...REGION, UHostId: id, ...extra };
  if (action === "DescribeCompShareInstanceOperations") delete params.Zone;
  const res = await api(acct, action, params);
  if (res.retCode === null || res.retCode === 153) cross.neutral++;
  else if (res.retCode === 8039) cross.notFound++;
  else cross.violations.push(`${acct.name} ${action} on ${other.name}'s ${id}: RetCode ${res.retCode} ${String(res.body.Message ?? "")}`);
}

async function step(acct: Account): Promise<void> {
  const n = acct.own.size;
  const action = weighted<string>([
    [n < MAX_OWN_INSTANCES ? 10 : 1, "create"],
    [14, "describe"],
    [8, "start"],
    [8, "stop"],
    [10, "reboot"],
    [n >= 2 ? 3 : 0, "terminate"],
    [5, "password"],
    [4, "reinstall"],
    [4, "resize"],
    [4, "rename"],
    [3, "image"],
    [3, "images"],
    [5, "operations"],
    [2, "scheduler"],
    [8, "cross"],
  ]);
  switch (action) {
    case "create": {
      const gpuType = pick(GPU_TYPES) as string;
      const res = await api(acct, "CreateCompShareInstance", {
        ...REGION,
        ...sizeOf(gpuType, int(1, 2)),
        GpuType: gpuType,
        MachineType: "G",
        CompShareImageId: random() < 0.8 || acct.images.length === 0 ? (pick(PLATFORM_IMAGES) as string) : (pick(acct.images) as string),
        Name: `${acct.name}-${int(0, 999)}`,
      });
      if (res.retCode === 0) {
        for (const id of res.body.UHostIds as string[]) {
          acct.created.add(id);
          acct.own.set(id, "Initializing");
          acct.types.set(id, gpuType);
          accepted.push({ account: acct.name, action: "CreateCompShareInstance", uhostId: id, requestId: res.requestId });
        }
      }
      return;
    }
    case "describe":
      return describe(acct);
    case "cross":
      return crossAttempt(acct);
    case "images": {
      const res = await api(acct, "DescribeCompShareCustomImages", { ...REGION, Limit: 100 });
      if (res.retCode === 0) acct.images = ((res.body.ImageSet as Array<{ CompShareImageId: string }>) ?? []).map((i) => i.CompShareImageId);
      const id = pick(acct.images);
      if (id && random() < 0.5) await api(acct, "GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: id });
      else if (id && random() < 0.3) await api(acct, "TerminateCompShareCustomImage", { ...REGION, CompShareImageId: id });
      return;
    }
  }
  if (n === 0) return describe(acct);
  switch (action) {
    case "start":
      await onInstance(acct, "StartCompShareInstance", ownIn(acct, "Stopped") as string);
      return;
    case "stop":
      await onInstance(acct, "StopCompShareInstance", ownIn(acct, "Running") as string);
      return;
    case "reboot":
      await onInstance(acct, "RebootCompShareInstance", ownIn(acct, "Running") as string);
      return;
    case "terminate": {
      const id = ownIn(acct, "Running", "Stopped", "Install Fail") as string;
      const res = await onInstance(acct, "TerminateCompShareInstance", id);
      if (res.retCode === 0) acct.own.delete(id);
      return;
    }
    case "password":
      await onInstance(acct, "ResetCompShareInstancePassword", ownIn(acct, "Running", "Stopped") as string, { Password: password() });
      return;
    case "reinstall": {
      const image = random() < 0.7 || acct.images.length === 0 ? (pick(PLATFORM_IMAGES) as string) : (pick(acct.images) as string);
      await onInstance(acct, "ReinstallCompShareInstance", ownIn(acct, "Stopped", "Install Fail") as string, { CompShareImageId: image, Password: password() });
      return;
    }
    case "resize": {
      // A compute resize names GPU, CPU and memory together (a valid size of the instance's GPU type); a disk resize stands alone.
      const id = ownIn(acct, "Stopped") as string;
      const size = sizeOf(acct.types.get(id) ?? "4090", int(1, 3));
      const change = weighted<Record<string, NestedValue>>([
        [9, { Gpu: size.GPU, Cpu: size.CPU, Memory: size.Memory }],
        [1, { DiskSpace: int(50, 200) }],
      ]);
      await onInstance(acct, "ResizeCompShareInstance", id, change);
      return;
    }
    case "rename":
      await onInstance(acct, "ModifyCompShareInstanceName", pick([...acct.own.keys()]) as string, { Name: `${acct.name}-renamed-${int(0, 999)}` });
      return;
    case "image": {
      const res = await onInstance(acct, "CreateCompShareCustomImage", ownIn(acct, "Running", "Stopped") as string, { Name: `${acct.name}-img-${int(0, 999)}` });
      if (res.retCode === 0) acct.images.push(res.body.CompShareImageId as string);
      return;
    }
    case "operations": {
      const id = pick([...acct.own.keys()]) as string;
      const res = await api(acct, "DescribeCompShareInstanceOperations", { Region: REGION.Region, UHostId: id, Limit: 20 });
      for (const op of (res.body.OperationSet as Array<{ UHostId: string }> | undefined) ?? []) checkListed(acct, op.UHostId, "DescribeCompShareInstanceOperations");
      return;
    }
    case "scheduler": {
      const id = pick([...acct.own.keys()]) as string;
      // At least 5 minutes ahead, as CompShare requires: a schedule set here never fires within the soak.
      if (random() < 0.6) await api(acct, "UpdateCompShareStopScheduler", { ...REGION, UHostId: id, StopTime: Math.floor(Date.now() / 1000) + int(300, 1200) });
      else await api(acct, "DeleteCompShareStopScheduler", { ...REGION, UHostId: id });
      return;
    }
  }
}

async function worker(acct: Account, until: number): Promise<void> {
  while (Date.now() < until) {
    await step(acct);
    await sleep(int(10, 80));
  }
}

// ---------------------------------------------------------------------------------------------
// Faults and crashes

async function faults(store: Store, until: number): Promise<number> {
  let armed = 0;
  while (Date.now() < until) {
    await sleep(int(800, 2000));
    if (Date.now() >= until) break;
    const ids = accounts.flatMap((a) => [...a.own.keys()]);
    const mode = weighted<FaultSpec["mode"]>([
      [45, "fail"],
      [35, "slow"],
      [20, "hang"],
    ]);
    const spec: FaultSpec = {
      method: pick(FAULT_METHODS) as string,
      mode,
      times: int(1, 2),
      ...(mode === "slow" ? { delayMs: int(300, 3000) } : {}),
      ...(random() < 0.6 && ids.length > 0 ? { instanceId: pick(ids) as string } : {}),
    };
    try {
      await armFault(store.db, spec);
      armed++;
    } catch (error) {
      say(`could not arm a fault: ${String(error)}`);
    }
  }
  return armed;
}

function watchExit(proc: ServerProcess): void {
  void proc.exited.then((how) => {
    if (!killing && server === proc) unexpectedExits.push(`the server exited by itself (${String(how)}): ${proc.output().slice(-2000)}`);
  });
}

async function runningOps(store: Store): Promise<number> {
  const row = await store.db.selectFrom("operations").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "=", "running").executeTakeFirstOrThrow();
  return Number(row.n);
}

async function restart(env: Record<string, string>, signal: "SIGKILL" | "SIGTERM", store: Store, label: string): Promise<{ exit: number | string | null }> {
  const old = server as ServerProcess;
  const inFlight = await runningOps(store).catch(() => -1);
  killing = true;
  server = undefined;
  old.child.kill(signal);
  const exit = await Promise.race([old.exited, sleep(15_000, "timeout" as const, { ref: false })]);
  if (exit === "timeout") {
    old.child.kill("SIGKILL");
    await old.exited;
  }
  killing = false;
  const next = await spawnServer(env);
  watchExit(next);
  processes.push(next);
  server = next;
  say(`${label}: ${signal} with ${inFlight} operations running (exit: ${String(exit)}); restarted on ${next.url}`);
  return { exit };
}

// ---------------------------------------------------------------------------------------------
// The invariants

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const checks: Check[] = [];
function check(name: string, ok: boolean, detail: string): void {
  checks.push({ name, ok, detail });
  console.log(`${ok ? "PASS" : "FAIL"}  ${name}${detail ? `\n        ${detail.replaceAll("\n", "\n        ")}` : ""}`);
}

/** An 8433 answer with the error the server logged for its request id. */
function withServerLog(line: string): string {
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

const sample = (xs: string[], n = 8): string => (xs.length > n ? `${xs.slice(0, n).join("\n")}\n… and ${xs.length - n} more` : xs.join("\n"));

async function quiet(store: Store): Promise<{ quiet: boolean; waitedMs: number }> {
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

async function invariants(store: Store, quietResult: { quiet: boolean; waitedMs: number }, finalExit: number | string | null): Promise<void> {
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

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-chaos-"));
  const env: Record<string, string> = {
    OCS_DATA_DIR: dataDir,
    OCS_SIM_BOOT_MS: "200",
    OCS_SIM_IMAGE_MS: "1000",
    OCS_LOCK_TTL_S: "10",
    OCS_LEASE_MS: "1000",
    OCS_RECOVERY_INTERVAL_MS: "200",
    OCS_SOFT_TIMEOUT_MS: "1000",
    OCS_LOG_LEVEL: "warn",
  };
  say(`chaos soak: seed ${SEED} (OCS_CHAOS_SEED=${SEED} to replay the choices), data in ${dataDir}`);
  let store: Store | undefined;
  let ok: boolean;
  try {
    server = await spawnServer(env);
    watchExit(server);
    processes.push(server);
    say(`server on ${server.url}`);
    for (const name of ACCOUNTS) {
      const { stdout } = await run(process.execPath, [OCS_BIN, "account", "create", name], { env: { ...process.env, OCS_DATA_DIR: dataDir } });
      const c = JSON.parse(stdout) as { AccountId: string; PublicKey: string; PrivateKey: string };
      accounts.push({ name, keys: { PublicKey: c.PublicKey, PrivateKey: c.PrivateKey }, accountId: c.AccountId, created: new Set(), own: new Map(), types: new Map(), images: [] });
    }
    say(`accounts: ${ACCOUNTS.join(", ")} (ocs account create)`);
    store = await openStore({ dataDir });
    const db = store;

    const trafficStart = Date.now();
    const until = trafficStart + TRAFFIC_MS;
    const workers = accounts.flatMap((a) => Array.from({ length: WORKERS_PER_ACCOUNT }, () => worker(a, until)));
    const faultLoop = faults(db, until);
    const kills = (async () => {
      for (const [i, at] of KILLS_AT_MS.entries()) {
        await sleep(Math.max(0, trafficStart + at - Date.now()));
        await restart(env, "SIGKILL", db, `kill -9 #${i + 1}`);
      }
    })();
    const progress = setInterval(() => say(`${accepted.length} operations accepted, ${cross.attempts} cross-account attempts so far`), 10_000);
    await Promise.all([...workers, kills]);
    const armed = await faultLoop;
    clearInterval(progress);
    say(`traffic over: ${accepted.length} operations accepted, ${armed} faults armed`);

    // The quiet period: no more faults, a final restart, recovery finishes what is left.
    const leftover = await db.db.deleteFrom("sim_faults").executeTakeFirst();
    say(`cleared ${Number(leftover.numDeletedRows)} fault rows`);
    const { exit } = await restart(env, "SIGTERM", db, "final restart");
    const quietResult = await quiet(db);
    say(quietResult.quiet ? `quiet after ${(quietResult.waitedMs / 1000).toFixed(1)} s` : `still busy after ${QUIET_MAX_MS / 1000} s`);

    console.log("\n== requests (RetCode: count)");
    for (const [action, m] of [...stats].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${action.padEnd(36)} ${[...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(", ")}`);
    }
    console.log("\n== what the servers logged at warn and above (message: count)");
    const logged = new Map<string, number>();
    for (const p of processes) {
      for (const line of p.output().split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const entry = JSON.parse(line) as { level: number; msg?: string; err?: { code?: string; message?: string } };
          if (entry.level < 40) continue;
          const key = `${entry.msg ?? ""}${entry.err ? ` (${entry.err.code ?? ""} ${entry.err.message ?? ""})` : ""}`.slice(0, 160);
          logged.set(key, (logged.get(key) ?? 0) + 1);
        } catch {
          // not a log line
        }
      }
    }
    for (const [msg, n] of [...logged].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`  ${String(n).padStart(5)}  ${msg}`);
    await invariants(db, quietResult, exit);
  } catch (error) {
    check("the soak ran to its end", false, error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    const last = server;
    server = undefined;
    killing = true;
    if (last) {
      last.child.kill("SIGTERM");
      if ((await Promise.race([last.exited, sleep(10_000, "timeout" as const, { ref: false })])) === "timeout") last.child.kill("SIGKILL");
    }
    await store?.close().catch(() => undefined);
    const failed = checks.filter((c) => !c.ok).length;
    ok = failed === 0;
    if (ok && !process.env.OCS_CHAOS_KEEP) rmSync(dataDir, { recursive: true, force: true });
    else {
      processes.forEach((p, i) => writeFileSync(join(dataDir, `server-${i + 1}.log`), p.output()));
      console.log(`\ndata and server logs kept for inspection: ${dataDir}`);
    }
    console.log(`\nsoak took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`${checks.length - failed} passed, ${failed} failed`);
  }
  return ok ? 0 : 1;
}

const watchdog = setTimeout(() => {
  console.log(`\nFAIL  the soak exceeded its bound of ${WATCHDOG_MS / 1000} s`);
  server?.child.kill("SIGKILL");
  console.log("\n0 passed, 1 failed");
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

process.exitCode = await main();
clearTimeout(watchdog);
