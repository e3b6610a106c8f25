// ---------------------------------------------------------------------------------------------
// The load generator, as a child process

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpuMs, log, postForm, ROOT, round, treeCpuMs, withTimeout } from "../lib.js";
import type { LoadResult, LoadSpec } from "../loadgen.js";
import type { Options } from "./options.js";
import { baselines, problems, record } from "./results.js";

let loadgenSeq = 0;
let workDir = "";
/** The PostgreSQL postmaster of the engine being measured, whose CPU is counted too. */
let dbPid: number | undefined;

/** The run's working directory (load specs, bodies files), set by main() before anything runs. */
export function setWorkDir(dir: string): void {
  workDir = dir;
}

/** Set while an engine's PostgreSQL runs, cleared when it stops. */
export function setDbPid(pid: number | undefined): void {
  dbPid = pid;
}

export async function load(spec: LoadSpec, serverPid?: number): Promise<LoadResult & { cpuMsPerReq: number | null; dbCpuMsPerReq: number | null }> {
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

export function writeBodies(name: string, bodies: string[]): string {
  const file = join(workDir, `${name}.bodies`);
  writeFileSync(file, bodies.join("\n") + "\n");
  return file;
}

export const FORM = "application/x-www-form-urlencoded";
export const OK = ['"RetCode":0'];
export const LOCKED = ['"RetCode":226610'];

/** Runs one measured scenario and records it. */
export async function scenario(
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
export async function sanity(url: string, body: string, what: string): Promise<void> {
  const answer = await postForm(url, body);
  if (answer.RetCode !== 0) throw new Error(`${what}: the server answered ${JSON.stringify(answer).slice(0, 400)}`);
}

export const warmUp = (opts: Options, url: string, body: string, pid?: number) =>
  load({ url, connections: opts.connections, durationS: 1, contentType: FORM, body, expect: OK }, pid);

/** Runs one of the bench scripts in its own process and returns what it printed. */
export async function runScript(script: string, args: string[], timeoutMs: number): Promise<string> {
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
