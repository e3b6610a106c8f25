/**
 * A machine comes to exist and goes: provision (idempotent, joined when in flight), status
 * (which changes nothing), destroy (idempotent, of an unknown machine too).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SPEC, type Conformance } from "./context.js";
import { STEP_MS } from "./time.js";

export function describeMachines(c: Conformance): void {
  const { never, newId, run, withoutTime, status, stopped, running, started } = c;

  describe("provision", () => {
    it("leaves the machine existing and stopped", async () => {
      const id = newId();
      assert.equal((await status(id)).power, "absent");
      await run(c.driver.provision(id, SPEC, never()));
      assert.equal((await status(id)).power, "stopped");
    });

    it("is idempotent: provisioning again leaves it stopped, with no boot", async () => {
      const id = await stopped();
      const before = await status(id);
      await run(c.driver.provision(id, SPEC, never()));
      const after = await status(id);
      assert.equal(after.power, "stopped");
      assert.equal(after.bootCount, before.bootCount);
    });

    it("joins a provision in flight instead of starting a second one", async () => {
      const id = newId();
      const first = await started(c.driver.provision(id, SPEC, never()));
      assert.equal(first.done, false);
      await c.time.pass(STEP_MS);
      const second = await started(c.driver.provision(id, SPEC, never()));
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
      await c.time.pass(60_000);
      assert.deepEqual(await status(id), before);
      await c.time.pass(60_000);
      assert.deepEqual(await status(id), before);
    });
  });

  describe("destroy", () => {
    it("of a running machine: absent afterwards", async () => {
      const id = await running();
      await run(c.driver.destroy(id, never()));
      assert.equal((await status(id)).power, "absent");
    });

    it("of a stopped machine: absent afterwards, and destroying again is a no-op", async () => {
      const id = await stopped();
      await run(c.driver.destroy(id, never()));
      assert.equal((await status(id)).power, "absent");
      await run(c.driver.destroy(id, never()));
      assert.equal((await status(id)).power, "absent");
    });

    it("of an unknown machine: ends without error", async () => {
      const id = `unknown-${newId()}`;
      await run(c.driver.destroy(id, never()));
      assert.equal((await status(id)).power, "absent");
    });
  });
}
