/** Power procedures: start, stop and reboot. Each holds the lock to its end. */
import type { MachineSpec } from "../../drivers/driver.js";
import { State } from "@opencompshare/protocol";
import { casInstance } from "../../store/repositories/instances.js";
import { accessOf, failToObserved, softThenHard, STATUS_TIMEOUT_MS, type Procedure } from "./common.js";

/** The final phase of a reboot whose hard fallback found the machine booted already: the soft reboot finished late. */
export const SOFT_FINISHED_LATE = "soft-finished-late";

export const reboot: Procedure = {
  async run(ctx) {
    const { driver } = ctx;
    const id = ctx.instanceId;
    // Both attempts carry the boot count the operation started from: the host compares before it acts.
    const doReboot = async (from: number): Promise<boolean> => {
      let late = false;
      await softThenHard(
        ctx,
        async (c) => void (await driver.reboot(id, "soft", from, c)),
        async (c) => {
          late = (await driver.reboot(id, "hard", from, c)).alreadyBooted;
        },
        "reboot",
      );
      if (late) ctx.deps.log.warn({ op: ctx.op.id, uhost: id }, "the soft reboot finished late: the hard fallback found the new boot and did not reset");
      return late;
    };
    let late = false;
    if (ctx.op.phase === "accepted") {
      const before = await ctx.drive("status", (c) => driver.status(id, c), STATUS_TIMEOUT_MS);
      await ctx.phase("rebooting", { bootCount: before.bootCount, bootId: before.bootId ?? "" });
      late = await doReboot(before.bootCount);
    } else {
      // Resumed: the driver may have rebooted already. A larger boot count (a new boot id) proves it did.
      const { bootCount, bootId } = ctx.checkpoint<{ bootCount: number; bootId?: string }>();
      const now = await ctx.drive("settle", (c) => driver.settle(id, c));
      const rebooted = now.bootCount > bootCount || (!!bootId && !!now.bootId && now.bootId !== bootId);
      if (now.power === "running" && rebooted) {
        // done while nobody watched
      } else if (now.power === "running") {
        late = await doReboot(bootCount);
      } else {
        await ctx.drive("powerOn", (c) => driver.powerOn(id, c));
      }
    }
    await ctx.succeed(
      async (tx, now) => {
        await casInstance(tx, id, State.Rebooting, { state: State.Running, start_time: now, updated_at: now });
      },
      late ? SOFT_FINISHED_LATE : undefined,
    );
  },
  fail: failToObserved(State.Rebooting),
};

export interface StartParams {
  /** Started in no-GPU mode (1 CPU, 4 GB, no GPUs). */
  withoutGpu?: boolean;
  /** When the machine is sized for the other mode: what to resize it to before it powers on. */
  spec?: MachineSpec;
}

export const start: Procedure = {
  async run(ctx) {
    const { withoutGpu, spec } = ctx.params<StartParams>();
    if (spec && ctx.op.phase !== "powering-on") {
      await ctx.phase("sizing");
      await ctx.drive("resize", (c) => ctx.driver.resize(ctx.instanceId, spec, c));
      await ctx.write(async (tx) => {
        await casInstance(tx, ctx.instanceId, undefined, { machine_without_gpu: withoutGpu ? 1 : 0 });
      });
    }
    await ctx.phase("powering-on");
    await ctx.drive("powerOn", (c) => ctx.driver.powerOn(ctx.instanceId, c));
    const access = await accessOf(ctx);
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, ctx.instanceId, State.Starting, { state: State.Running, access, start_time: now, updated_at: now });
    });
  },
  fail: failToObserved(State.Starting),
};

export const stop: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    if (ctx.op.phase !== "hard-powerOff") {
      await ctx.phase("powering-off");
      await softThenHard(
        ctx,
        (c) => ctx.driver.powerOff(id, "soft", c),
        (c) => ctx.driver.powerOff(id, "hard", c),
        "powerOff",
      );
    } else {
      await ctx.drive("powerOff(hard)", (c) => ctx.driver.powerOff(id, "hard", c));
    }
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, id, State.Stopping, { state: State.Stopped, stop_time: now, updated_at: now });
    });
  },
  fail: failToObserved(State.Stopping),
};
