/**
 * The processes the fault suite starts, and only those: `ocs serve` replicas and `ocs agent`
 * hosts as real child processes (from the TypeScript sources, as the other suites run them), each
 * registered with a label, so that their logs can be kept when a check fails and the watchdog can
 * end them by pid; and the folders whose QEMU processes belong to the suite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { killQemusUnder } from "../qemu/helpers.js";
import { OCS_BIN, spawnServer, type ServerProcess } from "../helpers/process.js";
import { check, secs } from "./checks.js";

/** Every process runs the TypeScript sources, as the other suites' servers do (scripts/test.ts). */
export const FROM_SOURCE = [`--import=${import.meta.resolve("tsx")}`, "--conditions=source"].join(" ");
/** OCS_SHUTDOWN_GRACE_S of every replica the suite starts: on SIGTERM each must exit 0 within it (and a margin). */
export const GRACE_S = 5;

export interface Started {
  label: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string | null>;
}

export const processes: Started[] = [];
/** Folders under which the suite's QEMU processes run (their command lines name them). */
export const qemuRoots: string[] = [];

/** True while the child has not exited. */
export const alive = (p: { child: ChildProcess }): boolean => p.child.exitCode === null && p.child.signalCode === null;

/** `ocs serve` on 127.0.0.1 (on `port` when given), from the sources, with the suite's grace; waits for /healthz. */
export async function spawnReplica(label: string, env: Record<string, string>, port?: number): Promise<ServerProcess> {
  // Registered as soon as it is spawned (the watchdog may fire while it starts); its output once it serves.
  const registered: { entry?: Started } = {};
  // Prepaid creates (the suite's default Month) pay their first period at once: a balance for all of them.
  const replica = await spawnServer({ NODE_OPTIONS: FROM_SOURCE, OCS_SHUTDOWN_GRACE_S: String(GRACE_S), OCS_INITIAL_BALANCE: "1000000", ...env }, port, (child) => {
    registered.entry = { label, child, output: () => "", exited: new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal))) };
    processes.push(registered.entry);
  });
  if (registered.entry) registered.entry.output = replica.output;
  return replica;
}

export interface AgentProcess extends Started {
  pid: number;
}

/** `ocs agent` with `args`, from the sources; its output kept in memory. */
export function spawnAgent(label: string, args: string[], env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, [OCS_BIN, "agent", ...args], {
    env: { ...process.env, NODE_OPTIONS: FROM_SOURCE, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  if (child.pid === undefined) throw new Error("ocs agent did not start");
  const agent: AgentProcess = { label, child, output: () => out, exited, pid: child.pid };
  processes.push(agent);
  return agent;
}

/** One letter of /proc/PID/stat: R, S, D, T (stopped), Z; "gone" when there is no such process. */
export function procState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "?";
  } catch {
    return "gone";
  }
}

/** The watchdog's end: every process the suite started and that still runs is killed, by pid, then the QEMUs under its folders. */
export function killEverything(): void {
  for (const p of processes) {
    if (!alive(p)) continue;
    p.child.kill("SIGCONT");
    p.child.kill("SIGKILL");
  }
  for (const root of qemuRoots) killQemusUnder(root);
}

/** How much longer than OCS_SHUTDOWN_GRACE_S a replica may take to exit after SIGTERM (the runtime's own exit, on a busy 2-core machine). */
export const EXIT_MARGIN_MS = 3000;
/** The bound of a SIGTERM: the grace and the margin. */
export const STOP_BOUND_MS = GRACE_S * 1000 + EXIT_MARGIN_MS;

export interface Stopped {
  label: string;
  /** The exit code or signal; a sentence when it had exited before, or did not within the bound. */
  code: number | string | null;
  ms: number;
}

/**
 * SIGTERM to each of `procs` that still runs, at once; waits for each up to STOP_BOUND_MS, then
 * SIGKILLs what is left (and says so). A process that had exited before is reported as such.
 */
export async function terminate(procs: Array<{ label: string; child: ChildProcess; exited: Promise<number | string | null> }>): Promise<Stopped[]> {
  return Promise.all(
    procs.map(async (p): Promise<Stopped> => {
      if (!alive(p)) return { label: p.label, code: `had exited before (${String(await p.exited)})`, ms: 0 };
      const sent = Date.now();
      p.child.kill("SIGTERM");
      const code = await Promise.race([p.exited, sleep(STOP_BOUND_MS + 5000).then(() => "timeout" as const)]);
      const ms = Date.now() - sent;
      if (code !== "timeout") return { label: p.label, code, ms };
      p.child.kill("SIGKILL");
      await Promise.race([p.exited, sleep(5000)]);
      return { label: p.label, code: `still running ${secs(ms)} after SIGTERM (killed)`, ms };
    }),
  );
}

/** The check every scenario ends with: each server process it started exited 0 within the grace and the margin. */
export function checkStopped(scenario: string, stopped: Stopped[]): void {
  const late = stopped.filter((s) => s.code !== 0 || s.ms > STOP_BOUND_MS);
  check(
    `[${scenario}] SIGTERM: every server process it started exited 0 within OCS_SHUTDOWN_GRACE_S + ${secs(EXIT_MARGIN_MS)} (${secs(STOP_BOUND_MS)})`,
    stopped.length > 0 && late.length === 0,
    stopped.map((s) => `${s.label}: ${typeof s.code === "number" ? `exit ${s.code}` : String(s.code)} after ${secs(s.ms)}`).join("\n"),
  );
}
