/**
 * The instance operation lock: one row per instance, taken by compare-and-set when free or
 * expired, carrying a fencing token that grows with every acquisition. Its holder releases it
 * when its work on the instance ends; the TTL bounds how long a dead holder blocks the instance.
 */
import { sql } from "kysely";
import { appendInstanceEvent } from "../store/repositories/events.js";
import { prepared, rowsOf } from "../store/prepared.js";
import type { Executor } from "../store/schema.js";

export interface HeldLock {
  holderOpId: string;
  holderAction: string;
  expiresAt: number;
}

/** What taking the lock gives: the fencing token of the lock, and the instance epoch the operation acts under. */
export interface Taken {
  token: number;
  epoch: number;
}

/** Creates the (free) lock row of a new instance. */
export async function createLock(db: Executor, instanceId: string): Promise<void> {
  await db.insertInto("instance_locks").values({ instance_id: instanceId, holder_op_id: null, token: 0, acquired_at: 0, expires_at: 0, epoch: 0 }).execute();
}

/** Reports a lock taken, in the transaction that took it. */
async function taken(db: Executor, instanceId: string, opId: string, now: number, ttlMs: number): Promise<void> {
  await appendInstanceEvent(db, { kind: "lock.taken", instanceId, data: { OperationId: opId, ExpireTime: Math.floor((now + ttlMs) / 1000) }, at: now });
}

/** Every accepted operation's compare-and-set: prepared once. */
const casLock = prepared(4, (db, instanceId: string, opId: string, now: number, expiresAt: number) =>
  db
    .updateTable("instance_locks")
    .set({ holder_op_id: opId, token: sql`token + 1`, epoch: sql`epoch + 1`, acquired_at: now, expires_at: expiresAt })
    .where("instance_id", "=", instanceId)
    .where((eb) => eb.or([eb("holder_op_id", "is", null), eb("expires_at", "<=", now)]))
    .returning(["token", "epoch"]),
);

/** Takes the lock for `opId` if it is free or expired at `now`; the epoch grows with it. Null when held. */
export async function acquireLock(db: Executor, instanceId: string, opId: string, now: number, ttlMs: number): Promise<Taken | null> {
  const [row] = await rowsOf(casLock(db, instanceId, opId, now, now + ttlMs));
  if (!row) return null;
  await taken(db, instanceId, opId, now, ttlMs);
  return { token: Number(row.token), epoch: Number(row.epoch) };
}

/**
 * Re-takes the lock for an operation whose runner died, whether or not it expired: recovery is
 * the holder's successor. Returns the new token and epoch, or null when another operation holds it now.
 */
export async function retakeLock(db: Executor, instanceId: string, opId: string, now: number, ttlMs: number): Promise<Taken | null> {
  const row = await db
    .updateTable("instance_locks")
    .set({ holder_op_id: opId, token: sql`token + 1`, epoch: sql`epoch + 1`, acquired_at: now, expires_at: now + ttlMs })
    .where("instance_id", "=", instanceId)
    .where((eb) => eb.or([eb("holder_op_id", "is", null), eb("holder_op_id", "=", opId), eb("expires_at", "<=", now)]))
    .returning(["token", "epoch"])
    .executeTakeFirst();
  if (!row) return null;
  await taken(db, instanceId, opId, now, ttlMs);
  return { token: Number(row.token), epoch: Number(row.epoch) };
}

/** Advances the instance epoch without the lock (a taken-over operation that runs without it). */
export async function advanceEpoch(db: Executor, instanceId: string): Promise<number> {
  const row = await db
    .updateTable("instance_locks")
    .set({ epoch: sql`epoch + 1` })
    .where("instance_id", "=", instanceId)
    .returning("epoch")
    .executeTakeFirst();
  return row ? Number(row.epoch) : 0;
}

/** Releases the lock if `token` is still the current one, at `now`. Returns whether it did. */
export async function releaseLock(db: Executor, instanceId: string, opId: string, token: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable("instance_locks")
    .set({ holder_op_id: null, expires_at: 0 })
    .where("instance_id", "=", instanceId)
    .where("holder_op_id", "=", opId)
    .where("token", "=", token)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  await appendInstanceEvent(db, { kind: "lock.released", instanceId, data: { OperationId: opId }, at: now });
  return true;
}

/**
 * Whether `token` is still the lock's current token: the fencing check of a locked write. It is
 * an UPDATE that changes nothing, so on PostgreSQL it also locks the row until the transaction
 * ends: no one can take the lock between this check and the write it guards.
 */
export async function holdsLock(db: Executor, instanceId: string, token: number): Promise<boolean> {
  const res = await db
    .updateTable("instance_locks")
    .set({ token })
    .where("instance_id", "=", instanceId)
    .where("token", "=", token)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The lock as a caller sees it at `now`: held (with who and until when) or null. */
export async function heldLock(db: Executor, instanceId: string, now: number): Promise<HeldLock | null> {
  const row = await db
    .selectFrom("instance_locks")
    .leftJoin("operations", "operations.id", "instance_locks.holder_op_id")
    .select(["instance_locks.holder_op_id", "instance_locks.expires_at", "operations.action"])
    .where("instance_locks.instance_id", "=", instanceId)
    .executeTakeFirst();
  if (!row || !row.holder_op_id || Number(row.expires_at) <= now) return null;
  return { holderOpId: row.holder_op_id, holderAction: row.action ?? "an operation", expiresAt: Number(row.expires_at) };
}
