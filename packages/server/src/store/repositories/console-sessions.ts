/**
 * The console's used login nonces and its sessions (`console_nonces_used`, `console_sessions`):
 * the one place these tables are read and written. What a nonce or a session is, and how they are
 * checked, is `console/sessions.ts`.
 */
import type { Executor } from "../schema.js";

/** A session's row as the console needs it: whose it is, by which key, and until when. */
export interface SessionRecord {
  accountId: string;
  publicKey: string;
  expiresAt: number;
}

/**
 * Records a nonce as used, dropping the expired ones first. Returns whether this call used it:
 * false when it had been used before (on any replica).
 */
export async function markNonceUsed(db: Executor, nonce: string, expiresAt: number, nowMs: number): Promise<boolean> {
  await db.deleteFrom("console_nonces_used").where("expires_at", "<=", nowMs).execute();
  const inserted = await db
    .insertInto("console_nonces_used")
    .values({ nonce, expires_at: expiresAt })
    .onConflict((c) => c.column("nonce").doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Stores a new session by its token's hash, dropping the expired ones first. */
export async function insertSession(db: Executor, s: { tokenHash: string; accountId: string; publicKey: string; nowMs: number; expiresAt: number }): Promise<void> {
  await db.deleteFrom("console_sessions").where("expires_at", "<=", s.nowMs).execute();
  await db
    .insertInto("console_sessions")
    .values({ token_hash: s.tokenHash, account_id: s.accountId, public_key: s.publicKey, created_at: s.nowMs, expires_at: s.expiresAt })
    .execute();
}

/** The session of a token hash if it has not expired and the key that opened it is still active. */
export async function liveSession(db: Executor, tokenHash: string, nowMs: number): Promise<SessionRecord | undefined> {
  const row = await db
    .selectFrom("console_sessions as s")
    .innerJoin("api_keys as k", "k.public_key", "s.public_key")
    .select(["s.account_id", "s.public_key", "s.expires_at"])
    .where("s.token_hash", "=", tokenHash)
    .where("s.expires_at", ">", nowMs)
    .where("k.status", "=", "active")
    .executeTakeFirst();
  return row ? { accountId: row.account_id, publicKey: row.public_key, expiresAt: Number(row.expires_at) } : undefined;
}

export async function deleteSession(db: Executor, tokenHash: string): Promise<void> {
  await db.deleteFrom("console_sessions").where("token_hash", "=", tokenHash).execute();
}
