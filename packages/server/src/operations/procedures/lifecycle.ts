/**
 * Lifecycle procedures: create, terminate, and the background tasks reinstall, resize and
 * password reset (which release the lock at once and run under their task flag).
 */
import type { MachineSpec } from "../../drivers/driver.js";
import { State } from "@opencompshare/protocol";
import { appendInstanceEvent } from "../../store/repositories/events.js";
import { casInstance, deleteInstance, holdingsOf, hostOfInstance, sealedPassword } from "../../store/repositories/instances.js";
import { disksOf, releaseDisksOf } from "../../store/repositories/disks.js";
import { creditRefund, type Refund } from "../../policies/purchases.js";
import { accessOf, observedState, STATUS_TIMEOUT_MS, type Procedure } from "./common.js";

/** Parameters recorded at acceptance. Secrets in them are sealed. */
export interface CreateParams {
  spec: MachineSpec;
}
export interface TerminateParams {
  /** Delete the attached data disks too (ReleaseUDisk); else they are detached and kept. */
  releaseDisks?: boolean;
  /** What the deletion refunds (a prepaid instance's rest of period, and released disks'). */
  refunds?: Refund[];
}
export interface ReinstallParams {
  imageId: string;
  passwordSealed?: string;
  /** The machine as it should be, for provisioning it when it does not exist (a failed create). */
  spec: MachineSpec;
}
export interface ResetPasswordParams {
  passwordSealed: string;
}
export interface ResizeParams {
  before: { cpu: number; memory: number; gpu: number; disks: string };
  after: { cpu: number; memory: number; gpu: number; disks: string };
  /** The GPUs the machine holds before, and keeps (or gets) after, the resize. */
  devicesBefore: string[];
  devices: string[];
  spec: MachineSpec;
}

export const create: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    const { spec } = ctx.params<CreateParams>();
    if (ctx.op.phase === "accepted" || ctx.op.phase === "provisioning") {
      await ctx.phase("provisioning");
      await ctx.drive("provision", (c) => ctx.driver.provision(id, spec, c));
      // The login password chosen at create, set before the first boot (the host applies it as the guest comes up).
      const sealed = await sealedPassword(ctx.deps.db, id);
      if (sealed) {
        const password = Buffer.from(ctx.deps.sealer.open(sealed), "base64").toString("utf8");
        await ctx.drive("resetPassword", (c) => ctx.driver.resetPassword(id, password, c));
      }
    }
    await ctx.phase("booting");
    await ctx.drive("powerOn", (c) => ctx.driver.powerOn(id, c));
    const access = await accessOf(ctx);
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, id, State.Initializing, { state: State.Running, access, start_time: now, updated_at: now });
    });
  },
  async fail(ctx, error) {
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, State.Initializing, { state: State.InstallFail, updated_at: now });
    });
  },
};

export const terminate: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    const { releaseDisks, refunds = [] } = ctx.params<TerminateParams>();
    if (ctx.op.phase !== "releasing") {
      await ctx.phase("powering-off");
      // A machine whose provisioning failed does not exist: nothing to power off.
      const status = await ctx.drive("status", (c) => ctx.driver.status(id, c), STATUS_TIMEOUT_MS);
      if (status.power !== "absent") await ctx.drive("powerOff(hard)", (c) => ctx.driver.powerOff(id, "hard", c));
      await ctx.write(async (tx) => {
        const now = ctx.deps.clock.now();
        await casInstance(tx, id, undefined, { state: State.Stopped, stop_time: now, updated_at: now });
      });
      await ctx.releaseLock();
      await ctx.phase("releasing");
    }
    await ctx.drive("destroy", (c) => ctx.driver.destroy(id, c));
    const disks = await disksOf(ctx.deps.db, id);
    if (releaseDisks) for (const d of disks) await ctx.drive("deleteDisk", (c) => ctx.driver.deleteDisk(d.id, c));
    await ctx.succeed(async (tx, now) => {
      const held = await holdingsOf(tx, id);
      if (held) await ctx.deps.fleet.release(tx, id, held.hostId, held.cpu, held.memoryMb);
      // CompShare keeps data disks unless ReleaseUDisk: they are detached, to be attached elsewhere.
      await releaseDisksOf(tx, id, releaseDisks === true, now);
      for (const r of refunds) {
        await creditRefund(tx, { ...r, accountId: ctx.op.accountId, now, what: `refund of the rest of ${r.resourceId}'s paid period` });
      }
      await appendInstanceEvent(tx, { kind: "instance.released", instanceId: id, data: {}, at: now });
      await deleteInstance(tx, id);
    }, "released");
  },
  async fail(ctx, error) {
    const state = await observedState(ctx);
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, undefined, { state, recycling: 0, updated_at: now });
    });
  },
};

export const resetPassword: Procedure = {
  async run(ctx) {
    await ctx.releaseLock();
    await ctx.phase("resetting");
    const { passwordSealed } = ctx.params<ResetPasswordParams>();
    const password = Buffer.from(ctx.deps.sealer.open(passwordSealed), "base64").toString("utf8");
    await ctx.drive("resetPassword", (c) => ctx.driver.resetPassword(ctx.instanceId, password, c));
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, ctx.instanceId, undefined, { password_sealed: passwordSealed, task: null, task_op_id: null, updated_at: now });
    });
  },
  async fail(ctx, error) {
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, undefined, { task: null, task_op_id: null, updated_at: now });
    });
  },
};

export const reinstall: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    const p = ctx.params<ReinstallParams>();
    await ctx.releaseLock();
    if (ctx.op.phase !== "booting") {
      await ctx.phase("reinstalling");
      const status = await ctx.drive("status", (c) => ctx.driver.status(id, c), STATUS_TIMEOUT_MS);
      if (status.power === "absent") await ctx.drive("provision", (c) => ctx.driver.provision(id, { ...p.spec, imageId: p.imageId }, c));
      await ctx.drive("reinstall", (c) => ctx.driver.reinstall(id, p.imageId, c));
      if (p.passwordSealed) {
        const password = Buffer.from(ctx.deps.sealer.open(p.passwordSealed), "base64").toString("utf8");
        await ctx.drive("resetPassword", (c) => ctx.driver.resetPassword(id, password, c));
      }
      await ctx.phase("booting");
    }
    await ctx.drive("powerOn", (c) => ctx.driver.powerOn(id, c));
    const access = await accessOf(ctx);
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, id, State.Initializing, {
        state: State.Running,
        access,
        image_id: p.imageId,
        ...(p.passwordSealed ? { password_sealed: p.passwordSealed } : {}),
        task: null,
        task_op_id: null,
        start_time: now,
        updated_at: now,
      });
    });
  },
  async fail(ctx, error) {
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, State.Initializing, { state: State.InstallFail, task: null, task_op_id: null, updated_at: now });
    });
  },
};

export const resize: Procedure = {
  async run(ctx) {
    const { before, after, devices, spec } = ctx.params<ResizeParams>();
    await ctx.releaseLock();
    await ctx.phase("resizing");
    await ctx.drive("resize", (c) => ctx.driver.resize(ctx.instanceId, spec, c));
    await ctx.succeed(async (tx, now) => {
      const hostId = await hostOfInstance(tx, ctx.instanceId);
      const done = await casInstance(tx, ctx.instanceId, State.Resizing, { ...after, machine_without_gpu: 0, state: State.Stopped, task: null, task_op_id: null, updated_at: now });
      // What grew was reserved at acceptance; what shrank is given back now.
      if (done && hostId) {
        await ctx.deps.fleet.shrink(tx, hostId, ctx.instanceId, { cpu: Math.max(0, before.cpu - after.cpu), memoryMb: Math.max(0, before.memory - after.memory) }, devices);
      }
    });
  },
  async fail(ctx, error) {
    const { before, after, devicesBefore } = ctx.params<ResizeParams>();
    await ctx.fail(error, async (tx, now) => {
      const hostId = await hostOfInstance(tx, ctx.instanceId);
      const restored = await casInstance(tx, ctx.instanceId, State.Resizing, { state: State.Stopped, task: null, task_op_id: null, updated_at: now });
      // Give back what was reserved to grow; keep the GPUs the instance had before.
      if (restored && hostId) {
        await ctx.deps.fleet.shrink(tx, hostId, ctx.instanceId, { cpu: Math.max(0, after.cpu - before.cpu), memoryMb: Math.max(0, after.memory - before.memory) }, devicesBefore);
      }
    });
  },
};
