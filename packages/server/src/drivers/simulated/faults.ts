/**
 * Fault injection for the simulated driver: rows in `sim_faults`, so a test, the chaos soak or
 * another replica can arm them. A fault matches a method and optionally one instance, and fires
 * `remaining` times: `fail` throws, `hang` never returns until aborted, `slow` adds `delay_ms`.
 */
import { randomUUID } from "node:crypto";
import { prepared, rowsOf } from "../../store/prepared.js";
import type { Db } from "../../store/schema.js";

export type FaultMode = "fail" | "hang" | "slow";

export interface FaultSpec {
  method: string;
  mode: FaultMode;
  instanceId?: string;
  times?: number;
  delayMs?: number;
}

export async function armFault(db: Db, spec: FaultSpec): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto("sim_faults")
    .values({
      id,
      method: spec.method,
      instance_id: spec.instanceId ?? null,
      mode: spec.mode,
      remaining: spec.times ?? 1,
      delay_ms: spec.delayMs ?? 0,
    })
    .execute();
  return id;
}

export async function clearFaults(db: Db): Promise<void> {
  await db.deleteFrom("sim_faults").execute();
}

/** Asked before every driver call: prepared once. */
const firstFault = prepared(2, (db, method: string, instanceId: string) =>
  db
    .selectFrom("sim_faults")
    .select(["id", "mode", "delay_ms", "remaining"])
    .where("method", "=", method)
    .where("remaining", ">", 0)
    .where((eb) => eb.or([eb("instance_id", "is", null), eb("instance_id", "=", instanceId)]))
    .limit(1),
);

/** Takes one shot of the first fault matching the call, if any. */
export async function takeFault(db: Db, method: string, instanceId: string): Promise<{ mode: FaultMode; delayMs: number } | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [fault] = await rowsOf(firstFault(db, method, instanceId));
    if (!fault) return null;
    const taken = await db
      .updateTable("sim_faults")
      .set({ remaining: fault.remaining - 1 })
      .where("id", "=", fault.id)
      .where("remaining", "=", fault.remaining)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return { mode: fault.mode, delayMs: Number(fault.delay_ms) };
  }
  return null;
}
