/**
 * Per-account rate limits: a token bucket per account, refilled at `rate` per second up to
 * `burst`. A request over the limit is answered at once with RateLimited; it is never queued,
 * so a noisy account costs the others nothing but the answer. Buckets live in this process:
 * with N replicas an account may send up to N times the rate.
 */
import { ApiError } from "@opencompshare/protocol";
import type { Clock } from "../clock.js";

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept before the full (idle) ones are dropped: bounds memory under many accounts. */
const MAX_BUCKETS = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    /** Requests per second per account; 0 disables the limit. */
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  /** Takes one token for `account`, or throws RateLimited. */
  take(account: string): void {
    if (this.rate <= 0) return;
    const now = this.clock.now();
    let bucket = this.buckets.get(account);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.dropIdle(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(account, bucket);
    }
    // A clock put back (a snapshot restored in testing mode) refills nothing, and takes nothing away.
    bucket.tokens = Math.min(this.burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    if (bucket.tokens < 1) {
      throw new ApiError("RateLimited", `account ${account} exceeds ${this.rate} requests per second (burst ${this.burst}); retry later`);
    }
    bucket.tokens -= 1;
  }

  private dropIdle(now: number): void {
    for (const [account, b] of this.buckets) {
      if (b.tokens + (Math.max(0, now - b.at) / 1000) * this.rate >= this.burst) this.buckets.delete(account);
    }
  }
}
