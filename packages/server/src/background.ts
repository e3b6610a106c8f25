/**
 * The server's background loops, in one place: the operation runner's lease heartbeat, recovery,
 * the stop scheduler (with event and host-command pruning), the lifecycle policies (billing,
 * renewal, reclaim), webhook delivery and the database clock. Started after the first recovery
 * pass, stopped before the store closes. Tests that move time by hand run none of them
 * (`manualLoops`) and call the passes themselves.
 */
import type { Logger } from "./log.js";
import type { Clock, DatabaseClock } from "./clock.js";
import type { CommandQueue } from "./drivers/agent/queue.js";
import type { Webhooks } from "./events/webhooks.js";
import type { Engine } from "./operations/engine.js";
import type { Recovery } from "./operations/recovery.js";
import type { Runner } from "./operations/runner.js";
import { runDueStops } from "./operations/scheduler.js";
import type { LifecyclePolicies } from "./policies/reclaim.js";
import type { Db } from "./store/schema.js";

export interface BackgroundParts {
  db: Db;
  clock: Clock;
  log: Logger;
  engine: Engine;
  runner: Runner;
  recovery: Recovery;
  policies: LifecyclePolicies;
  webhooks: Webhooks;
  /** Only with real machines: ended host commands are pruned. */
  queue: CommandQueue | undefined;
  databaseClock: DatabaseClock | undefined;
  pruneEvents(): Promise<number>;
  intervals: { recoveryMs: number; policyMs: number };
}

export interface Background {
  /** Ends every loop and waits for the passes in progress. */
  stop(): Promise<void>;
}

/** Ended host commands are kept an hour for inspection; their effect is in the operation records. */
const HOST_COMMANDS_KEPT_MS = 3_600_000;
/** Events are pruned once a minute of scheduler ticks. */
const PRUNE_EVERY_TICKS = 60;

/** Runs `pass` every `everyMs` until `signal` aborts; a failed pass is logged and the loop goes on. */
async function every(clock: Clock, everyMs: number, signal: AbortSignal, pass: () => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    try {
      await clock.sleep(everyMs, signal);
    } catch {
      return;
    }
    await pass();
  }
}

export function startBackground(p: BackgroundParts): Background {
  const stopping = new AbortController();
  const failed = (what: string) => (error: unknown) => p.log.error({ err: error }, `${what} failed`);
  p.databaseClock?.start();
  p.runner.startHeartbeat();
  p.recovery.start(p.intervals.recoveryMs);
  let ticks = 0;
  const scheduler = every(p.clock, 1000, stopping.signal, async () => {
    await runDueStops(p.db, p.clock, p.engine, p.log).catch(failed("stop scheduler"));
    if (++ticks % PRUNE_EVERY_TICKS === 0) await p.pruneEvents().catch(failed("pruning events"));
    await p.queue?.prune(HOST_COMMANDS_KEPT_MS).catch(failed("pruning host commands"));
  });
  const policies = every(p.clock, p.intervals.policyMs, stopping.signal, async () => {
    await p.policies.pass().catch(failed("lifecycle policies"));
  });
  p.webhooks.start();
  return {
    async stop() {
      stopping.abort();
      await scheduler;
      await policies;
      await p.recovery.stop();
      await p.runner.stop();
      p.databaseClock?.stop();
    },
  };
}
