/**
 * The console's login nonces and sessions.
 *
 * - A nonce is `<expiry s>.<random>.<mac>`: issuing one writes nothing, so an anonymous caller
 *   cannot fill the database. Using one writes its row, so it works once, on any replica.
 * - A session is a random cookie value; the database keeps its SHA-256 only. The session ends at
 *   its expiry, at logout, or when the key that opened it is disabled.
 * - The CSRF token is a MAC of the session's hash: every replica derives the same one, and it
 *   cannot be made from the database alone.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Sealer } from "../security/secrets.js";
import { deleteSession, insertSession, liveSession, markNonceUsed } from "../store/repositories/console-sessions.js";
import type { Db } from "../store/schema.js";

export const NONCE_TTL_S = 120;
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface Session {
  accountId: string;
  /** The key that logged in: the requester of what the session does. */
  publicKey: string;
  tokenHash: string;
  csrfToken: string;
  expiresAt: number;
}

const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function issueNonce(sealer: Sealer, nowMs: number): string {
  const body = `${Math.floor(nowMs / 1000) + NONCE_TTL_S}.${randomBytes(18).toString("base64url")}`;
  return `${body}.${sealer.mac("console nonce", body)}`;
}

/** Consumes a nonce: true once for a nonce this deployment issued and that has not expired. */
export async function useNonce(db: Db, sealer: Sealer, nonce: string, nowMs: number): Promise<boolean> {
  const parts = nonce.split(".");
  if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[0]!)) return false;
  const body = `${parts[0]}.${parts[1]}`;
  if (!sameText(parts[2]!, sealer.mac("console nonce", body))) return false;
  const expiresAt = Number(parts[0]) * 1000;
  if (expiresAt <= nowMs) return false;
  return markNonceUsed(db, nonce, expiresAt, nowMs);
}

const csrfOf = (sealer: Sealer, tokenHash: string): string => sealer.mac("console csrf", tokenHash);

/** Opens a session for the account; returns the cookie's value and the session. */
export async function openSession(db: Db, sealer: Sealer, accountId: string, publicKey: string, nowMs: number): Promise<{ token: string; session: Session }> {
  const token = randomBytes(32).toString("base64url");
  const tokenHash = hashToken(token);
  const expiresAt = nowMs + SESSION_TTL_MS;
  await insertSession(db, { tokenHash, accountId, publicKey, nowMs, expiresAt });
  return { token, session: { accountId, publicKey, tokenHash, csrfToken: csrfOf(sealer, tokenHash), expiresAt } };
}

/** The live session of a cookie value, or undefined (unknown, expired, logged out, key disabled). */
export async function findSession(db: Db, sealer: Sealer, token: string, nowMs: number): Promise<Session | undefined> {
  if (token === "" || token.length > 100) return undefined;
  const tokenHash = hashToken(token);
  return sessionByHash(db, sealer, tokenHash, nowMs);
}

export async function sessionByHash(db: Db, sealer: Sealer, tokenHash: string, nowMs: number): Promise<Session | undefined> {
  const found = await liveSession(db, tokenHash, nowMs);
  if (!found) return undefined;
  return { ...found, tokenHash, csrfToken: csrfOf(sealer, tokenHash) };
}

export function csrfMatches(session: Session, header: string | undefined): boolean {
  return typeof header === "string" && header !== "" && sameText(header, session.csrfToken);
}

export async function endSession(db: Db, tokenHash: string): Promise<void> {
  await deleteSession(db, tokenHash);
}
