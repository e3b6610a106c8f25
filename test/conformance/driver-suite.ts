/**
 * The driver conformance suite: every postcondition of `packages/server/src/drivers/driver.ts`,
 * as node:test blocks any driver can be run against.
 *
 * Time is a TimeControl. With a ManualClock (`manualTime`), time moves only when the suite moves
 * it: a call is started, then the suite alternates `settle()` (let the driver's database work
 * run) and `clock.advance(step)` until the call settles, and "without time" means without the
 * clock moving at all. With real machines (`realTime`), calls run on the wall clock: "without
 * time" means within a short bound, and letting time pass is a (capped) sleep.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { DriverError } from "@opencompshare/server";
import { settle } from "@opencompshare/server/testing";
import type { Driver, DriverCall, MachineSpec, MachineStatus } from "@opencompshare/server";
import type { ManualClock } from "@opencompshare/server/testing";

/** What `buildImage` reports to `onProgress` (not exported by the server package). */
type ImageProgress = Parameters<NonNullable<Parameters<Driver["buildImage"]>[2]>>[0];

/** How the suite moves time. */
export interface TimeControl {
  /** Drives a call to its end (moving time as needed); resolves or rejects as the call does. */
  run<T>(call: Promise<T> | Tracked<T>): Promise<T>;
  /** Awaits work that must end without time passing (or, for real machines, within a short bound). */
  quick<T>(call: Promise<T> | Tracked<T>, what: string): Promise<T>;
  /** Lets `ms` of time pass. */
  pass(ms: number): Promise<void>;
}

export interface DriverUnderTest {
  driver: Driver;
  time: TimeControl;
  close(): Promise<void>;
}

/** Virtual milliseconds per step while driving a call. */
const STEP_MS = 50;
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

const SPEC: MachineSpec = { cpu: 16, memory: 65536, gpu: 1, gpuType: "4090", imageId: "compshareImage-ubuntu2204", diskGb: 50 };
const BIGGER: MachineSpec = { ...SPEC, cpu: 32, memory: 131072, gpu: 2, diskGb: 100 };

const SETTLED_POWER = new Set(["running", "stopped", "absent"]);

export function describeDriverConformance(name: string, makeDriver: () => Promise<DriverUnderTest>): void {
  describe(`driver conformance: ${name}`, () => {
    let ctx: DriverUnderTest;
    let driver: Driver;
    let time: TimeControl;
    let seq = 0;
    /** A fresh signal that never aborts (one per call: listeners are not shared). */
    const never = (): DriverCall => ({ signal: new AbortController().signal });

    beforeEach(async () => {
      ctx = await makeDriver();
      driver = ctx.driver;
      time = ctx.time;
    });
    afterEach(async () => {
      await ctx.close();
    });

    const newId = (): string => `conf-${process.pid}-${++seq}`;
    const run = <T>(p: Promise<T> | Tracked<T>): Promise<T> => time.run(p);
    const withoutTime = <T>(p: Promise<T> | Tracked<T>, what: string): Promise<T> => time.quick(p, what);
    const status = (id: string): Promise<MachineStatus> => withoutTime(driver.status(id, never()), `status(${id})`);

    async function stopped(): Promise<string> {
      const id = newId();
      await run(driver.provision(id, SPEC, never()));
      assert.equal((await status(id)).power, "stopped");
      return id;
    }

    async function running(): Promise<string> {
      const id = await stopped();
      await run(driver.powerOn(id, never()));
      assert.equal((await status(id)).power, "running");
      return id;
    }

    /** Starts a call and lets its database work run, without moving the clock. */
    async function started<T>(p: Promise<T>): Promise<Tracked<T>> {
      const t = track(p);
      await flush();
      return t;
    }

    /** Asserts that the call is still in flight, aborts it, and asserts that it rejects at once. */
    async function abortsPromptly<T>(what: string, call: (c: DriverCall) => Promise<T>): Promise<void> {
      const ac = new AbortController();
      const t = await started(call({ signal: ac.signal }));
      assert.equal(t.done, false, `${what} should take clock time (it ended before the clock moved)`);
      ac.abort(new Error("test abort"));
      await assert.rejects(withoutTime(t, `${what} after its signal aborted`));
    }

    describe("provision", () => {
      it("leaves the machine existing and stopped", async () => {
        const id = newId();
        assert.equal((await status(id)).power, "absent");
        await run(driver.provision(id, SPEC, never()));
        assert.equal((await status(id)).power, "stopped");
      });

      it("is idempotent: provisioning again leaves it stopped, with no boot", async () => {
        const id = await stopped();
        const before = await status(id);
        await run(driver.provision(id, SPEC, never()));
        const after = await status(id);
        assert.equal(after.power, "stopped");
        assert.equal(after.bootCount, before.bootCount);
      });

      it("joins a provision in flight instead of starting a second one", async () => {
        const id = newId();
        const first = await started(driver.provision(id, SPEC, never()));
        assert.equal(first.done, false);
        await time.pass(STEP_MS);
        const second = await started(driver.provision(id, SPEC, never()));
        await run(first);
        await withoutTime(second, "the joined provision");
        assert.equal((await status(id)).power, "stopped");
      });
    });

    describe("status", () => {
      it("is absent for an unknown id", async () => {
        assert.deepEqual((await status(`unknown-${newId()}`)).power, "absent");
      });

      it("changes nothing: a stopped machine stays stopped as time passes", async () => {
        const id = await stopped();
        const before = await status(id);
        await time.pass(60_000);
        assert.deepEqual(await status(id), before);
        await time.pass(60_000);
        assert.deepEqual(await status(id), before);
      });
    });

    describe("powerOn", () => {
      it("boots a stopped machine: running, bootCount + 1", async () => {
        const id = await stopped();
        const before = await status(id);
        await run(driver.powerOn(id, never()));
        const after = await status(id);
        assert.equal(after.power, "running");
        assert.equal(after.bootCount, before.bootCount + 1);
      });

      it("is a no-op on a running machine: no clock time, no boot", async () => {
        const id = await running();
        const before = await status(id);
        await withoutTime(driver.powerOn(id, never()), "powerOn of a running machine");
        assert.deepEqual(await status(id), before);
      });

      it("joins a boot in flight: both calls end together, after one boot", async () => {
        const id = await stopped();
        const before = await status(id);
        const first = await started(driver.powerOn(id, never()));
        assert.equal(first.done, false);
        await time.pass(STEP_MS * 4);
        await flush();
        const second = await started(driver.powerOn(id, never()));
        assert.equal(second.done, false, "the second powerOn should wait for the boot in flight");
        await run(first);
        await withoutTime(second, "the joined powerOn");
        const after = await status(id);
        assert.equal(after.power, "running");
        assert.equal(after.bootCount, before.bootCount + 1);
      });

      it("is safe to call again after the caller gave up: it joins the boot the machine went on with", async () => {
        const id = await stopped();
        const before = await status(id);
        const ac = new AbortController();
        const first = await started(driver.powerOn(id, { signal: ac.signal }));
        ac.abort(new Error("caller crashed"));
        await assert.rejects(withoutTime(first, "the aborted powerOn"));
        await run(driver.powerOn(id, never()));
        const after = await status(id);
        assert.equal(after.power, "running");
        assert.equal(after.bootCount, before.bootCount + 1);
      });
    });

    describe("powerOff", () => {
      it("soft: a running machine ends stopped", async () => {
        const id = await running();
        const before = await status(id);
        await run(driver.powerOff(id, "soft", never()));
        const after = await status(id);
        assert.equal(after.power, "stopped");
        assert.equal(after.bootCount, before.bootCount);
      });

      it("hard: a running machine is stopped at once", async () => {
        const id = await running();
        await withoutTime(driver.powerOff(id, "hard", never()), "a hard powerOff");
        assert.equal((await status(id)).power, "stopped");
      });

      for (const mode of ["soft", "hard"] as const) {
        it(`${mode}: a stopped machine stays stopped`, async () => {
          const id = await stopped();
          await run(driver.powerOff(id, mode, never()));
          assert.equal((await status(id)).power, "stopped");
        });
      }

      it("hard during a soft one in flight: stopped at once, and the soft call ends with the machine stopped", async () => {
        const id = await running();
        const soft = await started(driver.powerOff(id, "soft", never()));
        assert.equal(soft.done, false);
        await withoutTime(driver.powerOff(id, "hard", never()), "a hard powerOff");
        assert.equal((await status(id)).power, "stopped");
        await run(soft);
        assert.equal((await status(id)).power, "stopped");
      });

      it("soft joins a soft power-off in flight", async () => {
        const id = await running();
        const first = await started(driver.powerOff(id, "soft", never()));
        await time.pass(STEP_MS);
        const second = await started(driver.powerOff(id, "soft", never()));
        await run(first);
        await withoutTime(second, "the joined powerOff");
        assert.equal((await status(id)).power, "stopped");
      });
    });

    describe("reboot", () => {
      for (const mode of ["soft", "hard"] as const) {
        it(`${mode}: the machine booted again (bootCount grew) and runs`, async () => {
          const id = await running();
          const before = await status(id);
          await run(driver.reboot(id, mode, never()));
          const after = await status(id);
          assert.equal(after.power, "running");
          assert.ok(after.bootCount > before.bootCount, `bootCount ${after.bootCount} should exceed ${before.bootCount}`);
        });

        it(`${mode}: a stopped machine is refused with a DriverError and stays stopped`, async () => {
          const id = await stopped();
          await assert.rejects(run(driver.reboot(id, mode, never())), DriverError);
          assert.equal((await status(id)).power, "stopped");
        });
      }

      it("an unknown machine is refused with a DriverError", async () => {
        await assert.rejects(run(driver.reboot(`unknown-${newId()}`, "soft", never())), DriverError);
      });

      it("soft joins a soft reboot in flight: both end together, after one boot", async () => {
        const id = await running();
        const before = await status(id);
        const first = await started(driver.reboot(id, "soft", never()));
        await time.pass(STEP_MS * 4);
        await flush();
        const second = await started(driver.reboot(id, "soft", never()));
        assert.equal(second.done, false);
        await run(first);
        await withoutTime(second, "the joined reboot");
        const after = await status(id);
        assert.equal(after.power, "running");
        assert.equal(after.bootCount, before.bootCount + 1);
      });

      it("is safe to call again after the caller gave up: it joins the reboot in flight", async () => {
        const id = await running();
        const before = await status(id);
        const ac = new AbortController();
        const first = await started(driver.reboot(id, "soft", { signal: ac.signal }));
        ac.abort(new Error("caller crashed"));
        await assert.rejects(withoutTime(first, "the aborted reboot"));
        await run(driver.reboot(id, "soft", never()));
        const after = await status(id);
        assert.equal(after.power, "running");
        assert.equal(after.bootCount, before.bootCount + 1);
      });

      it("hard during a soft one in flight: each call ends only once the machine has booted again and runs", async () => {
        const id = await running();
        const before = await status(id);
        const soft = await started(driver.reboot(id, "soft", never()));
        await time.pass(STEP_MS * 10);
        await flush();
        const hard = await started(driver.reboot(id, "hard", never()));
        await run(soft);
        const atSoftEnd = await status(id);
        assert.equal(atSoftEnd.power, "running", "the soft reboot resolved while the machine was not running");
        assert.ok(atSoftEnd.bootCount > before.bootCount, "the soft reboot resolved before the machine booted again");
        await run(hard);
        const atHardEnd = await status(id);
        assert.equal(atHardEnd.power, "running");
        assert.ok(atHardEnd.bootCount > before.bootCount);
      });
    });

    describe("settle", () => {
      it("waits for an action in flight, then returns the status it left", async () => {
        const id = await stopped();
        const before = await status(id);
        const boot = await started(driver.powerOn(id, never()));
        assert.equal(boot.done, false);
        const settled = track(driver.settle(id, never()));
        await flush();
        assert.equal(settled.done, false, "settle should wait while the boot is in flight");
        const result = await run(settled);
        assert.equal(result.power, "running");
        assert.equal(result.bootCount, before.bootCount + 1);
        await run(boot);
        assert.deepEqual(await status(id), result);
      });

      it("waits for a soft power-off in flight", async () => {
        const id = await running();
        const off = await started(driver.powerOff(id, "soft", never()));
        const result = await run(driver.settle(id, never()));
        assert.equal(result.power, "stopped");
        await run(off);
      });

      it("waits for the action that is in flight when its wait ends: a hard reboot that cut a soft one short", async () => {
        const id = await running();
        const before = await status(id);
        const soft = await started(driver.reboot(id, "soft", never()));
        const settled = await started(driver.settle(id, never()));
        await time.pass(STEP_MS * 10);
        await flush();
        const hard = await started(driver.reboot(id, "hard", never()));
        const result = await run(settled);
        assert.equal(result.power, "running", "settle returned while the machine was still rebooting");
        assert.ok(result.bootCount > before.bootCount);
        await run(soft).catch(() => undefined);
        await run(hard);
      });

      it("with nothing in flight, returns the status without any clock time", async () => {
        const id = await running();
        const result = await withoutTime(driver.settle(id, never()), "settle of an idle machine");
        assert.deepEqual(result, await status(id));
        assert.equal(result.power, "running");
      });
    });

    describe("snapshot", () => {
      it("of a running machine: the machine goes on running, with no reboot", async () => {
        const id = await running();
        const before = await status(id);
        await run(driver.snapshot(id, `img-${id}`, never()));
        assert.deepEqual(await status(id), before);
      });

      it("of a stopped machine: it stays stopped", async () => {
        const id = await stopped();
        await run(driver.snapshot(id, `img-${id}`, never()));
        assert.equal((await status(id)).power, "stopped");
      });
    });

    describe("buildImage / imageProgress / deleteImage", () => {
      async function snapshotted(): Promise<string> {
        const id = await running();
        const imageId = `img-${id}`;
        await run(driver.snapshot(id, imageId, never()));
        return imageId;
      }

      it("reports progress from 0 to 100 through onProgress and imageProgress", async () => {
        const imageId = await snapshotted();
        const reported: ImageProgress[] = [];
        const build = track(
          driver.buildImage(imageId, never(), async (p) => {
            reported.push(p);
          }),
        );
        await flush();
        assert.ok(reported.length >= 1, "onProgress should be called before any clock time passes");
        assert.equal(reported[0]?.percent, 0);
        const sampled: ImageProgress[] = [];
        while (!build.done) {
          sampled.push(await withoutTime(driver.imageProgress(imageId, never()), "imageProgress"));
          await time.pass(STEP_MS * 10);
          await flush();
        }
        await build.promise;
        const final = await withoutTime(driver.imageProgress(imageId, never()), "imageProgress");
        assert.equal(final.percent, 100);
        assert.equal(final.remainingMs, 0);
        assert.ok(final.totalMs > 0);
        const last = reported[reported.length - 1];
        assert.equal(last?.percent, 100);
        assert.equal(last?.remainingMs, 0);
        for (const series of [reported, sampled]) {
          for (const p of series) {
            assert.ok(p.percent >= 0 && p.percent <= 100, `percent ${p.percent} out of 0–100`);
            assert.ok(p.remainingMs >= 0 && p.remainingMs <= p.totalMs, `remaining ${p.remainingMs} of ${p.totalMs}`);
          }
          for (let i = 1; i < series.length; i++) {
            assert.ok((series[i]?.percent ?? 0) >= (series[i - 1]?.percent ?? 0), "progress never goes back");
          }
        }
        assert.ok(
          sampled.some((p) => p.percent > 0 && p.percent < 100),
          "imageProgress should show the build part way",
        );
        assert.ok(reported.length >= 3, "onProgress should be called along the way, not only at 0 and 100");
      });

      it("joins a build in flight and is safe to call again once complete", async () => {
        const imageId = await snapshotted();
        const first = track(driver.buildImage(imageId, never()));
        await flush();
        await time.pass(STEP_MS * 20);
        await flush();
        const seen: ImageProgress[] = [];
        const second = track(
          driver.buildImage(imageId, never(), async (p) => {
            seen.push(p);
          }),
        );
        await flush();
        const total = (await withoutTime(driver.imageProgress(imageId, never()), "imageProgress")).totalMs;
        assert.ok((seen[0]?.percent ?? 0) > 0, "the second call should report the build in flight, not start over");
        // The same build: its total (an estimate, for a real copy) agrees within a tenth.
        const seenTotal = seen[0]?.totalMs ?? 0;
        assert.ok(Math.abs(seenTotal - total) <= total / 10, `the build's total: ${seenTotal} ms, then ${total} ms`);
        await run(first);
        await run(second);
        assert.equal((await withoutTime(driver.imageProgress(imageId, never()), "imageProgress")).percent, 100);
        const again: ImageProgress[] = [];
        await run(
          driver.buildImage(imageId, never(), async (p) => {
            again.push(p);
          }),
        );
        assert.equal(again[again.length - 1]?.percent, 100);
        assert.equal((await withoutTime(driver.imageProgress(imageId, never()), "imageProgress")).percent, 100);
      });

      it("deleteImage removes the image and is idempotent", async () => {
        const imageId = await snapshotted();
        await run(driver.buildImage(imageId, never()));
        await run(driver.deleteImage(imageId, never()));
        await assert.rejects(withoutTime(driver.imageProgress(imageId, never()), "imageProgress of a deleted image"));
        await run(driver.deleteImage(imageId, never()));
        await run(driver.deleteImage(`never-built-${newId()}`, never()));
      });
    });

    describe("reinstall", () => {
      it("of a stopped machine: it ends stopped and can boot again", async () => {
        const id = await stopped();
        await run(driver.reinstall(id, "compshareImage-other", never()));
        assert.equal((await status(id)).power, "stopped");
        await run(driver.powerOn(id, never()));
        assert.equal((await status(id)).power, "running");
      });

      it("of a machine that ran and was stopped: it ends stopped", async () => {
        const id = await running();
        await run(driver.powerOff(id, "soft", never()));
        await run(driver.reinstall(id, "compshareImage-other", never()));
        assert.equal((await status(id)).power, "stopped");
      });

      it("needs a stopped machine: a running one is refused with a DriverError and goes on running", async () => {
        const id = await running();
        const before = await status(id);
        await assert.rejects(run(driver.reinstall(id, "compshareImage-other", never())), DriverError);
        assert.deepEqual(await status(id), before);
      });
    });

    describe("resize", () => {
      it("of a stopped machine: it ends stopped and can boot again", async () => {
        const id = await stopped();
        await run(driver.resize(id, BIGGER, never()));
        assert.equal((await status(id)).power, "stopped");
        await run(driver.powerOn(id, never()));
        assert.equal((await status(id)).power, "running");
      });

      it("needs a stopped machine: a running one is refused with a DriverError and goes on running", async () => {
        const id = await running();
        const before = await status(id);
        await assert.rejects(run(driver.resize(id, BIGGER, never())), DriverError);
        assert.deepEqual(await status(id), before);
      });
    });

    describe("resetPassword", () => {
      it("of a running machine: it ends and the machine goes on running without a reboot", async () => {
        const id = await running();
        const before = await status(id);
        await run(driver.resetPassword(id, "N3w-pass!", never()));
        assert.deepEqual(await status(id), before);
      });

      it("of a stopped machine: it ends and the machine stays stopped", async () => {
        const id = await stopped();
        await run(driver.resetPassword(id, "N3w-pass!", never()));
        assert.equal((await status(id)).power, "stopped");
      });
    });

    describe("destroy", () => {
      it("of a running machine: absent afterwards", async () => {
        const id = await running();
        await run(driver.destroy(id, never()));
        assert.equal((await status(id)).power, "absent");
      });

      it("of a stopped machine: absent afterwards, and destroying again is a no-op", async () => {
        const id = await stopped();
        await run(driver.destroy(id, never()));
        assert.equal((await status(id)).power, "absent");
        await run(driver.destroy(id, never()));
        assert.equal((await status(id)).power, "absent");
      });

      it("of an unknown machine: ends without error", async () => {
        const id = `unknown-${newId()}`;
        await run(driver.destroy(id, never()));
        assert.equal((await status(id)).power, "absent");
      });
    });

    describe("abort", () => {
      /** A running machine with a snapshot taken (a build needs one, as the server always does first). */
      async function snapshotOf(): Promise<string> {
        const id = await running();
        await run(driver.snapshot(id, `img-${id}`, never()));
        return id;
      }

      const cases: Array<{ what: string; setup: () => Promise<string>; call: (id: string, c: DriverCall) => Promise<unknown> }> = [
        { what: "provision", setup: async () => newId(), call: (id, s) => driver.provision(id, SPEC, s) },
        { what: "powerOn", setup: () => stopped(), call: (id, s) => driver.powerOn(id, s) },
        { what: "powerOff(soft)", setup: () => running(), call: (id, s) => driver.powerOff(id, "soft", s) },
        { what: "reboot(soft)", setup: () => running(), call: (id, s) => driver.reboot(id, "soft", s) },
        { what: "reboot(hard)", setup: () => running(), call: (id, s) => driver.reboot(id, "hard", s) },
        { what: "snapshot", setup: () => running(), call: (id, s) => driver.snapshot(id, `img-${id}`, s) },
        { what: "buildImage", setup: () => snapshotOf(), call: (id, s) => driver.buildImage(`img-${id}`, s) },
        { what: "reinstall", setup: () => stopped(), call: (id, s) => driver.reinstall(id, "compshareImage-other", s) },
        { what: "resize", setup: () => stopped(), call: (id, s) => driver.resize(id, BIGGER, s) },
        { what: "resetPassword", setup: () => running(), call: (id, s) => driver.resetPassword(id, "N3w-pass!", s) },
        { what: "destroy", setup: () => running(), call: (id, s) => driver.destroy(id, s) },
      ];
      for (const c of cases) {
        it(`${c.what} rejects promptly when its signal aborts; the machine then settles on its own`, async () => {
          const id = await c.setup();
          await abortsPromptly(c.what, (call) => c.call(id, call));
          const after = await run(driver.settle(id, never()));
          assert.ok(SETTLED_POWER.has(after.power), `after settling, the machine is ${after.power}`);
        });
      }

      it("settle rejects promptly when its signal aborts, and the boot goes on", async () => {
        const id = await stopped();
        const boot = await started(driver.powerOn(id, never()));
        await abortsPromptly("settle", (call) => driver.settle(id, call));
        await run(boot);
        assert.equal((await status(id)).power, "running");
      });

      it("an aborted powerOn: the machine may still finish the boot on its own", async () => {
        const id = await stopped();
        const before = await status(id);
        await abortsPromptly("powerOn", (call) => driver.powerOn(id, call));
        const after = await run(driver.settle(id, never()));
        assert.ok(after.power === "running" || after.power === "stopped", `power ${after.power}`);
        if (after.power === "running") assert.equal(after.bootCount, before.bootCount + 1);
        else assert.equal(after.bootCount, before.bootCount);
      });

      it("a call whose signal has already aborted rejects without any clock time", async () => {
        const id = await running();
        const ac = new AbortController();
        ac.abort(new Error("already aborted"));
        await assert.rejects(withoutTime(driver.reboot(id, "soft", { signal: ac.signal }), "reboot with an aborted signal"));
        await assert.rejects(withoutTime(driver.powerOff(id, "soft", { signal: ac.signal }), "powerOff with an aborted signal"));
        const after = await run(driver.settle(id, never()));
        assert.ok(SETTLED_POWER.has(after.power));
      });
    });
  });
}
