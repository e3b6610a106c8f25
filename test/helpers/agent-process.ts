/**
 * `ocs agent` as a process of its own, as the end-to-end suites run it (and kill it), and the
 * boot ids a console shows: one `ocs-boot-id:` line per boot, for VMs and containers alike.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { OCS_BIN } from "./process.js";

export interface AgentProcess {
  child: ChildProcess;
  /** What it wrote (the last 20 kB). */
  output: () => string;
  /** Its exit code, or the signal that ended it. */
  exited: Promise<number | string | null>;
}

/** Starts `ocs agent ARGS` (warnings and errors only in its output). */
export function spawnAgent(args: readonly string[]): AgentProcess {
  const child = spawn(process.execPath, [OCS_BIN, "agent", ...args], { env: { ...process.env, OCS_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  return { child, output: () => out, exited };
}

const BOOT_ID = /ocs-boot-id: ([0-9a-f-]{36})/g;

/** The boot ids on a console, in order. */
export const bootIds = (text: string): string[] => [...text.matchAll(BOOT_ID)].map((m) => m[1] as string);
