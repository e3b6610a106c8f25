/**
 * The fault suite (`npm run test:faults`): the control plane under the faults of issue 27, with
 * real processes. One embedded PostgreSQL of the suite's own; each scenario makes a database of
 * its own on it and starts its own `ocs serve` replicas (and, for the partition, an `ocs agent`
 * and a QEMU guest):
 *
 * 1. crash (database.ts): two replicas, 20 instances of the simulated fleet, 10 reboots through
 *    replica 1, PostgreSQL killed with SIGKILL 0.4 s later and started again on the same data
 *    directory 5 s after that, while replica 1 is kept busy with a trickle of reboots for 40 s.
 *    The reboots whose end could not be recorded during the outage are finished by recovery
 *    within OCS_LEASE_MS + OCS_RECOVERY_INTERVAL_MS (plus a margin) of PostgreSQL's return,
 *    however busy the replica (defect 1).
 * 2. stall (database.ts): the same load, PostgreSQL stopped with SIGSTOP for 20 s, then SIGCONT.
 *    In both: every accepted reboot ends exactly once (one record, one end event), no instance is
 *    transitional past the bound, no lock is left held, both replicas live, and every API answer,
 *    during the fault too, is an envelope with HTTP 200 (the RetCodes are printed; a 8433 says
 *    the database does not answer and to try again).
 * 3. agent partition during a reboot (partition.ts): `ocs serve` with OCS_DRIVER=agent, one
 *    `ocs agent` with the QEMU backend (TCG) and the busybox guest of `npm run guest-image`, one
 *    instance Running; a reboot with a short OCS_SOFT_TIMEOUT_MS, the agent process SIGSTOPped
 *    about 1 s after the soft command is delivered (QEMU goes on), kept stopped past the soft
 *    timeout and a margin (the control plane sends the hard fallback, the guest finishes the soft
 *    reboot), then SIGCONT. The operation ends Succeeded, with exactly one new boot id, and Phase
 *    soft-finished-late when the soft reboot finished during the pause (defect 2); no Describe
 *    sample reads the state empty; nothing transitional past OCS_LOCK_TTL_S + OCS_LEASE_MS +
 *    OCS_RECOVERY_INTERVAL_MS.
 * 4. three replicas started at once on a fresh database (start-race.ts), two rounds: all three
 *    serve (/readyz 200) and none exits.
 * 5. SIGTERM with an agent and SSE clients connected (shutdown.ts): the held long-poll is answered
 *    at once, the event streams end, the process exits 0 within OCS_SHUTDOWN_GRACE_S (defect 4).
 *    And every scenario ends by sending SIGTERM to each `ocs serve` it started: each must exit 0
 *    within OCS_SHUTDOWN_GRACE_S (5 s here) + 3 s.
 *
 * Each check is printed with its result as it is made, each scenario with its duration, then
 * `N passed, M failed`; the exit code is non-zero when any failed (the processes' logs are then
 * kept). Every loop is bounded in count and time, a watchdog bounds the whole run and ends, by
 * pid, every process the suite started; traffic goes to 127.0.0.1 only. OCS_FAULTS_ONLY=name[,name]
 * runs only the scenarios whose names start so (crash, stall, agent, three, SIGTERM).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKillablePostgres, type KillablePostgres } from "../../scripts/embedded-postgres.js";
import { check, checks, describeError, say, secs, started } from "./checks.js";
import { CRASH, STALL, databaseFault } from "./database.js";
import { PARTITION, partitionScenario } from "./partition.js";
import { killEverything, processes } from "./processes.js";
import { SHUTDOWN, shutdownScenario } from "./shutdown.js";
import { START_RACE, startRaceScenario } from "./start-race.js";

const WATCHDOG_MS = 330_000;

interface Scenario {
  name: string;
  run(pg: KillablePostgres): Promise<void>;
}

const SCENARIOS: Scenario[] = [
  { name: CRASH.name, run: (pg) => databaseFault(pg, CRASH, 1) },
  { name: STALL.name, run: (pg) => databaseFault(pg, STALL, 2) },
  { name: PARTITION, run: partitionScenario },
  { name: START_RACE, run: startRaceScenario },
  { name: SHUTDOWN, run: shutdownScenario },
];

let server: KillablePostgres | undefined;

/** The output of every process the suite started, kept in a folder when a check failed. */
function keepLogs(): void {
  const logs = mkdtempSync(join(tmpdir(), "ocs-faults-logs-"));
  for (const [i, { label, output }] of processes.entries()) writeFileSync(join(logs, `${String(i + 1).padStart(2, "0")}-${label}.log`), output());
  console.log(`\nprocess logs kept for inspection: ${logs}`);
}

async function main(): Promise<number> {
  const pgDir = mkdtempSync(join(tmpdir(), "ocs-faults-pg-"));
  const durations: string[] = [];
  try {
    server = await startKillablePostgres(pgDir);
    say(`PostgreSQL on port ${server.port}, postmaster ${server.postmasterPid()}, data in ${pgDir}`);
    const only = (process.env.OCS_FAULTS_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    for (const [i, scenario] of SCENARIOS.entries()) {
      if (only.length > 0 && !only.some((o) => scenario.name.startsWith(o))) continue;
      console.log(`\n== scenario ${i + 1}: ${scenario.name}`);
      const t0 = Date.now();
      try {
        await scenario.run(server);
      } catch (error) {
        check(`[${scenario.name}] the scenario ran to its end`, false, describeError(error));
      }
      durations.push(`${secs(Date.now() - t0).padStart(8)}  scenario ${i + 1}: ${scenario.name}`);
      say(`scenario ${i + 1} took ${secs(Date.now() - t0)}`);
    }
  } catch (error) {
    check("the suite started", false, describeError(error));
  } finally {
    await server?.stop().catch(() => undefined);
    rmSync(pgDir, { recursive: true, force: true });
  }
  const failed = checks.filter((c) => !c.ok).length;
  if (failed > 0) keepLogs();
  console.log(`\n${durations.join("\n")}`);
  console.log(`faults suite took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${checks.length - failed} passed, ${failed} failed`);
  return failed > 0 || checks.length === 0 ? 1 : 0;
}

const watchdog = setTimeout(() => {
  console.log(`\nFAIL  the fault suite exceeded its bound of ${WATCHDOG_MS / 1000} s`);
  killEverything();
  keepLogs();
  try {
    server?.resume();
    if (server) process.kill(server.postmasterPid(), "SIGKILL");
  } catch {
    // not running
  }
  console.log(`\n${checks.length - checks.filter((c) => !c.ok).length} passed, ${checks.filter((c) => !c.ok).length + 1} failed`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

const code = await main();
clearTimeout(watchdog);
// Exit explicitly: embedded-postgres hooks process exit and would otherwise end with 0.
process.exit(code);
