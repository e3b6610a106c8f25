/**
 * `npm run bench`: the whole benchmark in one bounded run (a few minutes on 2 cores).
 *
 *   node --import tsx bench/run.ts [--seconds 5] [--connections 10] [--db sqlite|postgres|both]
 *                                  [--instances 1000000] [--no-moto] [--no-info] [--profile]
 *
 * (a) a bare node:http baseline; (b) DescribeCompShareInstance of one instance; (c) accepted
 * reboots, each of a distinct Running instance; (d) refused reboots (InstanceOperationInProgress);
 * (e) signature verification alone. (b)–(d) at 1,000 and at 1,000,000 seeded instances, on SQLite
 * and on PostgreSQL (embedded); Describe at a deep Offset; the server's RSS; the control plane's
 * own delay from the driver finishing a reboot to Describe showing Running; moto's server as an
 * outside reference. Writes bench/results/latest.json (+ latest-details.json) and BENCHMARKS.md.
 *
 * `--profile` instead runs the server under `node --cpu-prof` during (b), (c) and (d) and writes
 * bench/results/profile-<db>.md.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSealer } from "@opencompshare/server";
import { startEmbeddedPostgres, type EmbeddedServer } from "../scripts/embedded-postgres.js";
import {
  cleanup,
  cpuMs,
  describeMachine,
  describeOneBody,
  describePageBody,
  freePort,
  log,
  onCleanup,
  percentile,
  postForm,
  rebootBody,
  REGION,
  removeTempDir,
  ROOT,
  round,
  rssMiB,
  seededId,
  signedForm,
  sleep,
  startChild,
  startOcsServer,
  treeCpuMs,
  tempDir,
  waitHttp,
  withTimeout,
  type Keys,
  type MachineInfo,
} from "./lib.js";
import type { LoadResult, LoadSpec } from "./loadgen.js";
import { ec2Body, MOTO_CONTENT_TYPE, MOTO_HEADERS, prepareMoto, runInstances, startMoto, type MotoSetup } from "./moto.js";
import { measureColdStart, type ColdStart } from "./cold-start.js";
import { formatSummary, summarize, type CpuProfile } from "./profile.js";
import { createPgDatabase, defaultScope, journalUntil, operationEnds, operationSpans, seedInstances, type Target } from "./seed.js";

// ---------------------------------------------------------------------------------------------
// Options

type Engine = "sqlite" | "postgres";

interface Options {
  seconds: number;
  connections: number;
  engines: Engine[];
  small: number;
  big: number;
  moto: boolean;
  info: boolean;
  profile: boolean;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  const o: Options = { seconds: 5, connections: 10, engines: ["sqlite", "postgres"], small: 1000, big: 1_000_000, moto: true, info: true, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const int = (min: number, max: number) => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${a} must be an integer from ${min} to ${max}`);
      return v;
    };
    if (a === "--seconds") o.seconds = int(1, 60);
    else if (a === "--connections") o.connections = int(1, 256);
    else if (a === "--instances") o.big = int(1000, 5_000_000);
    else if (a === "--db") {
      const v = value();
      if (v === "both") o.engines = ["sqlite", "postgres"];
      else if (v === "sqlite" || v === "postgres") o.engines = [v];
      else throw new UsageError("--db is sqlite, postgres or both");
    } else if (a === "--no-moto") o.moto = false;
    else if (a === "--no-info") o.info = false;
    else if (a === "--profile") o.profile = true;
    else if (a === "--help" || a === "-h") {
      process.stdout.write(readFileSync(new URL(import.meta.url), "utf8").split("*/")[0] + "*/\n");
      process.exit(0);
    } else throw new UsageError(`unknown option ${a} (see --help)`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Results

export interface Row {
  name: string;
  db: string;
  instances: number | null;
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  ratio_to_baseline: number | null;
  /** rps over the matching f-limit-* row's (same engine, same instances): how close to the least work. */
  ratio_to_limit: number | null;
  /** The server process's user+system CPU per request, µs. */
  server_cpu_us_per_request: number | null;
}

interface Detail {
  name: string;
  db: string;
  instances: number | null;
  requests?: number;
  seconds?: number;
  connections?: number;
  /** CPU time of the server process per request, ms: independent of the load generator's limit. */
  server_cpu_ms_per_request?: number | null;
  /** CPU time of PostgreSQL (postmaster and backends) per request, ms. */
  db_cpu_ms_per_request?: number | null;
  mismatches?: number;
  errors?: number;
  timeouts?: number;
  non2xx?: number;
  exhausted?: boolean;
  note?: string;
}

const rows: Row[] = [];
const details: Detail[] = [];
const problems: string[] = [];
const facts: Record<string, unknown> = {};
/** Rows whose ratio to the baseline is filled in at the end, against the median baseline. */
const ratioRows = new Set<Row>();
/** The baseline is measured several times across the run; ratios use the median. */
const baselines: LoadResult[] = [];
const provisionalBaseline = () => baselines[baselines.length - 1]?.rps ?? null;

function record(row: Omit<Row, "ratio_to_baseline" | "ratio_to_limit" | "server_cpu_us_per_request">, detail: Omit<Detail, "name" | "db" | "instances"> = {}, ratio = true): Row {
  const base = provisionalBaseline();
  const cpu = detail.server_cpu_ms_per_request;
  const full: Row = {
    ...row,
    rps: round(row.rps, 1),
    p50_ms: round(row.p50_ms, 3),
    p99_ms: round(row.p99_ms, 3),
    ratio_to_baseline: ratio && row.rps !== null && base ? round(row.rps / base, 3) : null,
    ratio_to_limit: null,
    server_cpu_us_per_request: cpu === null || cpu === undefined ? null : round(cpu * 1000, 1),
  };
  rows.push(full);
  if (ratio && row.rps !== null) ratioRows.add(full);
  details.push({ name: row.name, db: row.db, instances: row.instances, ...detail });
  return full;
}

/** The median baseline window becomes row (a); every ratio is taken against it. */
function finishBaseline(): void {
  if (baselines.length === 0) return;
  const sorted = [...baselines].sort((a, b) => a.rps - b.rps);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as LoadResult;
  const baseCpu = (median as LoadResult & { cpuMsPerReq?: number | null }).cpuMsPerReq;
  const row: Row = {
    name: "a-baseline",
    db: "none",
    instances: null,
    rps: round(median.rps, 1),
    p50_ms: round(median.p50_ms, 3),
    p99_ms: round(median.p99_ms, 3),
    ratio_to_baseline: 1,
    ratio_to_limit: null,
    server_cpu_us_per_request: baseCpu === null || baseCpu === undefined ? null : round(baseCpu * 1000, 1),
  };
  rows.unshift(row);
  details.unshift({
    name: row.name,
    db: row.db,
    instances: null,
    requests: median.requests,
    seconds: round(median.elapsedS, 2) ?? 0,
    server_cpu_ms_per_request: round((median as LoadResult & { cpuMsPerReq?: number | null }).cpuMsPerReq, 3),
    mismatches: median.mismatches,
    errors: median.errors,
    timeouts: median.timeouts,
    non2xx: median.non2xx,
    note: `median of ${baselines.length} windows spread over the run: ${baselines.map((b) => Math.round(b.rps)).join(", ")} rps`,
  });
  facts.baseline_windows_rps = baselines.map((b) => Math.round(b.rps));
  for (const r of ratioRows) r.ratio_to_baseline = r.rps !== null && median.rps ? round(r.rps / median.rps, 3) : null;
}

/** Which limit row each scenario is measured against. */
const LIMIT_OF: Record<string, string> = {
  "b-describe-one": "f-limit-describe",
  "c-reboot-accepted": "f-limit-accepted",
  "c-reboot-to-running": "f-limit-accepted",
  "d-reboot-refused": "f-limit-refused",
};

/** Every b/c/d row gets its rps over the f-limit-* row of the same engine and instances. */
function finishLimits(): void {
  for (const r of rows) {
    const limitName = LIMIT_OF[r.name];
    if (!limitName) continue;
    const limit = find(limitName, r.db, r.instances);
    r.ratio_to_limit = r.rps !== null && limit?.rps ? round(r.rps / limit.rps, 3) : null;
  }
}

const find = (name: string, db: string, instances: number | null) => rows.find((r) => r.name === name && r.db === db && r.instances === instances);

// ---------------------------------------------------------------------------------------------
// The load generator, as a child process

let loadgenSeq = 0;
let workDir = "";
/** The PostgreSQL postmaster of the engine being measured, whose CPU is counted too. */
let dbPid: number | undefined;

async function load(spec: LoadSpec, serverPid?: number): Promise<LoadResult & { cpuMsPerReq: number | null; dbCpuMsPerReq: number | null }> {
  const specFile = join(workDir, `load-${++loadgenSeq}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench/loadgen.ts"), specFile], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const cpuBefore = serverPid ? cpuMs(serverPid) : null;
  const dbBefore = dbPid ? treeCpuMs(dbPid) : null;
  const code = await withTimeout(
    new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c))),
    ((spec.amount ? 60 : spec.durationS) + 60) * 1000,
    "load generator",
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  const cpuAfter = serverPid ? cpuMs(serverPid) : null;
  const dbAfter = dbPid ? treeCpuMs(dbPid) : null;
  const line = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`load generator failed (exit ${code}): ${err.trim().slice(-800)}`);
  const result = JSON.parse(line) as LoadResult;
  const cpuMsPerReq = cpuBefore !== null && cpuAfter !== null && result.requests > 0 ? (cpuAfter - cpuBefore) / result.requests : null;
  const dbCpuMsPerReq = dbBefore !== null && dbAfter !== null && result.requests > 0 ? (dbAfter - dbBefore) / result.requests : null;
  return { ...result, cpuMsPerReq, dbCpuMsPerReq };
}

function writeBodies(name: string, bodies: string[]): string {
  const file = join(workDir, `${name}.bodies`);
  writeFileSync(file, bodies.join("\n") + "\n");
  return file;
}

const FORM = "application/x-www-form-urlencoded";
const OK = ['"RetCode":0'];
const LOCKED = ['"RetCode":226610'];

/** Runs one measured scenario and records it. */
async function scenario(
  opts: Options,
  name: string,
  db: string,
  instances: number | null,
  spec: Omit<LoadSpec, "connections" | "durationS"> & { connections?: number; durationS?: number },
  serverPid?: number,
): Promise<LoadResult> {
  const full: LoadSpec = { connections: opts.connections, durationS: opts.seconds, ...spec };
  const r = await load(full, serverPid);
  const bad = r.mismatches + r.errors + r.timeouts + r.non2xx;
  if (name === "a-baseline") {
    baselines.push(r);
    if (bad > 0) problems.push(`a-baseline: ${bad} bad answers`);
    log(`  a-baseline (window ${baselines.length})                                 ${Math.round(r.rps)} rps  p50 ${round(r.p50_ms, 3)} ms  p99 ${round(r.p99_ms, 3)} ms`);
    return r;
  }
  if (bad > 0) problems.push(`${name} on ${db} (${instances ?? "-"}): ${r.mismatches} unexpected answers, ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx${r.firstMismatch ? `; first: ${r.firstMismatch}` : ""}`);
  if (r.exhausted) problems.push(`${name} on ${db}: the distinct bodies ran out; some requests repeated one`);
  const row = record(
    { name, db, instances, rps: r.rps, p50_ms: r.p50_ms, p99_ms: r.p99_ms },
    {
      requests: r.requests,
      seconds: round(r.elapsedS, 2) ?? 0,
      connections: full.connections,
      server_cpu_ms_per_request: round(r.cpuMsPerReq, 3),
      db_cpu_ms_per_request: round(r.dbCpuMsPerReq, 3),
      mismatches: r.mismatches,
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      exhausted: r.exhausted,
    },
    true,
  );
  log(`  ${name.padEnd(34)} ${db.padEnd(8)} ${String(instances ?? "-").padStart(7)}  ${String(row.rps).padStart(8)} rps  p50 ${row.p50_ms} ms  p99 ${row.p99_ms} ms  ratio ${row.ratio_to_baseline ?? "-"}${bad ? `  (${bad} bad)` : ""}`);
  return r;
}

/** One request before any load: a server that refuses it would make every number meaningless. */
async function sanity(url: string, body: string, what: string): Promise<void> {
  const answer = await postForm(url, body);
  if (answer.RetCode !== 0) throw new Error(`${what}: the server answered ${JSON.stringify(answer).slice(0, 400)}`);
}

const warmUp = (opts: Options, url: string, body: string, pid?: number) =>
  load({ url, connections: opts.connections, durationS: 1, contentType: FORM, body, expect: OK }, pid);

// ---------------------------------------------------------------------------------------------
// (a) and (e)

async function runBaseline(opts: Options): Promise<void> {
  const port = await freePort();
  const child = startChild(process.execPath, ["--import", "tsx", join(ROOT, "bench/baseline.ts"), String(port)], { cwd: ROOT });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(url, 30_000, child.exited);
    const body = rebootBody(seededId(1), { publicKey: "bench_public_key", privateKey: "0".repeat(40) });
    await load({ url, connections: opts.connections, durationS: 1, contentType: FORM, body, expect: OK });
    await scenario(opts, "a-baseline", "none", null, { url, contentType: FORM, body, expect: ['"RetCode":0'] }, child.pid);
  } finally {
    await child.stop();
  }
}

/** Runs one of the bench scripts in its own process and returns what it printed. */
async function runScript(script: string, args: string[], timeoutMs: number): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", script), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await withTimeout(new Promise<number | null>((r) => child.once("exit", r)), timeoutMs, script).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  if (code !== 0) throw new Error(`${script} failed (exit ${code}): ${err.slice(-800)}`);
  return out;
}

async function runMicro(): Promise<void> {
  const out = await runScript("micro.ts", ["2"], 60_000);
  const m = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { verifyOps: number; openOps: number; openAndVerifyOps: number };
  record({ name: "e-signature-verify (ops/s)", db: "none", instances: null, rps: m.verifyOps, p50_ms: null, p99_ms: null }, { note: "verify() of @opencompshare/protocol, one core, in-process loop" }, false);
  facts.micro = { verify_ops_per_s: Math.round(m.verifyOps), aes_gcm_open_ops_per_s: Math.round(m.openOps), open_then_verify_ops_per_s: Math.round(m.openAndVerifyOps) };
  log(`  e-signature-verify: ${Math.round(m.verifyOps)} ops/s (AES-GCM open of the sealed key: ${Math.round(m.openOps)} ops/s; both: ${Math.round(m.openAndVerifyOps)} ops/s)`);
}

// ---------------------------------------------------------------------------------------------
// One engine: (b), (c), (d) at 1k and at 1M, deep offset, memory; then the control plane's delay

interface EngineContext {
  engine: Engine;
  keys: Keys;
  masterKey: string;
  pg?: EmbeddedServer;
}

function serverEnv(ctx: EngineContext, extra: Record<string, string>, databaseUrl?: string): Record<string, string> {
  return {
    OCS_PUBLIC_KEY: ctx.keys.publicKey,
    OCS_PRIVATE_KEY: ctx.keys.privateKey,
    OCS_MASTER_KEY: ctx.masterKey,
    OCS_LOG_LEVEL: "warn",
    // The per-account rate limit (200/s by default) would answer most of the load with 153.
    OCS_RATE_LIMIT_RPS: "0",
    ...(databaseUrl ? { OCS_DATABASE_URL: databaseUrl } : {}),
    ...extra,
  };
}

/**
 * The main server's settings. Reboots accepted here must not finish while anything is
 * measured (their completions would land in later windows), so the simulated boot takes an
 * hour, and the soft-reboot timeout and the lock TTL are raised so that no hard-reboot fallback
 * fires either. What runs right after acceptance (the runner's status read, phase write and the
 * driver's reboot record) does happen inside the windows, as it would in production.
 */
const MAIN_SETTINGS = { OCS_SIM_BOOT_MS: "3600000", OCS_SOFT_TIMEOUT_MS: "3600000", OCS_LOCK_TTL_S: "7200" };

async function targetFor(ctx: EngineContext, dataDir: string, database: string): Promise<{ target: Target; url?: string }> {
  if (ctx.engine === "sqlite") return { target: { engine: "sqlite", file: join(dataDir, "ocs.db") } };
  if (!ctx.pg) throw new Error("PostgreSQL is not running");
  const url = await createPgDatabase(ctx.pg.url, database);
  return { target: { engine: "postgres", url }, url };
}

const sealedPassword = (ctx: EngineContext) => createSealer(Buffer.from(ctx.masterKey, "hex")).seal(Buffer.from("bench-password").toString("base64"));

async function seed(ctx: EngineContext, target: Target, from: number, to: number, label: string): Promise<number> {
  const scope = await defaultScope(target);
  const ms = await seedInstances(target, scope, from, to, sealedPassword(ctx), Date.now());
  log(`  seeded ${(to - from).toLocaleString("en")} instances (${label}) in ${(ms / 1000).toFixed(1)} s`);
  return ms;
}

async function runEngine(opts: Options, ctx: EngineContext): Promise<void> {
  await runLimit(opts, ctx);
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-main`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_main");
  const server = await startOcsServer({ env: serverEnv(ctx, MAIN_SETTINGS, databaseUrl), dataDir, label: `${db}-main` });
  const engineFacts: Record<string, unknown> = {};
  facts[db] = engineFacts;
  try {
    const pid = server.pid;
    const url = server.url;
    engineFacts.rss_mib_started = rssMiB(pid);
    engineFacts.seed_1k_ms = Math.round(await seed(ctx, target, 0, opts.small, "1k"));
    await sanity(url, describeOneBody(seededId(0), ctx.keys), `${db} sanity check`);
    await warmUp(opts, url, describeOneBody(seededId(0), ctx.keys), pid);
    engineFacts.rss_mib_idle_1k = rssMiB(pid);
    await runScale(opts, ctx, server, opts.small, 0);
    if (opts.big > opts.small) {
      engineFacts.seed_1m_ms = Math.round(await seed(ctx, target, opts.small, opts.big, `to ${opts.big.toLocaleString("en")}`));
      engineFacts.rss_mib_idle_1m = rssMiB(pid);
      await runScale(opts, ctx, server, opts.big, opts.small);
      const offset = Math.floor(opts.big * 0.9);
      await scenario(opts, `describe-limit100-offset${offset}`, db, opts.big, {
        url,
        connections: 2,
        contentType: FORM,
        body: describePageBody(offset, 100, ctx.keys),
        expect: OK,
        timeoutS: 30,
      }, pid);
    }
    engineFacts.rss_mib_after_run = rssMiB(pid);
    engineFacts.server_cpu_s_total = round((cpuMs(pid) ?? 0) / 1000, 1);
    log(`  RSS: started ${engineFacts.rss_mib_started} MiB, idle at 1k ${engineFacts.rss_mib_idle_1k} MiB, after the 1M run ${engineFacts.rss_mib_after_run} MiB`);
  } catch (error) {
    throw new Error(`${db}: ${(error as Error).message}\n--- server log ---\n${server.tail()}`, { cause: error });
  } finally {
    const code = await server.stop("SIGTERM", 15_000);
    if (code !== 0) problems.push(`${db} main server exited with ${String(code)} on SIGTERM`);
    removeTempDir(dataDir);
  }
  await runDelay(opts, ctx);
  await runToRunning(opts, ctx);
}

/** The scenario names of the server's rows and of the limit probe's. */
interface ScaleNames {
  describe: string;
  accepted: string;
  refused: string;
}
const SERVER_NAMES: ScaleNames = { describe: "b-describe-one", accepted: "c-reboot-accepted", refused: "d-reboot-refused" };
const LIMIT_NAMES: ScaleNames = { describe: "f-limit-describe", accepted: "f-limit-accepted", refused: "f-limit-refused" };

/**
 * (b), (c), (d) — or the limit's (f) rows — with `instances` in the database; the accepted
 * reboots target instances from `first` on.
 */
async function runScale(opts: Options, ctx: EngineContext, server: { url: string; pid: number }, instances: number, first: number, names = SERVER_NAMES): Promise<void> {
  const { engine: db, keys } = ctx;
  const { url, pid } = server;
  if (instances > opts.small) await warmUp(opts, url, describeOneBody(seededId(instances - 1), keys), pid);
  await scenario(opts, names.describe, db, instances, { url, contentType: FORM, body: describeOneBody(seededId(Math.floor(instances / 2)), keys), expect: OK }, pid);
  // (c) every request reboots a different Running instance. With 1k instances there are only
  // 1,000 to reboot: the first quarter warms the acceptance path up (it has not run yet in this
  // process), the rest is measured, exactly one request each. With more, enough bodies for the
  // whole window.
  const small = instances === opts.small;
  const warm = small ? Math.floor(opts.small / 4) : 0;
  if (warm > 0) {
    const bodies = Array.from({ length: warm }, (_, i) => rebootBody(seededId(first + i), keys));
    await load({ url, connections: opts.connections, durationS: 1, amount: warm, contentType: FORM, bodiesFile: writeBodies(`warm-${names.accepted}-${db}`, bodies), bodiesMode: "distinct", expect: OK }, pid);
  }
  // Nothing outruns the bare baseline: its best window × the window's length bounds the requests.
  const ceiling = Math.max(20_000, ...baselines.map((x) => x.rps));
  const pool = small ? opts.small - warm : Math.min(instances - first, Math.ceil(ceiling * opts.seconds * 1.2));
  const accepted: string[] = [];
  for (let i = first + warm; i < first + warm + pool; i++) accepted.push(rebootBody(seededId(i), keys));
  const acceptedFile = writeBodies(`${names.accepted}-${db}-${instances}`, accepted);
  await scenario(
    opts,
    names.accepted,
    db,
    instances,
    { url, contentType: FORM, bodiesFile: acceptedFile, bodiesMode: "distinct", expect: OK, ...(small ? { amount: pool } : {}) },
    pid,
  );
  // (d) the same instances again: each is locked by its reboot in flight.
  const refusedFile = writeBodies(`${names.refused}-${db}-${instances}`, accepted.slice(0, 200));
  await scenario(opts, names.refused, db, instances, { url, contentType: FORM, bodiesFile: refusedFile, bodiesMode: "cycle", expect: LOCKED }, pid);
}

// ---------------------------------------------------------------------------------------------
// (f) the limit: bench/limit.ts on a database of its own, with the same schema and seeded rows

async function runLimit(opts: Options, ctx: EngineContext): Promise<void> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-limit`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_limit");
  try {
    // The server creates the schema and the default account, then leaves the database to the probe.
    const setup = await startOcsServer({ env: serverEnv(ctx, MAIN_SETTINGS, databaseUrl), dataDir, label: `${db}-limit-setup` });
    await setup.stop("SIGTERM", 15_000);
    await seed(ctx, target, 0, opts.small, "1k, limit probe");
    const port = await freePort();
    const location = target.engine === "sqlite" ? target.file : target.url;
    const probe = startChild(process.execPath, ["--import", "tsx", join(ROOT, "bench/limit.ts"), String(port), db, location, ctx.keys.publicKey, ctx.keys.privateKey], { cwd: ROOT });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitHttp(url, 30_000, probe.exited);
      await sanity(url, describeOneBody(seededId(0), ctx.keys), `${db} limit probe`);
      await warmUp(opts, url, describeOneBody(seededId(0), ctx.keys), probe.pid);
      await runScale(opts, ctx, { url, pid: probe.pid }, opts.small, 0, LIMIT_NAMES);
      if (opts.big > opts.small) {
        await seed(ctx, target, opts.small, opts.big, `to ${opts.big.toLocaleString("en")}, limit probe`);
        await runScale(opts, ctx, { url, pid: probe.pid }, opts.big, opts.small, LIMIT_NAMES);
      }
    } finally {
      await probe.stop();
    }
  } finally {
    removeTempDir(dataDir);
  }
}

// ---------------------------------------------------------------------------------------------
// (c) counted to Running: the operation's whole run, not only its acceptance

const TO_RUNNING = 750;

/**
 * Accepted reboots of 1k instances whose simulated reboot takes no time (OCS_SIM_BOOT_MS=0), each
 * sent once, as (c) sends them: 250 to warm up, then 750 measured. The rate is the measured
 * operations over the span from the first one's start to the last one's end
 * (operations.started_at … ended_at, the server's clock), so every write of the runner counts.
 */
async function runToRunning(opts: Options, ctx: EngineContext): Promise<void> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-to-running`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_to_running");
  const server = await startOcsServer({ env: serverEnv(ctx, { OCS_SIM_BOOT_MS: "0" }, databaseUrl), dataDir, label: `${db}-to-running` });
  const { url, pid } = server;
  const ended = async (ids: string[], what: string) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const spans = await operationSpans(target, ids, "RebootCompShareInstance");
      const done = [...spans.values()].filter((s) => s.ended !== null).length;
      if (done === ids.length) return spans;
      if (Date.now() > deadline) throw new Error(`${what}: ${ids.length - done} of ${ids.length} reboots did not reach Running in 120 s`);
      await sleep(50);
    }
  };
  try {
    await seed(ctx, target, 0, opts.small, "1k, to Running");
    const warm = Array.from({ length: opts.small - TO_RUNNING }, (_, i) => seededId(i));
    const measured = Array.from({ length: TO_RUNNING }, (_, i) => seededId(warm.length + i));
    const bodies = (ids: string[]) => ids.map((id) => rebootBody(id, ctx.keys));
    const send = (name: string, ids: string[]) =>
      load({ url, connections: opts.connections, durationS: 1, amount: ids.length, contentType: FORM, bodiesFile: writeBodies(name, bodies(ids)), bodiesMode: "distinct", expect: OK }, pid);
    await send(`to-running-warm-${db}`, warm);
    await ended(warm, "warm-up");
    const cpuBefore = cpuMs(pid);
    const r = await send(`to-running-${db}`, measured);
    const spans = [...(await ended(measured, "c-reboot-to-running")).values()];
    const cpuAfter = cpuMs(pid);
    const first = Math.min(...spans.map((s) => s.started));
    const last = Math.max(...spans.map((s) => s.ended as number));
    const bad = r.mismatches + r.errors + r.timeouts + r.non2xx;
    if (bad > 0) problems.push(`c-reboot-to-running on ${db}: ${bad} bad answers${r.firstMismatch ? `; first: ${r.firstMismatch}` : ""}`);
    const rps = (TO_RUNNING * 1000) / Math.max(1, last - first);
    const row = record(
      { name: "c-reboot-to-running", db, instances: opts.small, rps, p50_ms: r.p50_ms, p99_ms: r.p99_ms },
      {
        requests: r.requests,
        seconds: round((last - first) / 1000, 2) ?? 0,
        connections: opts.connections,
        server_cpu_ms_per_request: cpuBefore !== null && cpuAfter !== null ? round((cpuAfter - cpuBefore) / TO_RUNNING, 3) : null,
        mismatches: r.mismatches,
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        note: "rate = operations / (last ended_at − first started_at); p50/p99 are the acceptance answers' latencies; CPU counts the runner's work to Running",
      },
    );
    log(`  ${"c-reboot-to-running".padEnd(34)} ${db.padEnd(8)} ${String(opts.small).padStart(7)}  ${String(row.rps).padStart(8)} ops/s to Running, over ${round((last - first) / 1000, 2)} s`);
  } finally {
    await server.stop("SIGTERM", 15_000);
    removeTempDir(dataDir);
  }
}

// ---------------------------------------------------------------------------------------------
// The control plane's own delay: from the simulated driver finishing a reboot (sim_journal.until,
// the server's clock) to the first Describe that shows the instance Running (this process's
// clock; same machine, same clock). Each instance is polled alone, back to back, from shortly
// before its reboot is due, so the poll's own cost stays small; the resolution is one poll.

const DELAY_BOOT_MS = 1000;
const DELAY_INSTANCES = 40;
const DELAY_STAGGER_MS = 100;

const nowMs = () => performance.timeOrigin + performance.now();

async function runDelay(opts: Options, ctx: EngineContext): Promise<void> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-delay`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_delay");
  let server = await startOcsServer({ env: serverEnv(ctx, { OCS_SIM_BOOT_MS: String(DELAY_BOOT_MS) }, databaseUrl), dataDir, label: `${db}-delay` });
  try {
    await seed(ctx, target, 0, opts.small, "1k, delay server");
    const ids = Array.from({ length: DELAY_INSTANCES }, (_, i) => seededId(i * 7));
    const accepted = new Map<string, number>();
    const seen = new Map<string, number>();
    const lastNotRunning = new Map<string, number>();
    const rtts: number[] = [];
    // warm the paths first (one reboot cycle of an instance not measured)
    await postForm(server.url, describeOneBody(seededId(999), ctx.keys));
    const rebooter = (async () => {
      for (const id of ids) {
        const t = nowMs();
        const r = await postForm(server.url, rebootBody(id, ctx.keys));
        if (r.RetCode !== 0) throw new Error(`delay: reboot of ${id} answered ${JSON.stringify(r).slice(0, 300)}`);
        accepted.set(id, t);
        await sleep(DELAY_STAGGER_MS);
      }
    })();
    const deadline = nowMs() + DELAY_INSTANCES * DELAY_STAGGER_MS + DELAY_BOOT_MS + 15_000;
    let rebootError: unknown;
    rebooter.catch((e: unknown) => (rebootError = e));
    while (seen.size < ids.length && nowMs() < deadline && rebootError === undefined) {
      const due = ids.filter((id) => !seen.has(id) && accepted.has(id) && nowMs() >= (accepted.get(id) as number) + DELAY_BOOT_MS - 30);
      if (due.length === 0) {
        await sleep(1);
        continue;
      }
      const params: Record<string, string> = { Region: REGION };
      due.forEach((id, i) => (params[`UHostIds.${i}`] = id));
      const body = signedForm("DescribeCompShareInstance", params, ctx.keys);
      const sent = nowMs();
      const answer = (await postForm(server.url, body)) as { UHostSet?: Array<{ UHostId: string; State: string }> };
      const received = nowMs();
      rtts.push(received - sent);
      for (const inst of answer.UHostSet ?? []) {
        if (inst.State === "Running") seen.set(inst.UHostId, received);
        else lastNotRunning.set(inst.UHostId, sent);
      }
    }
    await rebooter;
    const until = await journalUntil(target, ids, "reboot");
    const ended = await operationEnds(target, ids, "RebootCompShareInstance");
    const upper: number[] = [];
    const lower: number[] = [];
    const inside: number[] = [];
    for (const id of ids) {
      const u = until.get(id);
      const s = seen.get(id);
      const e = ended.get(id);
      if (u !== undefined && e !== undefined) inside.push(e - u);
      if (u === undefined || s === undefined) continue;
      upper.push(s - u);
      lower.push(Math.max(0, (lastNotRunning.get(id) ?? u) - u));
    }
    inside.sort((a, b) => a - b);
    if (upper.length < ids.length) problems.push(`control-plane delay on ${db}: ${ids.length - upper.length} of ${ids.length} instances were not seen Running in time`);
    upper.sort((a, b) => a - b);
    lower.sort((a, b) => a - b);
    rtts.sort((a, b) => a - b);
    const resolution = percentile(rtts, 50);
    record(
      { name: "control-plane-delay (driver up → Describe Running)", db, instances: opts.small, rps: null, p50_ms: percentile(upper, 50), p99_ms: percentile(upper, 99) },
      { requests: upper.length, note: `upper bound (first Running answer received − driver's until); lower bound p50 ${round(percentile(lower, 50), 2)} ms; one poll takes p50 ${round(resolution, 2)} ms` },
      false,
    );
    facts[`${db}_delay`] = {
      instances: upper.length,
      upper_p50_ms: round(percentile(upper, 50), 2),
      upper_p99_ms: round(percentile(upper, 99), 2),
      upper_max_ms: round(upper[upper.length - 1], 2),
      lower_p50_ms: round(percentile(lower, 50), 2),
      poll_rtt_p50_ms: round(resolution, 2),
      server_ended_minus_until_p50_ms: round(percentile(inside, 50), 2),
      server_ended_minus_until_p99_ms: round(percentile(inside, 99), 2),
      sim_boot_ms: DELAY_BOOT_MS,
    };
    log(`  control-plane delay ${db}: p50 ${round(percentile(upper, 50), 2)} ms, p99 ${round(percentile(upper, 99), 2)} ms (one poll: ${round(resolution, 2)} ms)`);

    // One run with per-request logs on (OCS_LOG_LEVEL=info, to a file), SQLite only.
    if (opts.info && db === "sqlite") {
      await server.stop("SIGTERM", 15_000);
      server = await startOcsServer({ env: serverEnv(ctx, { OCS_SIM_BOOT_MS: String(DELAY_BOOT_MS), OCS_LOG_LEVEL: "info" }, databaseUrl), dataDir, label: `${db}-info` });
      const body = describeOneBody(seededId(500), ctx.keys);
      await warmUp(opts, server.url, body, server.pid);
      await scenario(opts, "b-describe-one (OCS_LOG_LEVEL=info)", db, opts.small, { url: server.url, contentType: FORM, body, expect: OK }, server.pid);
    }
  } finally {
    await server.stop("SIGTERM", 15_000);
    removeTempDir(dataDir);
  }
}

// ---------------------------------------------------------------------------------------------
// moto

async function runMoto(opts: Options, setup: MotoSetup): Promise<void> {
  if (!setup.ok) {
    facts.moto = { skipped: setup.reason };
    log(`  moto skipped: ${setup.reason}`);
    return;
  }
  const server = await startMoto(setup.bin);
  try {
    const ids = await runInstances(server.url, 200);
    // Werkzeug closes the connection after every response: the load generator's node:http loop.
    const common = { url: server.url, contentType: MOTO_CONTENT_TYPE, headers: MOTO_HEADERS, connectionClose: true };
    const describe = ec2Body("DescribeInstances", { "InstanceId.1": ids[0] as string });
    const expectDescribe = [`<instanceId>${ids[0]}</instanceId>`];
    await load({ ...common, connections: opts.connections, durationS: 1, body: describe, expect: expectDescribe, connectionClose: true }, server.pid);
    await scenario(opts, "moto:DescribeInstances (one)", "moto", ids.length, { ...common, body: describe, expect: expectDescribe }, server.pid);
    const reboots = writeBodies("moto-reboot", ids.map((id) => ec2Body("RebootInstances", { "InstanceId.1": id })));
    await scenario(opts, "moto:RebootInstances", "moto", ids.length, { ...common, bodiesFile: reboots, bodiesMode: "cycle", expect: ["<RebootInstancesResponse"] }, server.pid);
    facts.moto = { version: setup.version, installed_now: setup.installedNow, instances: ids.length };
  } finally {
    await server.stop("SIGTERM", 10_000);
  }
}

// ---------------------------------------------------------------------------------------------
// --profile

async function runProfile(opts: Options, ctx: EngineContext): Promise<string> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-profile`);
  const profDir = join(dataDir, "prof");
  mkdirSync(profDir);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_profile");
  const server = await startOcsServer({
    env: serverEnv(ctx, MAIN_SETTINGS, databaseUrl),
    dataDir,
    label: `${db}-profile`,
    // From the TypeScript sources (tsx, the packages' source condition), so that every function
    // is named by its own file; the bundle would name them all by its chunks.
    nodeArgs: ["--import", import.meta.resolve("tsx"), "--conditions=source", "--cpu-prof", "--cpu-prof-dir", profDir, "--cpu-prof-interval", "250"],
  });
  const windows: Array<{ title: string; fromUs: number; toUs: number; requests: number; rps: number }> = [];
  try {
    // Enough instances for a whole window of accepted reboots; the per-request cost does not
    // depend on 1k versus 30k rows.
    const n = 30_000;
    await seed(ctx, target, 0, n, "profile");
    const { url, pid } = server;
    await load({ url, connections: opts.connections, durationS: 2, contentType: FORM, body: describeOneBody(seededId(1), ctx.keys), expect: OK }, pid);
    const b = await load({ url, connections: opts.connections, durationS: opts.seconds, contentType: FORM, body: describeOneBody(seededId(2), ctx.keys), expect: OK }, pid);
    windows.push({ title: "(b) DescribeCompShareInstance of one instance", fromUs: b.startUs, toUs: b.endUs, requests: b.requests, rps: b.rps });
    const accepted = Array.from({ length: n - 10 }, (_, i) => rebootBody(seededId(i + 10), ctx.keys));
    const c = await load({ url, connections: opts.connections, durationS: opts.seconds, contentType: FORM, bodiesFile: writeBodies("profile-accepted", accepted), bodiesMode: "distinct", expect: OK }, pid);
    windows.push({ title: "(c) RebootCompShareInstance, accepted", fromUs: c.startUs, toUs: c.endUs, requests: c.requests, rps: c.rps });
    const d = await load({ url, connections: opts.connections, durationS: opts.seconds, contentType: FORM, bodiesFile: writeBodies("profile-refused", accepted.slice(0, 200)), bodiesMode: "cycle", expect: LOCKED }, pid);
    windows.push({ title: "(d) RebootCompShareInstance, refused (InstanceOperationInProgress)", fromUs: d.startUs, toUs: d.endUs, requests: d.requests, rps: d.rps });
  } finally {
    const code = await server.stop("SIGTERM", 30_000);
    if (code !== 0) log(`  profiled server exited with ${String(code)}: its profile may be missing`);
  }
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no CPU profile was written in ${profDir}`);
  const profile = JSON.parse(readFileSync(join(profDir, file), "utf8")) as CpuProfile;
  const parts = [
    `## ${db}`,
    "",
    `Server run from its TypeScript sources (tsx) under \`node --cpu-prof --cpu-prof-interval 250\`, ${opts.connections} connections, ${opts.seconds} s per window, OCS_LOG_LEVEL=warn, 30,000 seeded instances.`,
    "",
  ];
  for (const w of windows) {
    const s = summarize(profile, { fromUs: w.fromUs, toUs: w.toUs });
    parts.push(formatSummary(`${w.title}: ${Math.round(w.rps)} rps`, s, w.requests));
  }
  removeTempDir(dataDir);
  return parts.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Output

function fmt(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/**
 * The before-and-after table of the hot-path work: bench/results/before-hot-path.json holds the
 * rows of a run taken before it (same benchmark, limit rows included), with its date, commit and
 * load, and this run is the after.
 */
function beforeAndAfter(opts: Options): string[] {
  const file = join(ROOT, "bench/results/before-hot-path.json");
  if (!existsSync(file)) return [];
  const before = JSON.parse(readFileSync(file, "utf8")) as { date: string; commit: string; load_average: number[]; rows: Row[] };
  const lines = [
    "## Before and after the hot-path work",
    "",
    `Before: commit ${before.commit}, run of ${before.date} (load average at its start ${before.load_average.join(", ")}), the same benchmark with the limit rows. After: this run. Each ratio is to the limit row of its own run.`,
    "",
    "| scenario | db | instances | ratio to limit, before | after | server CPU µs/request, before | after |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    if (!LIMIT_OF[r.name] || !opts.engines.includes(r.db as Engine)) continue;
    const b = before.rows.find((x) => x.name === r.name && x.db === r.db && x.instances === r.instances);
    lines.push(`| ${r.name} | ${r.db} | ${r.instances?.toLocaleString("en") ?? "–"} | ${fmt(b?.ratio_to_limit, 3)} | ${fmt(r.ratio_to_limit, 3)} | ${fmt(b?.server_cpu_us_per_request, 0)} | ${fmt(r.server_cpu_us_per_request, 0)} |`);
  }
  lines.push("");
  return lines;
}

function writeOutputs(opts: Options, machine: MachineInfo, commandLine: string, started: Date, seconds: number): void {
  const resultsDir = join(ROOT, "bench/results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latest.json"), JSON.stringify(rows, null, 2) + "\n");
  writeFileSync(
    join(resultsDir, "latest-details.json"),
    JSON.stringify({ date: started.toISOString(), command: commandLine, options: opts, machine, loadAverageAfter: describeMachine().loadAverage, durationS: seconds, facts, details, problems }, null, 2) + "\n",
  );

  const detailOf = (r: Row) => details.find((d) => d.name === r.name && d.db === r.db && d.instances === r.instances);
  const us = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : ms * 1000);
  const table = [
    "| scenario | db | instances | rps | p50 ms | p99 ms | ratio to (a) | ratio to limit | server CPU µs/request | PostgreSQL CPU µs/request | requests | unexpected answers |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const d = detailOf(r);
      return `| ${r.name} | ${r.db} | ${r.instances === null ? "–" : r.instances.toLocaleString("en")} | ${fmt(r.rps, 0)} | ${fmt(r.p50_ms, 2)} | ${fmt(r.p99_ms, 2)} | ${fmt(r.ratio_to_baseline, 3)} | ${fmt(r.ratio_to_limit, 3)} | ${fmt(r.server_cpu_us_per_request, 0)} | ${fmt(us(d?.db_cpu_ms_per_request), 0)} | ${d?.requests?.toLocaleString("en") ?? "–"} | ${d?.mismatches === undefined ? "–" : d.mismatches + (d.errors ?? 0) + (d.timeouts ?? 0) + (d.non2xx ?? 0)} |`;
    }),
  ].join("\n");
  const beforeLines = beforeAndAfter(opts);

  const ratio = (a: Row | undefined, b: Row | undefined) => (a?.rps && b?.rps ? a.rps / b.rps : null);
  const scaleLines: string[] = [];
  const aimLines: string[] = [];
  for (const db of opts.engines) {
    const f = (facts[db] ?? {}) as Record<string, number | null>;
    const bSmall = find("b-describe-one", db, opts.small);
    const bBig = find("b-describe-one", db, opts.big);
    const cSmall = find("c-reboot-accepted", db, opts.small);
    const cBig = find("c-reboot-accepted", db, opts.big);
    const dSmall = find("d-reboot-refused", db, opts.small);
    scaleLines.push(
      `| ${db} | ${fmt(ratio(bBig, bSmall), 2)} | ${fmt(ratio(cBig, cSmall), 2)} | ${fmt((f.seed_1m_ms ?? NaN) / 1000, 1)} s | ${fmt(f.rss_mib_started)} | ${fmt(f.rss_mib_idle_1k)} | ${fmt(f.rss_mib_idle_1m)} | ${fmt(f.rss_mib_after_run)} |`,
    );
    const aim = (what: string, got: number | null, want: number) =>
      `| ${db} | ${what} | ${fmt(got, 2)} | ≥ ${want} | ${got === null ? "not measured" : got >= want ? "met" : "not met"} |`;
    const toRunning = find("c-reboot-to-running", db, opts.small);
    const delayP99 = (facts[`${db}_delay`] as Record<string, number> | undefined)?.upper_p99_ms ?? null;
    aimLines.push(
      aim("(b) Describe / its limit, 1k", bSmall?.ratio_to_limit ?? null, 0.8),
      aim("(d) refused reboots / their limit, 1k", dSmall?.ratio_to_limit ?? null, 0.8),
      aim("(c) accepted reboots to Running / the accepted limit, 1k", toRunning?.ratio_to_limit ?? null, 0.5),
      aim("(b) Describe 1M / 1k", ratio(bBig, bSmall), 0.8),
      aim("(c) accepted reboots 1M / 1k", ratio(cBig, cSmall), 0.8),
      `| ${db} | control-plane delay p99, ms | ${fmt(delayP99, 2)} | < 10 | ${delayP99 === null ? "not measured" : delayP99 < 10 ? "met" : "not met"} |`,
    );
  }
  const moto = facts.moto as { skipped?: string; version?: string } | undefined;
  const motoD = find("moto:DescribeInstances (one)", "moto", 200);
  const motoR = find("moto:RebootInstances", "moto", 200);
  const motoLines: string[] = [];
  if (moto?.skipped) motoLines.push(`moto was not measured: ${moto.skipped}`);
  else if (moto?.version) {
    motoLines.push(`moto ${moto.version} (\`moto_server\`, Werkzeug's threaded server, in-memory state), 200 EC2 instances, the same connections, bodies, checks and window. Werkzeug closes the connection after every response, which autocannon cannot follow: these two rows come from the load generator's node:http loop, one new connection per request.`, "");
    motoLines.push("| our scenario | ours rps | moto scenario | moto rps | ours / moto |", "|---|---:|---|---:|---:|");
    for (const db of opts.engines) {
      const b = find("b-describe-one", db, opts.small);
      const c = find("c-reboot-accepted", db, opts.small);
      const d = find("d-reboot-refused", db, opts.small);
      motoLines.push(`| (b) Describe one, ${db} 1k | ${fmt(b?.rps, 0)} | DescribeInstances (one) | ${fmt(motoD?.rps, 0)} | ${fmt(ratio(b, motoD), 2)} |`);
      motoLines.push(`| (c) Reboot accepted, ${db} 1k | ${fmt(c?.rps, 0)} | RebootInstances | ${fmt(motoR?.rps, 0)} | ${fmt(ratio(c, motoR), 2)} |`);
      motoLines.push(`| (d) Reboot refused, ${db} 1k | ${fmt(d?.rps, 0)} | RebootInstances | ${fmt(motoR?.rps, 0)} | ${fmt(ratio(d, motoR), 2)} |`);
    }
  } else motoLines.push("moto was not part of this run (--no-moto).");

  const delayLines = opts.engines.map((db) => {
    const f = facts[`${db}_delay`] as Record<string, number> | undefined;
    return f
      ? `| ${db} | ${fmt(f.upper_p50_ms, 2)} | ${fmt(f.upper_p99_ms, 2)} | ${fmt(f.upper_max_ms, 2)} | ${fmt(f.lower_p50_ms, 2)} | ${fmt(f.poll_rtt_p50_ms, 2)} | ${fmt(f.server_ended_minus_until_p50_ms, 0)} / ${fmt(f.server_ended_minus_until_p99_ms, 0)} | ${f.instances} |`
      : `| ${db} | – | – | – | – | – | – | – |`;
  });
  const micro = facts.micro as Record<string, number> | undefined;
  const cold = facts.cold_start as ColdStart | undefined;
  const coldAim = (got: number | undefined, want: number) => (got === undefined ? "not measured" : got <= want ? "met" : "not met");
  const coldLines = cold
    ? [
        "| what | median ms | min ms | bare Node, same run: median ms | aim | |",
        "|---|---:|---:|---:|---:|---|",
        `| \`ocs help\`, spawn to exit | ${fmt(cold.ocs_help.median_ms)} | ${fmt(cold.ocs_help.min_ms)} | ${fmt(cold.node_bare.median_ms)} (\`node -e ""\`) | ≤ 150 | ${coldAim(cold.ocs_help.median_ms, 150)} |`,
        `| \`ocs serve\` (SQLite, new data directory), spawn to the first answer | ${fmt(cold.serve_first_answer_new.median_ms)} | ${fmt(cold.serve_first_answer_new.min_ms)} | ${fmt(cold.http_bare_first_answer.median_ms)} (bare node:http) | ≤ 500 | ${coldAim(cold.serve_first_answer_new.median_ms, 500)} |`,
        `| \`ocs serve\` (SQLite, existing data directory), spawn to the first answer | ${fmt(cold.serve_first_answer_existing.median_ms)} | ${fmt(cold.serve_first_answer_existing.min_ms)} | ${fmt(cold.http_bare_first_answer.median_ms)} (bare node:http) | ≤ 500 | ${coldAim(cold.serve_first_answer_existing.median_ms, 500)} |`,
        "",
        `${cold.ocs_help.rounds} rounds each, the compiled JavaScript (no NODE_OPTIONS, as a user runs it). The first answer is \`GET /healthz\` 200, polled every 2 ms.`,
      ]
    : ["not measured"];
  const profileFiles = readdirSync(resultsDir).filter((f) => /^profile-.*\.md$/.test(f));

  const md = `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts); do not edit by hand: the next run rewrites this file.
Raw results: [bench/results/latest.json](bench/results/latest.json) (the table below) and
[bench/results/latest-details.json](bench/results/latest-details.json) (requests, errors, server CPU per
request, seeding times, memory, options, machine).

- **Date:** ${started.toISOString()} (the run took ${Math.round(seconds)} s)
- **Command:** \`${commandLine}\`
- **Machine:** ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}; Node ${machine.node}
- **Load average** (1, 5, 15 min) at the start: ${machine.loadAverage.join(", ")}; at the end: ${describeMachine().loadAverage.join(", ")}.
  Anything above 0 is other work sharing the ${machine.cores} cores with the benchmark: the numbers move with it.

## Results

Every row of (a)–(d) is ${opts.seconds} s of load from one autocannon process with ${opts.connections} keep-alive connections,
after a 1 s warm-up — except accepted reboots at 1k, where the database has only 1,000 instances to reboot once
each: ${Math.floor(opts.small / 4)} warm-up reboots, then exactly ${opts.small - Math.floor(opts.small / 4)} measured requests. (a) is the median of ${baselines.length} baseline
windows spread over the run (${baselines.map((b) => Math.round(b.rps).toLocaleString("en")).join(", ")} rps), to damp the noise of a shared machine.
"ratio to (a)" is rps / baseline rps. "ratio to limit" is rps over the matching (f) row's: the lean probe
(bench/limit.ts) that does only the work a correct answer needs — parse the form, verify the signature, one
prepared primary-key read (for an accepted reboot: one transaction with the lock's compare-and-set, the
operation's insert and the state's update), write the envelope — on a database of the same schema and rows,
same engine, same load generator and connections, in this run. (b) is measured against f-limit-describe,
(c) and c-reboot-to-running against f-limit-accepted, (d) against f-limit-refused. "server CPU µs/request"
is the server process's (or the probe's) user+system CPU time during the window divided by the requests
answered (it does not depend on the load generator's own ceiling); on PostgreSQL the database's own CPU
(postmaster and backends) is counted apart, in the next column. c-reboot-to-running is the accepted reboot
counted to the end: 750 reboots of a server whose simulated reboot takes no time, its rate the operations
over the span from the first one's start to the last one's end (the server's own clock), its CPU all the
runner's work to Running.

${table}

${problems.length ? `**Anomalies in this run:**\n\n${problems.map((p) => `- ${p}`).join("\n")}\n` : "No request in any window got an unexpected answer, an error or a timeout."}

${beforeLines.join("\n")}

## Aims (reported, not pass/fail)

| db | measure | got | aim | |
|---|---|---:|---:|---|
${aimLines.join("\n")}

## Scale and memory

| db | (b) 1M / 1k | (c) 1M / 1k | seeding ${opts.big.toLocaleString("en")} rows | RSS started MiB | idle at 1k | idle at 1M | after the 1M run |
|---|---:|---:|---:|---:|---:|---:|---:|
${scaleLines.join("\n")}

Seeding inserts the rows of \`instances\`, \`instance_locks\` and \`sim_machines\` with three \`INSERT … SELECT\` over a
generated series (SQLite: recursive CTE; PostgreSQL: \`generate_series\`, then \`ANALYZE\`) in one transaction,
while the server is running and idle. RSS is read from /proc of the server process.

## The control plane's own delay

From the simulated driver finishing a reboot (its journal's \`until\`, in the server's clock) to the first
DescribeCompShareInstance answer showing the instance Running (the benchmark's clock: same machine, same
clock; on PostgreSQL the server corrects its clock by its measured offset to the database's, ~0 here).
${DELAY_INSTANCES} instances rebooted ${DELAY_STAGGER_MS} ms apart with \`OCS_SIM_BOOT_MS=${DELAY_BOOT_MS}\`; each is polled alone, back to
back, from ${30} ms before it is due. The runner writes Running in the transaction that ends the operation,
right after the driver call returns: no polling interval is involved. The upper bound is when the first
Running answer arrived; the lower bound uses the send time of the last answer that still showed Rebooting.
The measurement's resolution is one poll. The server's own view, \`operations.ended_at\` (taken as the
ending transaction starts, whole milliseconds) minus \`until\`, is the part spent before the final write.

| db | upper p50 ms | upper p99 ms | max ms | lower p50 ms | one poll (p50) ms | server: ended_at − until p50 / p99 ms | instances |
|---|---:|---:|---:|---:|---:|---:|---:|
${delayLines.join("\n")}

## Signature verification alone (e)

${micro ? `\`verify()\` (sort the keys, concatenate, SHA-1, constant-time compare): **${fmt(micro.verify_ops_per_s, 0)} ops/s** on one core.
For comparison, opening a sealed private key (AES-256-GCM), which authenticate does once per key (the opened
key is then remembered by its sealed form): ${fmt(micro.aes_gcm_open_ops_per_s, 0)} ops/s; both together: ${fmt(micro.open_then_verify_ops_per_s, 0)} ops/s.` : "not measured"}

## Cold start

${coldLines.join("\n")}

## A reference from outside: moto

${motoLines.join("\n")}

## Method

- **Processes.** The server is \`node packages/cli/bin/ocs.js serve\` (the compiled build, as \`npm start\`), in its own process
  with a temporary data directory, on 127.0.0.1 and a free port. The load generator (bench/loadgen.ts,
  autocannon) is another process; the orchestrator a third. All three share the machine's ${machine.cores} cores, so
  the baseline (a) is the ceiling of server + load generator together on this machine, and the other
  results are best read as ratios to it.
- **Requests.** Form-encoded POSTs signed as the official SDKs sign them, for the default account
  (fixed key pair through \`OCS_PUBLIC_KEY\`/\`OCS_PRIVATE_KEY\`, no ProjectId: the default project), with
  Region (and Zone for reboots). (b) asks for one instance by \`UHostIds.0\`. (c) sends each body once: each
  reboots a different Running instance. (d) cycles through 200 instances that (c) left locked (Rebooting),
  answered 226610 InstanceOperationInProgress. The deep-offset Describe uses Limit=100 and 2 connections.
  Every answer is checked (RetCode 0, or 226610 for (d)); latencies are recorded per response.
- **Server settings.** \`OCS_LOG_LEVEL=warn\` (a per-request log line at info is measured once, on SQLite);
  \`OCS_SIM_BOOT_MS=3600000\`, \`OCS_SOFT_TIMEOUT_MS=3600000\`, \`OCS_LOCK_TTL_S=7200\` so that no accepted reboot
  completes, and no soft-to-hard fallback fires, during any later window; the runner's work right after
  acceptance (status read, phase write, the driver's reboot record) does happen inside the window.
  \`OCS_RATE_LIMIT_RPS=0\`: the per-account rate limit (200 requests/s by default) is off, or it would answer
  most of the load with RetCode 153. Lease renewal, recovery (every 5 s) and the stop
  scheduler (every 1 s) run as in production.
- **Engines.** SQLite: the server's own file in the data directory (WAL, synchronous=NORMAL). PostgreSQL:
  the embedded-postgres package (scripts/embedded-postgres.ts, as the tests use it: \`fsync=off\`,
  \`synchronous_commit=off\`), its own database per server, the server's default pool of 10 connections.
- **Scale.** 1,000 seeded instances, then ${(opts.big - opts.small).toLocaleString("en")} more in the same database and the same server
  process. Seeded ids are \`uhost-\` and 12 hex digits, a permutation of the index, so they are spread over
  the key space as random ids are. (c) at 1M reboots instances that were never touched before.
- **Noise.** Other work on this machine (load average above) moves every number; rerun before comparing runs.

## Profile

${profileFiles.length ? profileFiles.map((f) => `- [bench/results/${f}](bench/results/${f}) (\`npm run bench -- --profile\`)`).join("\n") : "Run `npm run bench -- --profile` to write bench/results/profile-<db>.md."}
`;
  writeFileSync(join(ROOT, "BENCHMARKS.md"), md);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const started = new Date();
  const t0 = performance.now();
  const machine = describeMachine();
  const commandLine = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  workDir = tempDir("work");
  const keys: Keys = { publicKey: "bench_public_key", privateKey: randomBytes(20).toString("hex") };
  const masterKey = randomBytes(32).toString("hex");
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.node}, load ${machine.loadAverage.join(" ")}`);

  const withPg = async <T>(f: (pg: EmbeddedServer | undefined) => Promise<T>, engine: Engine): Promise<T> => {
    if (engine !== "postgres") return f(undefined);
    const dir = tempDir("pg");
    log("starting embedded PostgreSQL");
    const pg = await startEmbeddedPostgres(dir);
    const unregister = onCleanup("embedded PostgreSQL", () => pg.stop());
    try {
      const pidFile = join(dir, "postmaster.pid");
      dbPid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) || undefined : undefined;
      return await f(pg);
    } finally {
      dbPid = undefined;
      await pg.stop().catch((error: unknown) => log(`stopping PostgreSQL: ${String(error)}`));
      unregister();
      removeTempDir(dir);
    }
  };

  if (opts.profile) {
    mkdirSync(join(ROOT, "bench/results"), { recursive: true });
    for (const engine of opts.engines) {
      log(`profiling the server on ${engine}`);
      let text = await withPg((pg) => runProfile(opts, { engine, keys, masterKey, ...(pg ? { pg } : {}) }), engine);
      if (engine === "sqlite") {
        log("counting SQL statements per request (bench/queries.ts)");
        text += `\n## SQL statements per request (bench/queries.ts, SQLite)\n\n${await runScript("queries.ts", [], 120_000)}`;
      }
      const file = join(ROOT, `bench/results/profile-${engine}.md`);
      writeFileSync(file, `# CPU profile of the server (${started.toISOString()}, ${machine.cpuModel}, load ${machine.loadAverage.join(" ")})\n\n${text}`);
      log(`wrote ${file}`);
    }
    return 0;
  }

  let motoSetup: MotoSetup = { ok: false, reason: "not requested (--no-moto)" };
  if (opts.moto) {
    log("preparing moto (cached virtual environment)");
    motoSetup = await prepareMoto(150_000);
    log(motoSetup.ok ? `  moto ${motoSetup.version}${motoSetup.installedNow ? " (installed now)" : ""}` : `  moto unavailable: ${motoSetup.reason}`);
  }

  log("(a) baseline and (e) signature verification");
  await runBaseline(opts);
  await runMicro();
  log("cold start: ocs help, ocs serve to its first answer (the compiled build)");
  facts.cold_start = await measureColdStart();

  for (const [i, engine] of opts.engines.entries()) {
    if (i > 0) {
      log("(a) baseline again");
      await runBaseline(opts);
    }
    log(`${engine}: (b), (c), (d) at ${opts.small.toLocaleString("en")} and ${opts.big.toLocaleString("en")} instances`);
    await withPg((pg) => runEngine(opts, { engine, keys, masterKey, ...(pg ? { pg } : {}) }), engine);
  }
  log("(a) baseline again");
  await runBaseline(opts);

  if (opts.moto) {
    log("moto");
    await runMoto(opts, motoSetup).catch((error: unknown) => {
      facts.moto = { skipped: `moto failed during the run: ${(error as Error).message}` };
      log(`  moto failed: ${(error as Error).message}`);
    });
  }

  finishBaseline();
  finishLimits();
  const seconds = (performance.now() - t0) / 1000;
  writeOutputs(opts, machine, commandLine, started, seconds);
  log(`wrote bench/results/latest.json and BENCHMARKS.md in ${Math.round(seconds)} s${problems.length ? `; ${problems.length} anomalies (see BENCHMARKS.md)` : ""}`);
  return 0;
}

// Bounded: whatever hangs, the run ends, and its processes and files go with it.
const WATCHDOG_MS = 15 * 60_000;
const watchdog = setTimeout(() => {
  log(`the run exceeded ${WATCHDOG_MS / 60_000} minutes: stopping`);
  void cleanup().finally(() => process.exit(124));
}, WATCHDOG_MS);
watchdog.unref();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`bench: ${error.message}\n`);
    exitCode = 2;
  } else log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
