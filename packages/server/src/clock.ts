/**
 * The one time source. Lock expiry, leases, driver durations and timeouts all read it, so
 * tests move time with a `ManualClock` instead of sleeping.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const abortError = (signal: AbortSignal): unknown => signal.reason ?? new Error("aborted");

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

interface Sleeper {
  at: number;
  resolve: () => void;
}

/** A clock that moves only when told to. Sleepers wake in time order as it advances. */
export class ManualClock implements Clock {
  private sleepers: Sleeper[] = [];
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(abortError(signal as AbortSignal));
      };
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Moves time forward by `ms`, waking each due sleeper and letting its continuation run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.current = Math.max(this.current, next.at);
      next.resolve();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /** How many sleepers are waiting: lets a test wait until work has reached its sleep. */
  get pending(): number {
    return this.sleepers.length;
  }
}

/** Lets queued promise continuations and I/O callbacks run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock running `skewMs` ahead of (or behind) another: a test knob for replicas whose clocks disagree. */
export function skewedClock(base: Clock, skewMs: number): Clock {
  if (skewMs === 0) return base;
  return { now: () => base.now() + skewMs, sleep: (ms, signal) => base.sleep(ms, signal) };
}

/**
 * The database's clock, as seen from this process: the local clock corrected by the offset to
 * the database's, measured at start and re-measured every `everyMs`. Replicas on one database
 * then agree on time, whatever their own clocks say, so leases and lock expiry hold across them.
 */
export class DatabaseClock implements Clock {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly local: Clock,
    private readonly databaseNow: () => Promise<number>,
  ) {}

  now(): number {
    return this.local.now() + this.offset;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.local.sleep(ms, signal);
  }

  /** Measures the offset, correcting for the round trip; keeps the best of a few samples. */
  async sync(samples = 3): Promise<void> {
    let best: { rtt: number; offset: number } | undefined;
    for (let i = 0; i < samples; i++) {
      const sent = this.local.now();
      const remote = await this.databaseNow();
      const received = this.local.now();
      const rtt = received - sent;
      const offset = remote - (sent + rtt / 2);
      if (!best || rtt < best.rtt) best = { rtt, offset };
    }
    if (best) this.offset = Math.round(best.offset);
  }

  start(everyMs = 10_000): void {
    this.timer = setInterval(() => void this.sync().catch(() => undefined), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
