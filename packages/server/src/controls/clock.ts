/**
 * The server's clock in testing mode: the real one (or the database's, with replicas) plus an
 * offset that AdvanceCompShareClock moves forward. The offset is a row of the database
 * (`testing_clock`), so every replica reads the same one: each request of the test controls, and
 * every call on PostgreSQL, reads it first, and a timer re-reads it every second for the loops.
 *
 * Everything that reads the clock follows it: `now()` jumps, and every `sleep()` whose end the jump
 * has passed wakes at once (lock TTLs, leases, timeouts, the simulated machines' durations, the
 * loops' intervals). The offset only grows, except when a snapshot is restored or the state is
 * reset, which put the clock back to what they hold.
 */
import type { Clock } from "../clock.js";
import { addClockOffset, clockOffset, setClockOffset } from "../store/repositories/testing.js";
import type { Db, Executor } from "../store/schema.js";

/** The reason a sleep is cut short by an advance: it resolves, it does not reject. */
const WOKEN = Symbol("woken by an advance of the clock");

interface Sleeper {
  at: number;
  wake(): void;
}

export class TestingClock implements Clock {
  private offset = 0;
  private readonly sleepers = new Set<Sleeper>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly base: Clock,
    private readonly db: Db,
  ) {}

  now(): number {
    return this.base.now() + this.offset;
  }

  /** How far this clock runs ahead of the one it is based on, ms. */
  get offsetMs(): number {
    return this.offset;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
      const inner = new AbortController();
      const sleeper: Sleeper = { at: this.now() + Math.max(0, ms), wake: () => inner.abort(WOKEN) };
      const onAbort = () => inner.abort(signal?.reason ?? new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.add(sleeper);
      this.base.sleep(ms, inner.signal).then(
        () => resolve(),
        (error: unknown) => (error === WOKEN ? resolve() : reject(error)),
      ).finally(() => {
        this.sleepers.delete(sleeper);
        signal?.removeEventListener("abort", onAbort);
      });
    });
  }

  /** Reads the offset the database holds (another replica may have moved it) and follows it. */
  async refresh(db: Executor = this.db): Promise<void> {
    const offset = await clockOffset(db);
    if (offset !== this.offset) this.follow(offset);
  }

  /** Moves the clock forward by `ms`, on every replica; resolves with the new offset. */
  async advance(ms: number): Promise<number> {
    const offset = await addClockOffset(this.db, Math.round(ms));
    this.follow(offset);
    return offset;
  }

  /** Puts the offset to what a restored snapshot (or a reset: 0) holds. */
  async set(offsetMs: number, db: Executor = this.db): Promise<void> {
    await setClockOffset(db, offsetMs);
    this.follow(offsetMs);
  }

  /** Re-reads the offset every `everyMs`, so the loops of a replica that served no request follow too. */
  start(everyMs = 1000): void {
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private follow(offsetMs: number): void {
    this.offset = offsetMs;
    const now = this.now();
    for (const sleeper of [...this.sleepers]) if (sleeper.at <= now) sleeper.wake();
  }
}
