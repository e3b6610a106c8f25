/**
 * Changes to a machine's disk and shape: reinstall and resize (of a stopped machine only, which
 * can boot again after), and resetPassword (running or stopped, without a reboot).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DriverError } from "@opencompshare/server";
import { BIGGER, type Conformance } from "./context.js";

export function describeChanges(c: Conformance): void {
  const { never, run, status, stopped, running } = c;

  describe("reinstall", () => {
    it("of a stopped machine: it ends stopped and can boot again", async () => {
      const id = await stopped();
      await run(c.driver.reinstall(id, "compshareImage-other", never()));
      assert.equal((await status(id)).power, "stopped");
      await run(c.driver.powerOn(id, never()));
      assert.equal((await status(id)).power, "running");
    });

    it("of a machine that ran and was stopped: it ends stopped", async () => {
      const id = await running();
      await run(c.driver.powerOff(id, "soft", never()));
      await run(c.driver.reinstall(id, "compshareImage-other", never()));
      assert.equal((await status(id)).power, "stopped");
    });

    it("needs a stopped machine: a running one is refused with a DriverError and goes on running", async () => {
      const id = await running();
      const before = await status(id);
      await assert.rejects(run(c.driver.reinstall(id, "compshareImage-other", never())), DriverError);
      assert.deepEqual(await status(id), before);
    });
  });

  describe("resize", () => {
    it("of a stopped machine: it ends stopped and can boot again", async () => {
      const id = await stopped();
      await run(c.driver.resize(id, BIGGER, never()));
      assert.equal((await status(id)).power, "stopped");
      await run(c.driver.powerOn(id, never()));
      assert.equal((await status(id)).power, "running");
    });

    it("needs a stopped machine: a running one is refused with a DriverError and goes on running", async () => {
      const id = await running();
      const before = await status(id);
      await assert.rejects(run(c.driver.resize(id, BIGGER, never())), DriverError);
      assert.deepEqual(await status(id), before);
    });
  });

  describe("resetPassword", () => {
    it("of a running machine: it ends and the machine goes on running without a reboot", async () => {
      const id = await running();
      const before = await status(id);
      await run(c.driver.resetPassword(id, "N3w-pass!", never()));
      assert.deepEqual(await status(id), before);
    });

    it("of a stopped machine: it ends and the machine stays stopped", async () => {
      const id = await stopped();
      await run(c.driver.resetPassword(id, "N3w-pass!", never()));
      assert.equal((await status(id)).power, "stopped");
    });
  });
}
