/**
 * `ocs serve` and `npm start` as real processes, as a supervisor runs them: a listen that fails
 * (the port taken, a host name that does not resolve) exits non-zero at once and releases the
 * data directory; SIGTERM to `npm start` stops the server, not only npm.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { freePort, OCS_BIN, poll } from "../helpers/process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | string | null>;
}

function run(command: string, args: string[], env: Record<string, string>): Run {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, OCS_LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  return { child, out: () => out, exited };
}

/** Resolves with what `p` resolves to, or rejects after `ms` of real time (the process hangs). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("ocs serve as a process", () => {
  const dirs: string[] = [];
  const started: ChildProcess[] = [];
  const strays: number[] = [];
  let holder: Server | undefined;
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), "ocs-serve-proc-"));
    dirs.push(d);
    return d;
  };
  after(() => {
    holder?.close();
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const pid of strays) if (alive(pid)) process.kill(pid, "SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("exits non-zero at once when the port is taken, names OCS_PORT, and releases the data directory", async () => {
    const port = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(port, "127.0.0.1", resolve));
    const dir = dataDir();
    const r = run(process.execPath, [OCS_BIN, "serve"], { OCS_HOST: "127.0.0.1", OCS_PORT: String(port), OCS_DATA_DIR: dir });
    started.push(r.child);
    const code = await within(r.exited, 60_000, "ocs serve on a taken port");
    assert.notEqual(code, 0, r.out());
    assert.match(r.out(), /EADDRINUSE|in use/);
    assert.match(r.out(), /OCS_PORT/);
    assert.ok(!existsSync(join(dir, "ocs.pid")), "ocs.pid is removed");
  });

  it("exits non-zero at once when OCS_HOST does not resolve, and names OCS_HOST", async () => {
    const dir = dataDir();
    const r = run(process.execPath, [OCS_BIN, "serve"], { OCS_HOST: "no-such-host.invalid", OCS_PORT: String(await freePort()), OCS_DATA_DIR: dir });
    started.push(r.child);
    const code = await within(r.exited, 60_000, "ocs serve on a host that does not resolve");
    assert.notEqual(code, 0, r.out());
    assert.match(r.out(), /OCS_HOST/);
    assert.ok(!existsSync(join(dir, "ocs.pid")), "ocs.pid is removed");
  });

  it("SIGTERM to npm start stops the server too", async () => {
    const dir = dataDir();
    const port = await freePort();
    const r = run("npm", ["start", "--silent"], { OCS_HOST: "127.0.0.1", OCS_PORT: String(port), OCS_DATA_DIR: dir });
    started.push(r.child);
    await poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 100, 600);
    const serverPid = Number(readFileSync(join(dir, "ocs.pid"), "utf8").trim());
    strays.push(serverPid);
    assert.ok(serverPid > 0 && serverPid !== r.child.pid, "the server is npm's child, not npm");
    r.child.kill("SIGTERM");
    await within(r.exited, 60_000, "npm start after SIGTERM");
    await within(poll(async () => !alive(serverPid), 100, 600), 65_000, "the server after npm's SIGTERM");
    assert.ok(!alive(serverPid), `ocs serve (pid ${serverPid}) is still running: ${r.out()}`);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), "nothing answers on the port");
  });
});
