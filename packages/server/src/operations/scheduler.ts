/** The stop scheduler: a Running instance whose StopSchedulerTime has come is stopped. */
import { ApiError, State } from "@opencompshare/protocol";
import { sql } from "kysely";
import type { Db } from "../store/schema.js";
import type { Clock } from "../clock.js";
import type { Logger } from "pino";
import type { Engine } from "./engine.js";

export async function runDueStops(db: Db, clock: Clock, engine: Engine, log: Logger): Promise<number> {
  const now = clock.now();
  const due = await db
    .selectFrom("instances")
    .select(["id", "account_id", "project_id", "stop_scheduler_time"])
    // A literal 0, so that the partial index (stop_scheduler_time > 0) applies.
    .where(sql<boolean>`stop_scheduler_time > 0`)
    .where("stop_scheduler_time", "<=", now)
    .limit(200)
    .execute();
  let stopped = 0;
  for (const inst of due) {
    // Claim the schedule first, so two replicas never both act on it.
    const claimed = await db
      .updateTable("instances")
      .set({ stop_scheduler_time: 0 })
      .where("id", "=", inst.id)
      .where("stop_scheduler_time", "=", inst.stop_scheduler_time)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    const state = await db.selectFrom("instances").select("state").where("id", "=", inst.id).executeTakeFirst();
    if (state?.state !== State.Running) continue;
    try {
      await engine.accept({
        action: "StopCompShareInstance",
        caller: { accountId: inst.account_id, projectId: inst.project_id, requestId: "stop-scheduler", source: "schedule", requester: "stop-scheduler" },
        instanceId: inst.id,
      });
      stopped++;
    } catch (error) {
      log.warn({ uhost: inst.id, reason: error instanceof ApiError ? error.message : String(error) }, "scheduled stop refused");
    }
  }
  return stopped;
}
