/**
 * The retry policy. A call is retried only when all of these hold:
 *
 * - the Action is idempotent (`idempotent: true` in its contract; never a `Create*`), so a
 *   resend after a lost answer cannot create a second instance or image;
 * - the failure is transient: a network error, HTTP 429/502/503/504, RetCode 153 (rate
 *   limited) or 8433 (a service error, which says nothing was changed: the server's database did
 *   not answer, say). No other RetCode is retried: the server has decided;
 * - retries remain (`maxRetries`, 2 by default: three attempts in all) and so does time
 *   (the call's `timeoutMs`).
 *
 * Waits between attempts grow exponentially with full jitter (a random delay between 0 and
 * `min(maxDelayMs, baseDelayMs × 2^retry)`), and are at least a `Retry-After` the server sent.
 */
import { HttpError, NetworkError, RetCodeError, TimeoutError } from "./errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt; 0 turns retries off. */
  maxRetries: number;
  /** The first retry waits up to this long; each further one up to twice as long. */
  baseDelayMs: number;
  /** No wait is longer. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = { maxRetries: 2, baseDelayMs: 200, maxDelayMs: 5000 };

/** HTTP statuses that mean "try again later": too many requests, bad gateway, unavailable, gateway timeout. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** RetCodes that are retried: 153, rate limited; 8433, a service error that changed nothing (the official SDKs retry it too). */
export const RETRYABLE_RETCODES: ReadonlySet<number> = new Set([153, 8433]);

/** Whether `error` is transient. Says nothing about the Action: see `shouldRetry`. */
export function isTransient(error: unknown): boolean {
  if (error instanceof TimeoutError) return false;
  if (error instanceof NetworkError) return true;
  if (error instanceof HttpError) return RETRYABLE_STATUSES.has(error.status);
  if (error instanceof RetCodeError) return RETRYABLE_RETCODES.has(error.retCode);
  return false;
}

/** Whether attempt number `attempt` (1 for the first) of an Action may be followed by another. */
export function shouldRetry(error: unknown, attempt: number, idempotent: boolean, policy: RetryPolicy): boolean {
  return idempotent && attempt <= policy.maxRetries && isTransient(error);
}

/**
 * How long to wait before retry number `retry` (0 for the first): full jitter over an
 * exponentially growing cap, and never less than the server's `Retry-After`.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random, retryAfterMs?: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = Math.floor(random() * cap);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs));
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Resolves after `ms`; rejects with the signal's reason when it is aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
