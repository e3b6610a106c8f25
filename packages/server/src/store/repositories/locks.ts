/**
 * The instance locks (`instance_locks`): the one place their rows are read and written. One row
 * per instance, with its holder, its fencing token and the instance epoch; every write is a
 * compare-and-set. Rows leave as records (numbers as numbers). What a lock means — who may take
 * it, for how long, and what is reported when it is taken or released — is operations/lock.ts.
 */
import { sql } from "kysely";
import { prepared, rowsOf } from "../prepared.js";
import type { Executor } from "../schema.js";

/** What taking the lock gives: the fencing token of the lock, and the instance epoch the operation acts under. */
export interface Taken {
  token: number;
  epoch: number;
}

/** The lock row as it stands: its holder (null when free), the holder's action, and its expiry. */
export interface LockRecord {
  holderOpId: string | null;
  /** The holding operation's action; null when free, or when the holder's record is gone. */
  holderAction: string | null;
  expiresAt: number;
}

/** Inserts the (free) lock row of a new instance. */
export async function insertLock(db: Executor, instanceId: string): Promise<void> {
  await db.insertInto("instance_locks").values({ instance_id: instanceId, holder_op_id: null, token: 0, acquired_at: 0, expires_at: 0, epoch: 0 }).execute();
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

/** Gives the lock to `opId` until `expiresAt` if it is free or expired at `now`, advancing token and epoch. Null when held. */
export async function takeFreeLock(db: Executor, instanceId: string, opId: string, now: number, expiresAt: number): Promise<Taken | null> {
  const [row] = await rowsOf(casLock(db, instanceId, opId, now, expiresAt));
  return row ? { token: Number(row.token), epoch: Number(row.epoch) } : null;
}

/**
 * Gives the lock to `opId` until `expiresAt` if it is free, already `opId`'s, or expired at
 * `now`, advancing token and epoch. Null when another operation holds it.
 */
export async function retakeLockFor(db: Executor, instanceId: string, opId: string, now: number, expiresAt: number): Promise<Taken | null> {
  const row = await db
    .updateTable("instance_locks")
    .set({ holder_op_id: opId, token: sql`token + 1`, epoch: sql`epoch + 1`, acquired_at: now, expires_at: expiresAt })
    .where("instance_id", "=", instanceId)
    .where((eb) => eb.or([eb("holder_op_id", "is", null), eb("holder_op_id", "=", opId), eb("expires_at", "<=", now)]))
    .returning(["token", "epoch"])
    .executeTakeFirst();
  return row ? { token: Number(row.token), epoch: Number(row.epoch) } : null;
}

/** Advances the instance epoch, whoever holds the lock; the new epoch (0 when the instance has no lock row). */
export async function bumpEpoch(db: Executor, instanceId: string): Promise<number> {
  const row = await db
    .updateTable("instance_locks")
    .set({ epoch: sql`epoch + 1` })
    .where("instance_id", "=", instanceId)
    .returning("epoch")
    .executeTakeFirst();
  return row ? Number(row.epoch) : 0;
}

/** Frees the lock if `opId` holds it under `token`. Returns whether it did. */
export async function freeLock(db: Executor, instanceId: string, opId: string, token: number): Promise<boolean> {
  const res = await db
    .updateTable("instance_locks")
    .set({ holder_op_id: null, expires_at: 0 })
    .where("instance_id", "=", instanceId)
    .where("holder_op_id", "=", opId)
    .where("token", "=", token)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Whether `token` is the lock's current token. It is an UPDATE that changes nothing, so on
 * PostgreSQL it also locks the row until the transaction ends.
 */
export async function tokenIsCurrent(db: Executor, instanceId: string, token: number): Promise<boolean> {
  const res = await db
    .updateTable("instance_locks")
    .set({ token })
    .where("instance_id", "=", instanceId)
    .where("token", "=", token)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The instance's lock row with its holder's action, or undefined when the instance has none. */
export async function findLock(db: Executor, instanceId: string): Promise<LockRecord | undefined> {
  const row = await db
    .selectFrom("instance_locks")
    .leftJoin("operations", "operations.id", "instance_locks.holder_op_id")
    .select(["instance_locks.holder_op_id", "instance_locks.expires_at", "operations.action"])
    .where("instance_locks.instance_id", "=", instanceId)
    .executeTakeFirst();
  return row ? { holderOpId: row.holder_op_id, holderAction: row.action, expiresAt: Number(row.expires_at) } : undefined;
}
