/**
 * Shared pieces of the benchmark: child processes that are always cleaned up, free ports,
 * signed request bodies, the machine's description, percentiles and /proc readings.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, freemem, loadavg, release, tmpdir, totalmem, type as osType } from "node:os";
import { freePort } from "../scripts/free-port.js";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sign, type WireParams } from "@opencompshare/protocol";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OCS_BIN = join(ROOT, "packages/cli/bin/ocs.js");

// ---------------------------------------------------------------------------------------------
// Cleanup: every child process, temporary directory and stop function registered here is
// released by cleanup(), which runs on normal exit, on failure and on SIGINT/SIGTERM.

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const stoppers = new Map<string, () => Promise<void>>();

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ocs-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Registers an asynchronous stop (a database server) run by cleanup(); returns its unregister. */
export function onCleanup(name: string, stop: () => Promise<void>): () => void {
  stoppers.set(name, stop);
  return () => stoppers.delete(name);
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  exited: Promise<number | string | null>;
  /** Sends `signal`, waits up to `graceMs`, then SIGKILL. Resolves when the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string | null>;
}

export function startChild(command: string, args: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { stdio: ["ignore", "ignore", "ignore"], ...opts });
  if (proc.pid === undefined) throw new Error(`could not start ${command}`);
  children.add(proc);
  const exited = new Promise<number | string | null>((resolve) => {
    proc.once("exit", (code, signal) => {
      children.delete(proc);
      resolve(code ?? signal);
    });
    proc.once("error", () => {
      children.delete(proc);
      resolve("error");
    });
  });
  return {
    proc,
    pid: proc.pid,
    exited,
    async stop(signal = "SIGTERM", graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

let cleaning: Promise<void> | undefined;

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const proc of children) proc.kill("SIGKILL");
    for (const [name, stop] of stoppers) {
      await withTimeout(stop(), 20_000, `stopping ${name}`).catch((error: unknown) => console.error(`bench: ${String(error)}`));
    }
    stoppers.clear();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    tempDirs.clear();
  })();
  return cleaning;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export { freePort };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/** Polls `url` until it answers 2xx, or throws after `ms`; gives up early if `gone` resolves. */
export async function waitHttp(url: string, ms: number, gone?: Promise<unknown>): Promise<void> {
  let dead = false;
  void gone?.then(() => (dead = true));
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (dead) throw new Error(`process serving ${url} exited before it answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${Math.round(ms / 1000)} s`);
}

// ---------------------------------------------------------------------------------------------
// The server under test: `ocs serve` as a child process.

export interface ServerHandle extends Child {
  url: string;
  logFile: string;
  /** The last lines of its output, for error messages. */
  tail(): string;
}

export async function startOcsServer(opts: {
  env: Record<string, string>;
  dataDir: string;
  nodeArgs?: string[];
  label: string;
}): Promise<ServerHandle> {
  const port = await freePort();
  const logFile = join(opts.dataDir, `server-${opts.label}.log`);
  const fd = openSync(logFile, "a");
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, OCS_HOST: "127.0.0.1", OCS_PORT: String(port), OCS_DATA_DIR: opts.dataDir };
  // The bench's own NODE_OPTIONS (tsx) must not leak into the server: it loads tsx itself.
  delete env.NODE_OPTIONS;
  const child = startChild(process.execPath, [...(opts.nodeArgs ?? []), OCS_BIN, "serve"], { cwd: ROOT, env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const tail = () => {
    try {
      return readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
    } catch {
      return "";
    }
  };
  try {
    await waitHttp(`${url}/healthz`, 90_000, child.exited);
  } catch (error) {
    await child.stop("SIGKILL");
    throw new Error(`the ${opts.label} server did not start: ${(error as Error).message}\n${tail()}`, { cause: error });
  }
  return { ...child, url, logFile, tail };
}

// ---------------------------------------------------------------------------------------------
// Requests, signed as the official SDKs sign them, form-encoded as they send them.

export interface Keys {
  publicKey: string;
  privateKey: string;
}

export function signedForm(action: string, params: Record<string, string | number>, keys: Keys): string {
  const flat: WireParams = { Action: action, ...params, PublicKey: keys.publicKey };
  flat.Signature = sign(flat, keys.privateKey);
  return new URLSearchParams(Object.entries(flat).map(([k, v]): [string, string] => [k, String(v)])).toString();
}

export const REGION = "cn-wlcb";
export const ZONE = "cn-wlcb-01";

export const rebootBody = (id: string, keys: Keys): string => signedForm("RebootCompShareInstance", { Region: REGION, Zone: ZONE, UHostId: id }, keys);
export const describeOneBody = (id: string, keys: Keys): string => signedForm("DescribeCompShareInstance", { Region: REGION, "UHostIds.0": id }, keys);
export const describePageBody = (offset: number, limit: number, keys: Keys): string =>
  signedForm("DescribeCompShareInstance", { Region: REGION, Offset: offset, Limit: limit }, keys);

/** POSTs a form body and returns the parsed JSON answer. */
export async function postForm(url: string, body: string): Promise<Record<string, unknown> & { RetCode: number }> {
  const res = await fetch(`${url}/`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
  return (await res.json()) as Record<string, unknown> & { RetCode: number };
}

// ---------------------------------------------------------------------------------------------
// Instance ids of seeded instances: `uhost-` and 12 hex digits, a bijection of the index that
// scatters consecutive indexes over the key space like random ids would.

const SPREAD = 2654435761; // odd, so i ↦ i·SPREAD mod 2^48 is a permutation
const MOD48 = 2 ** 48;
export const seededId = (i: number): string => `uhost-${((i * SPREAD) % MOD48).toString(16).padStart(12, "0")}`;
export const SPREAD_FACTOR = SPREAD;

// ---------------------------------------------------------------------------------------------
// Measurements.

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Resident set size of a process, in MiB, from /proc. */
export function rssMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11] is utime, fields[12] stime (the 14th and 15th of the whole line).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return null;
  }
}

/** CPU time of a process and its direct children (a PostgreSQL postmaster and its backends), ms. */
export function treeCpuMs(rootPid: number): number | null {
  const own = cpuMs(rootPid);
  if (own === null) return null;
  let total = own;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === rootPid) total += cpuMs(Number(name)) ?? 0;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  os: string;
  loadAverage: number[];
}

export function describeMachine(): MachineInfo {
  let os = `${osType()} ${release()}`;
  if (existsSync("/etc/os-release")) {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (pretty) os = `${pretty} (${osType()} ${release()})`;
  }
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export const round = (n: number | null | undefined, digits = 2): number | null =>
  n === null || n === undefined || !Number.isFinite(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits;

export function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${message}\n`);
}
