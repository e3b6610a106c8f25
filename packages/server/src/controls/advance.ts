/**
 * What AdvanceCompShareClock does after it moves the clock: the due work of the new time, at
 * once, so that a test can assert right after the answer.
 *
 * 1. The sleepers the jump passed wake (clock.ts): timeouts fire, simulated actions end.
 * 2. This process renews the leases of what it runs, so recovery does not take its own live
 *    operations for orphans.
 * 3. Passes of the stop scheduler, the lifecycle policies (billing, renewals, the reclaim
 *    timeline) and recovery run until one does nothing (bounded: a timeline has a few steps, and
 *    a pass bills at most 48 hours of each resource),
 *    and the operations each pass started are waited for, so that "advance 7 days and a bit"
 *    answers after the instance is gone.
 */
import type { Logger } from "pino";
import { settle, systemClock } from "../clock.js";
import type { Engine } from "../operations/engine.js";
import type { Recovery } from "../operations/recovery.js";
import type { Runner } from "../operations/runner.js";
import { runDueStops } from "../operations/scheduler.js";
import type { LifecyclePolicies } from "../policies/reclaim.js";
import type { Db } from "../store/schema.js";
import type { TestingClock } from "./clock.js";

export interface DueWork {
  db: Db;
  clock: TestingClock;
  engine: Engine;
  runner: Runner;
  recovery: Recovery;
  policies: LifecyclePolicies;
  log: Logger;
}

export interface AdvanceReport {
  offsetMs: number;
  billed: number;
  renewed: number;
  policySteps: number;
  scheduledStops: number;
  operationsSettled: number;
}

/**
 * The most passes one advance runs: more than any timeline has steps, and enough for the hours a
 * pass bills at most (48 per resource) to cover about 128 days. Beyond, the policy loop bills the rest.
 */
const MAX_PASSES = 64;
/** How long, in real time, an advance waits for the operations its passes started. */
const SETTLE_LIMIT_MS = 60_000;

export async function advanceClock(w: DueWork, ms: number): Promise<AdvanceReport> {
  // Every operation launched from here on is the due work's, whoever launched it: the background
  // loops, woken by the jump, may take a step before the passes below do.
  const launched = w.runner.watchLaunches();
  const policiesBefore = w.policies.totals;
  try {
    const offsetMs = await w.clock.advance(ms);
    await settle();
    await w.runner.renewLeases();
    const report: AdvanceReport = { offsetMs, billed: 0, renewed: 0, policySteps: 0, scheduledStops: 0, operationsSettled: 0 };
    const deadline = systemClock.now() + SETTLE_LIMIT_MS;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const before = launched.ids.size;
      const stops = await runDueStops(w.db, w.clock, w.engine, w.log);
      const policies = await w.policies.pass();
      await w.recovery.pass();
      report.scheduledStops += stops;
      await settleWithin(w.runner, [...launched.ids], deadline);
      const started = launched.ids.size - before;
      if (stops === 0 && policies.steps === 0 && policies.billed === 0 && policies.renewed === 0 && started === 0) break;
    }
    // Every launch since the jump counts, the loops' too, once it has ended.
    report.operationsSettled = await settleWithin(w.runner, [...launched.ids], deadline);
    // Every pass of this process counts, the policy loop's too (it may have woken first).
    const policiesAfter = w.policies.totals;
    report.billed = policiesAfter.billed - policiesBefore.billed;
    report.renewed = policiesAfter.renewed - policiesBefore.renewed;
    report.policySteps = policiesAfter.steps - policiesBefore.steps;
    return report;
  } finally {
    launched.stop();
  }
}

/** Waits for `ids` to end, until `deadline` (real time); answers how many ended. */
async function settleWithin(runner: Runner, ids: string[], deadline: number): Promise<number> {
  if (ids.length === 0) return 0;
  const left = deadline - systemClock.now();
  if (left > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ids.map((id) => runner.settled(id))), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
  }
  return ids.filter((id) => !runner.isRunning(id)).length;
}
