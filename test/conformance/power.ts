/**
 * Power: powerOn, powerOff (soft and hard) and reboot, each joined when one is in flight and safe
 * to call again after a caller gave up; and settle, which waits for whatever action is in flight.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DriverError } from "@opencompshare/server";
import type { Conformance } from "./context.js";
import { flush, STEP_MS, track } from "./time.js";

export function describePower(c: Conformance): void {
  const { never, newId, run, withoutTime, status, stopped, running, started } = c;

  describe("powerOn", () => {
    it("boots a stopped machine: running, bootCount + 1", async () => {
      const id = await stopped();
      const before = await status(id);
      await run(c.driver.powerOn(id, never()));
      const after = await status(id);
      assert.equal(after.power, "running");
      assert.equal(after.bootCount, before.bootCount + 1);
    });

    it("is a no-op on a running machine: no clock time, no boot", async () => {
      const id = await running();
      const before = await status(id);
      await withoutTime(c.driver.powerOn(id, never()), "powerOn of a running machine");
      assert.deepEqual(await status(id), before);
    });

    it("joins a boot in flight: both calls end together, after one boot", async () => {
      const id = await stopped();
      const before = await status(id);
      const first = await started(c.driver.powerOn(id, never()));
      assert.equal(first.done, false);
      await c.time.pass(STEP_MS * 4);
      await flush();
      const second = await started(c.driver.powerOn(id, never()));
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
      const first = await started(c.driver.powerOn(id, { signal: ac.signal }));
      ac.abort(new Error("caller crashed"));
      await assert.rejects(withoutTime(first, "the aborted powerOn"));
      await run(c.driver.powerOn(id, never()));
      const after = await status(id);
      assert.equal(after.power, "running");
      assert.equal(after.bootCount, before.bootCount + 1);
    });
  });

  describe("powerOff", () => {
    it("soft: a running machine ends stopped", async () => {
      const id = await running();
      const before = await status(id);
      await run(c.driver.powerOff(id, "soft", never()));
      const after = await status(id);
      assert.equal(after.power, "stopped");
      assert.equal(after.bootCount, before.bootCount);
    });

    it("hard: a running machine is stopped at once", async () => {
      const id = await running();
      await withoutTime(c.driver.powerOff(id, "hard", never()), "a hard powerOff");
      assert.equal((await status(id)).power, "stopped");
    });

    for (const mode of ["soft", "hard"] as const) {
      it(`${mode}: a stopped machine stays stopped`, async () => {
        const id = await stopped();
        await run(c.driver.powerOff(id, mode, never()));
        assert.equal((await status(id)).power, "stopped");
      });
    }

    it("hard during a soft one in flight: stopped at once, and the soft call ends with the machine stopped", async () => {
      const id = await running();
      const soft = await started(c.driver.powerOff(id, "soft", never()));
      assert.equal(soft.done, false);
      await withoutTime(c.driver.powerOff(id, "hard", never()), "a hard powerOff");
      assert.equal((await status(id)).power, "stopped");
      await run(soft);
      assert.equal((await status(id)).power, "stopped");
    });

    it("soft joins a soft power-off in flight", async () => {
      const id = await running();
      const first = await started(c.driver.powerOff(id, "soft", never()));
      await c.time.pass(STEP_MS);
      const second = await started(c.driver.powerOff(id, "soft", never()));
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
        assert.deepEqual(await run(c.driver.reboot(id, mode, before.bootCount, never())), { alreadyBooted: false });
        const after = await status(id);
        assert.equal(after.power, "running");
        assert.ok(after.bootCount > before.bootCount, `bootCount ${after.bootCount} should exceed ${before.bootCount}`);
      });

      it(`${mode}: compares before it acts: asked from a boot count the machine has passed, it does not reboot again`, async () => {
        const id = await running();
        const from = (await status(id)).bootCount;
        await run(c.driver.reboot(id, "soft", from, never()));
        // The soft reboot finished, and its caller did not hear of it (a partition): a late fallback from the same count.
        const booted = await status(id);
        assert.deepEqual(await run(c.driver.reboot(id, mode, from, never())), { alreadyBooted: true });
        assert.deepEqual(await status(id), booted, "no second boot");
      });

      it(`${mode}: a stopped machine is refused with a DriverError and stays stopped`, async () => {
        const id = await stopped();
        await assert.rejects(run(c.driver.reboot(id, mode, (await status(id)).bootCount, never())), DriverError);
        assert.equal((await status(id)).power, "stopped");
      });
    }

    it("an unknown machine is refused with a DriverError", async () => {
      await assert.rejects(run(c.driver.reboot(`unknown-${newId()}`, "soft", 0, never())), DriverError);
    });

    it("soft joins a soft reboot in flight: both end together, after one boot", async () => {
      const id = await running();
      const before = await status(id);
      const first = await started(c.driver.reboot(id, "soft", before.bootCount, never()));
      await c.time.pass(STEP_MS * 4);
      await flush();
      const second = await started(c.driver.reboot(id, "soft", before.bootCount, never()));
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
      const first = await started(c.driver.reboot(id, "soft", before.bootCount, { signal: ac.signal }));
      ac.abort(new Error("caller crashed"));
      await assert.rejects(withoutTime(first, "the aborted reboot"));
      await run(c.driver.reboot(id, "soft", before.bootCount, never()));
      const after = await status(id);
      assert.equal(after.power, "running");
      assert.equal(after.bootCount, before.bootCount + 1);
    });

    it("hard during a soft one in flight: each call ends only once the machine has booted again and runs", async () => {
      const id = await running();
      const before = await status(id);
      const soft = await started(c.driver.reboot(id, "soft", before.bootCount, never()));
      await c.time.pass(STEP_MS * 10);
      await flush();
      const hard = await started(c.driver.reboot(id, "hard", before.bootCount, never()));
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
      const boot = await started(c.driver.powerOn(id, never()));
      assert.equal(boot.done, false);
      const settled = track(c.driver.settle(id, never()));
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
      const off = await started(c.driver.powerOff(id, "soft", never()));
      const result = await run(c.driver.settle(id, never()));
      assert.equal(result.power, "stopped");
      await run(off);
    });

    it("waits for the action that is in flight when its wait ends: a hard reboot that cut a soft one short", async () => {
      const id = await running();
      const before = await status(id);
      const soft = await started(c.driver.reboot(id, "soft", before.bootCount, never()));
      const settled = await started(c.driver.settle(id, never()));
      await c.time.pass(STEP_MS * 10);
      await flush();
      const hard = await started(c.driver.reboot(id, "hard", before.bootCount, never()));
      const result = await run(settled);
      assert.equal(result.power, "running", "settle returned while the machine was still rebooting");
      assert.ok(result.bootCount > before.bootCount);
      await run(soft).catch(() => undefined);
      await run(hard);
    });

    it("with nothing in flight, returns the status without any clock time", async () => {
      const id = await running();
      const result = await withoutTime(c.driver.settle(id, never()), "settle of an idle machine");
      assert.deepEqual(result, await status(id));
      assert.equal(result.power, "running");
    });
  });
}
