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
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEmbeddedPostgres, type EmbeddedServer } from "../scripts/embedded-postgres.js";
import { cleanup, describeMachine, log, onCleanup, removeTempDir, ROOT, tempDir, type Keys } from "./lib.js";
import { prepareMoto, type MotoSetup } from "./moto.js";
import { measureColdStart } from "./cold-start.js";
import { runBaseline, runMicro } from "./run/baseline.js";
import { runEngine } from "./run/engine.js";
import { runScript, setDbPid, setWorkDir } from "./run/measure.js";
import { runMoto } from "./run/moto.js";
import { parseOptions, UsageError, type Engine } from "./run/options.js";
import { runProfile } from "./run/profile.js";
import { writeOutputs } from "./run/report.js";
import { facts, finishBaseline, finishLimits, problems } from "./run/results.js";

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const started = new Date();
  const t0 = performance.now();
  const machine = describeMachine();
  const commandLine = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  setWorkDir(tempDir("work"));
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
      setDbPid(existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) || undefined : undefined);
      return await f(pg);
    } finally {
      setDbPid(undefined);
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
