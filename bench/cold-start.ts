/**
 * Cold starts of the compiled build, against bare Node in the same run:
 *
 * - `ocs help`, wall time from spawn to exit, against `node -e ""`;
 * - `ocs serve` on SQLite, from spawn to its first answer (`GET /healthz` 200), on a new data
 *   directory (it migrates and creates the default account) and on one that exists, against a
 *   bare node:http server's first answer.
 *
 * Each is run `rounds` times; the median is reported, and the minimum. The child gets no
 * NODE_OPTIONS: it runs the compiled JavaScript, as a user's does.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { freePort, OCS_BIN, removeTempDir, ROOT, tempDir } from "./lib.js";

export interface Timing {
  median_ms: number;
  min_ms: number;
  rounds: number;
}

export interface ColdStart {
  node_bare: Timing;
  ocs_help: Timing;
  http_bare_first_answer: Timing;
  serve_first_answer_new: Timing;
  serve_first_answer_existing: Timing;
}

const { NODE_OPTIONS: _ignored, ...ENV } = process.env;

function timing(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10, min_ms: Math.round(sorted[0]! * 10) / 10, rounds: samples.length };
}

function runOnce(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: ENV, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}`);
  return performance.now() - t;
}

/** Spawns `args`, polls `url` every 2 ms until it answers 200, and stops the process. */
async function firstAnswer(args: string[], env: Record<string, string>, url: string): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...ENV, ...env }, stdio: "ignore" });
  try {
    for (;;) {
      const ok = await fetch(url).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - t;
      if (child.exitCode !== null) throw new Error(`node ${args.join(" ")} exited ${child.exitCode} before answering`);
      if (performance.now() - t > 30_000) throw new Error(`no answer from ${url} within 30 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

const BARE_HTTP = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.argv[1]), "127.0.0.1")`;

export async function measureColdStart(rounds = 7): Promise<ColdStart> {
  const node: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < rounds; i++) {
    node.push(runOnce(["-e", ""]));
    help.push(runOnce([OCS_BIN, "help"]));
  }
  const bare: number[] = [];
  const fresh: number[] = [];
  const existing: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const port = await freePort();
    bare.push(await firstAnswer(["-e", BARE_HTTP, String(port)], {}, `http://127.0.0.1:${port}/`));
    const dir = tempDir("cold");
    try {
      const env = { OCS_DATA_DIR: join(dir, "data"), OCS_HOST: "127.0.0.1", OCS_LOG_LEVEL: "warn", OCS_PUBLIC_KEY: "cold_public_key", OCS_PRIVATE_KEY: "cold_private_key" };
      const p1 = await freePort();
      fresh.push(await firstAnswer([OCS_BIN, "serve"], { ...env, OCS_PORT: String(p1) }, `http://127.0.0.1:${p1}/healthz`));
      const p2 = await freePort();
      existing.push(await firstAnswer([OCS_BIN, "serve"], { ...env, OCS_PORT: String(p2) }, `http://127.0.0.1:${p2}/healthz`));
    } finally {
      removeTempDir(dir);
    }
  }
  return {
    node_bare: timing(node),
    ocs_help: timing(help),
    http_bare_first_answer: timing(bare),
    serve_first_answer_new: timing(fresh),
    serve_first_answer_existing: timing(existing),
  };
}
