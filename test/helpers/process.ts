/** Runs `ocs serve` as a real child process, for tests that kill it. */
import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../../scripts/free-port.js";

export { freePort };
import { fileURLToPath } from "node:url";

export const OCS_BIN = fileURLToPath(new URL("../../packages/cli/bin/ocs.js", import.meta.url));


export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | string | null>;
}

/** Polls `check` every `everyMs` of real time until it holds; gives up after `tries`. */
export async function poll(check: () => Promise<boolean>, everyMs = 50, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error("condition not reached in time");
}

/** `onSpawn`, when given, learns of the child as soon as it is spawned (before it serves), e.g. to end it from a watchdog. */
export async function spawnServer(env: Record<string, string>, port?: number, onSpawn?: (child: ChildProcess) => void): Promise<ServerProcess> {
  const p = port ?? (await freePort());
  const child = spawn(process.execPath, [OCS_BIN, "serve"], {
    env: { ...process.env, OCS_HOST: "127.0.0.1", OCS_PORT: String(p), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onSpawn?.(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  const url = `http://127.0.0.1:${p}`;
  await poll(async () => (await fetch(`${url}/healthz`)).ok).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`server did not start: ${out}`, { cause: error });
  });
  return { url, child, output: () => out, exited };
}
