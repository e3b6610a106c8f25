/**
 * The instance operation lock: one row per instance, taken by compare-and-set when free or
 * expired, carrying a fencing token that grows with every acquisition. Its holder releases it
 * when its work on the instance ends; the TTL bounds how long a dead holder blocks the instance.
 * The rows are store/repositories/locks.ts; this says when the lock is taken and released, for
 * how long, and reports it.
 */
import { appendInstanceEvent } from "../store/repositories/events.js";
import { bumpEpoch, findLock, freeLock, insertLock, retakeLockFor, takeFreeLock, tokenIsCurrent, type Taken } from "../store/repositories/locks.js";
import type { Executor } from "../store/schema.js";

export type { Taken };

export interface HeldLock {
  holderOpId: string;
  holderAction: string;
  expiresAt: number;
}

/** Creates the (free) lock row of a new instance. */
export async function createLock(db: Executor, instanceId: string): Promise<void> {
  await insertLock(db, instanceId);
}

/** Reports a lock taken, in the transaction that took it. */
async function taken(db: Executor, instanceId: string, opId: string, now: number, ttlMs: number): Promise<void> {
  await appendInstanceEvent(db, { kind: "lock.taken", instanceId, data: { OperationId: opId, ExpireTime: Math.floor((now + ttlMs) / 1000) }, at: now });
}

/** Takes the lock for `opId` if it is free or expired at `now`; the epoch grows with it. Null when held. */
export async function acquireLock(db: Executor, instanceId: string, opId: string, now: number, ttlMs: number): Promise<Taken | null> {
  const got = await takeFreeLock(db, instanceId, opId, now, now + ttlMs);
  if (!got) return null;
  await taken(db, instanceId, opId, now, ttlMs);
  return got;
}

/**
 * Re-takes the lock for an operation whose runner died, whether or not it expired: recovery is
 * the holder's successor. Returns the new token and epoch, or null when another operation holds it now.
 */
export async function retakeLock(db: Executor, instanceId: string, opId: string, now: number, ttlMs: number): Promise<Taken | null> {
  const got = await retakeLockFor(db, instanceId, opId, now, now + ttlMs);
  if (!got) return null;
  await taken(db, instanceId, opId, now, ttlMs);
  return got;
}

/** Advances the instance epoch without the lock (a taken-over operation that runs without it). */
export async function advanceEpoch(db: Executor, instanceId: string): Promise<number> {
  return bumpEpoch(db, instanceId);
}

/** Releases the lock if `token` is still the current one, at `now`. Returns whether it did. */
export async function releaseLock(db: Executor, instanceId: string, opId: string, token: number, now: number): Promise<boolean> {
  if (!(await freeLock(db, instanceId, opId, token))) return false;
  await appendInstanceEvent(db, { kind: "lock.released", instanceId, data: { OperationId: opId }, at: now });
  return true;
}

/**
 * Whether `token` is still the lock's current token: the fencing check of a locked write. It is
 * an UPDATE that changes nothing, so on PostgreSQL it also locks the row until the transaction
 * ends: no one can take the lock between this check and the write it guards.
 */
export async function holdsLock(db: Executor, instanceId: string, token: number): Promise<boolean> {
  return tokenIsCurrent(db, instanceId, token);
}

/** The lock as a caller sees it at `now`: held (with who and until when) or null. */
export async function heldLock(db: Executor, instanceId: string, now: number): Promise<HeldLock | null> {
  const lock = await findLock(db, instanceId);
  if (!lock || !lock.holderOpId || lock.expiresAt <= now) return null;
  return { holderOpId: lock.holderOpId, holderAction: lock.holderAction ?? "an operation", expiresAt: lock.expiresAt };
}
