/**
 * How the driver conformance suite moves time. With a ManualClock (`manualTime`), time moves only
 * when the suite moves it: a call is started, then the suite alternates `settle()` (let the
 * driver's database work run) and `clock.advance(step)` until the call settles, and "without
 * time" means without the clock moving at all. With real machines (`realTime`), calls run on the
 * wall clock: "without time" means within a short bound, and letting time pass is a (capped) sleep.
 */
import assert from "node:assert/strict";
import { settle } from "@opencompshare/server/testing";
import type { ManualClock } from "@opencompshare/server/testing";

/** How the suite moves time. */
export interface TimeControl {
  /** Drives a call to its end (moving time as needed); resolves or rejects as the call does. */
  run<T>(call: Promise<T> | Tracked<T>): Promise<T>;
  /** Awaits work that must end without time passing (or, for real machines, within a short bound). */
  quick<T>(call: Promise<T> | Tracked<T>, what: string): Promise<T>;
  /** Lets `ms` of time pass. */
  pass(ms: number): Promise<void>;
}

/** Virtual milliseconds per step while driving a call. */
export const STEP_MS = 50;
/** At most this many steps (so 20 virtual minutes) before a call counts as stuck. */
const MAX_STEPS = 24_000;
/** At most this many turns of the event loop for work that must not need any clock time. */
const MAX_TURNS = 200;

export interface Tracked<T> {
  readonly promise: Promise<T>;
  readonly done: boolean;
  readonly failed: boolean;
  readonly value: T | undefined;
  readonly error: unknown;
}

/** Follows a promise without awaiting it (and without leaving its rejection unhandled). */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: { promise: Promise<T>; done: boolean; failed: boolean; value: T | undefined; error: unknown } = {
    promise,
    done: false,
    failed: false,
    value: undefined,
    error: undefined,
  };
  promise.then(
    (value) => {
      t.done = true;
      t.value = value;
    },
    (error: unknown) => {
      t.done = true;
      t.failed = true;
      t.error = error;
    },
  );
  return t;
}

const tracked = <T>(call: Promise<T> | Tracked<T>): Tracked<T> => ("promise" in call && "done" in call ? call : track(call));

/** Lets queued work run, `turns` times, without moving the clock. */
export async function flush(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await settle();
}

/** Time that moves only with the ManualClock the driver was built with. */
export function manualTime(clock: ManualClock): TimeControl {
  return {
    async run<T>(call: Promise<T> | Tracked<T>): Promise<T> {
      const t = tracked(call);
      for (let i = 0; i < MAX_STEPS && !t.done; i++) {
        await settle();
        if (t.done) break;
        await clock.advance(STEP_MS);
      }
      await settle();
      if (!t.done) throw new Error(`the call did not end within ${(MAX_STEPS * STEP_MS) / 1000} s of clock time`);
      return t.promise;
    },
    async quick<T>(call: Promise<T> | Tracked<T>, what: string): Promise<T> {
      const t = tracked(call);
      for (let i = 0; i < MAX_TURNS && !t.done; i++) await settle();
      assert.ok(t.done, `${what} should end without the clock moving`);
      return t.promise;
    },
    pass: (ms) => clock.advance(ms),
  };
}

/**
 * Wall-clock time, for drivers of real machines: a call must end within `runMs`, quick work
 * within `quickMs`, and letting time pass sleeps at most `passCapMs`.
 */
export function realTime(opts: { runMs: number; quickMs: number; passCapMs: number }): TimeControl {
  const within = async <T>(call: Promise<T> | Tracked<T>, ms: number, what: string): Promise<T> => {
    const t = tracked(call);
    const deadline = Date.now() + ms;
    while (!t.done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(t.done, `${what} did not end within ${ms} ms`);
    return t.promise;
  };
  return {
    run: (call) => within(call, opts.runMs, "the call"),
    quick: (call, what) => within(call, opts.quickMs, what),
    pass: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, opts.passCapMs))),
  };
}
