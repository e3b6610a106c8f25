/**
 * Abort: every call rejects promptly when its signal aborts, and the machine then settles on its
 * own; a call whose signal has already aborted rejects without any time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DriverCall } from "@opencompshare/server";
import { BIGGER, SPEC, type Conformance } from "./context.js";

const SETTLED_POWER = new Set(["running", "stopped", "absent"]);

export function describeAbort(c: Conformance): void {
  const { never, newId, run, withoutTime, status, stopped, running, started, abortsPromptly } = c;

  describe("abort", () => {
    /** A running machine with a snapshot taken (a build needs one, as the server always does first). */
    async function snapshotOf(): Promise<string> {
      const id = await running();
      await run(c.driver.snapshot(id, `img-${id}`, never()));
      return id;
    }

    const cases: Array<{ what: string; setup: () => Promise<string>; call: (id: string, signal: DriverCall) => Promise<unknown> }> = [
      { what: "provision", setup: async () => newId(), call: (id, s) => c.driver.provision(id, SPEC, s) },
      { what: "powerOn", setup: () => stopped(), call: (id, s) => c.driver.powerOn(id, s) },
      { what: "powerOff(soft)", setup: () => running(), call: (id, s) => c.driver.powerOff(id, "soft", s) },
      { what: "reboot(soft)", setup: () => running(), call: async (id, s) => c.driver.reboot(id, "soft", (await c.driver.status(id, s)).bootCount, s) },
      { what: "reboot(hard)", setup: () => running(), call: async (id, s) => c.driver.reboot(id, "hard", (await c.driver.status(id, s)).bootCount, s) },
      { what: "snapshot", setup: () => running(), call: (id, s) => c.driver.snapshot(id, `img-${id}`, s) },
      { what: "buildImage", setup: () => snapshotOf(), call: (id, s) => c.driver.buildImage(`img-${id}`, s) },
      { what: "reinstall", setup: () => stopped(), call: (id, s) => c.driver.reinstall(id, "compshareImage-other", s) },
      { what: "resize", setup: () => stopped(), call: (id, s) => c.driver.resize(id, BIGGER, s) },
      { what: "resetPassword", setup: () => running(), call: (id, s) => c.driver.resetPassword(id, "N3w-pass!", s) },
      { what: "destroy", setup: () => running(), call: (id, s) => c.driver.destroy(id, s) },
    ];
    for (const kind of cases) {
      it(`${kind.what} rejects promptly when its signal aborts; the machine then settles on its own`, async () => {
        const id = await kind.setup();
        await abortsPromptly(kind.what, (call) => kind.call(id, call));
        const after = await run(c.driver.settle(id, never()));
        assert.ok(SETTLED_POWER.has(after.power), `after settling, the machine is ${after.power}`);
      });
    }

    it("settle rejects promptly when its signal aborts, and the boot goes on", async () => {
      const id = await stopped();
      const boot = await started(c.driver.powerOn(id, never()));
      await abortsPromptly("settle", (call) => c.driver.settle(id, call));
      await run(boot);
      assert.equal((await status(id)).power, "running");
    });

    it("an aborted powerOn: the machine may still finish the boot on its own", async () => {
      const id = await stopped();
      const before = await status(id);
      await abortsPromptly("powerOn", (call) => c.driver.powerOn(id, call));
      const after = await run(c.driver.settle(id, never()));
      assert.ok(after.power === "running" || after.power === "stopped", `power ${after.power}`);
      if (after.power === "running") assert.equal(after.bootCount, before.bootCount + 1);
      else assert.equal(after.bootCount, before.bootCount);
    });

    it("a call whose signal has already aborted rejects without any clock time", async () => {
      const id = await running();
      const ac = new AbortController();
      ac.abort(new Error("already aborted"));
      await assert.rejects(withoutTime(c.driver.reboot(id, "soft", (await status(id)).bootCount, { signal: ac.signal }), "reboot with an aborted signal"));
      await assert.rejects(withoutTime(c.driver.powerOff(id, "soft", { signal: ac.signal }), "powerOff with an aborted signal"));
      const after = await run(c.driver.settle(id, never()));
      assert.ok(SETTLED_POWER.has(after.power));
    });
  });
}
