/**
 * `machine_faults`: the faults armed in the machines (controls/faults.ts decides when one fires).
 * The lookup runs before every driver call, so it is prepared.
 */
import { prepared, rowsOf } from "../prepared.js";
import type { Executor } from "../schema.js";
import type { MachineFaultsTable } from "../testing-schema.js";

export type FaultRowMode = MachineFaultsTable["mode"];

/** A fault to arm: the method it matches, optionally one target, how many calls it catches. */
export interface NewFault {
  id: string;
  method: string;
  instanceId: string | null;
  mode: FaultRowMode;
  times: number;
  delayMs: number;
  message: string;
  now: number;
}

/** A fault as stored. */
export interface FaultRecord {
  id: string;
  method: string;
  instanceId: string | null;
  mode: FaultRowMode;
  times: number;
  remaining: number;
  delayMs: number;
  message: string;
  createdAt: number;
}

export async function insertFault(db: Executor, f: NewFault): Promise<void> {
  await db
    .insertInto("machine_faults")
    .values({ id: f.id, method: f.method, instance_id: f.instanceId, mode: f.mode, times: f.times, remaining: f.times, delay_ms: f.delayMs, message: f.message, created_at: f.now })
    .execute();
}

/** Every fault, oldest first (spent ones too, until cleared). */
export async function listFaults(db: Executor): Promise<FaultRecord[]> {
  const rows = await db.selectFrom("machine_faults").selectAll().orderBy("created_at").orderBy("id").execute();
  return rows.map((r) => ({
    id: r.id,
    method: r.method,
    instanceId: r.instance_id,
    mode: r.mode,
    times: Number(r.times),
    remaining: Number(r.remaining),
    delayMs: Number(r.delay_ms),
    message: r.message,
    createdAt: Number(r.created_at),
  }));
}

/** Deletes one fault, or every fault; answers how many went. */
export async function deleteFaults(db: Executor, id?: string): Promise<number> {
  let q = db.deleteFrom("machine_faults");
  if (id !== undefined) q = q.where("id", "=", id);
  return Number((await q.executeTakeFirst()).numDeletedRows);
}

/** Asked before every driver call: prepared once. */
const firstArmed = prepared(2, (db, method: string, instanceId: string) =>
  db
    .selectFrom("machine_faults")
    .select(["id", "mode", "delay_ms", "remaining", "message"])
    .where("method", "=", method)
    .where("remaining", ">", 0)
    .where((eb) => eb.or([eb("instance_id", "is", null), eb("instance_id", "=", instanceId)]))
    .orderBy("created_at")
    .limit(1),
);

/** The oldest armed fault with calls left that matches `method` on `instanceId` (or on any). */
export async function firstFault(db: Executor, method: string, instanceId: string): Promise<Pick<FaultRecord, "id" | "mode" | "delayMs" | "remaining" | "message"> | undefined> {
  const [row] = await rowsOf(firstArmed(db, method, instanceId));
  return row ? { id: row.id, mode: row.mode, delayMs: Number(row.delay_ms), remaining: Number(row.remaining), message: row.message } : undefined;
}

/** Takes one call of the fault if it still has `remaining` (a compare-and-set); false when another call took it first. */
export async function takeFaultShot(db: Executor, fault: { id: string; remaining: number }): Promise<boolean> {
  const taken = await db
    .updateTable("machine_faults")
    .set({ remaining: fault.remaining - 1 })
    .where("id", "=", fault.id)
    .where("remaining", "=", fault.remaining)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}
