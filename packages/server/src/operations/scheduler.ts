/** The stop scheduler: a Running instance whose StopSchedulerTime has come is stopped. */
import { ApiError, State } from "@opencompshare/protocol";
import { claimStop, dueStops, stateOf } from "../store/repositories/instances.js";
import type { Db } from "../store/schema.js";
import type { Clock } from "../clock.js";
import type { Logger } from "pino";
import type { Engine } from "./engine.js";

export async function runDueStops(db: Db, clock: Clock, engine: Engine, log: Logger): Promise<number> {
  const now = clock.now();
  const due = await dueStops(db, now, 200);
  let stopped = 0;
  for (const inst of due) {
    // Claim the schedule first, so two replicas never both act on it.
    if (!(await claimStop(db, inst.id, inst.scheduledAt))) continue;
    if ((await stateOf(db, inst.id)) !== State.Running) continue;
    try {
      await engine.accept({
        action: "StopCompShareInstance",
        caller: { accountId: inst.accountId, projectId: inst.projectId, requestId: "stop-scheduler", source: "schedule", requester: "stop-scheduler" },
        instanceId: inst.id,
      });
      stopped++;
    } catch (error) {
      log.warn({ uhost: inst.id, reason: error instanceof ApiError ? error.message : String(error) }, "scheduled stop refused");
    }
  }
  return stopped;
}
