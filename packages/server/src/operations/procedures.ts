/**
 * What each operation does once accepted, step by step, and how it ends when a step fails.
 * `run` is also how recovery resumes an operation: each step looks at the recorded phase and
 * the driver's state, so nothing the machine already did is done twice.
 */
import type { MachineSpec, MachineStatus } from "../drivers/driver.js";
import { State } from "../domain/states.js";
import { giveBackGpus } from "../store/repositories/capacity.js";
import { casInstance } from "../store/repositories/instances.js";
import type { Tx } from "../store/schema.js";
import { DriverTimeout, type OperationContext } from "./context.js";

export interface Procedure {
  run(ctx: OperationContext): Promise<void>;
  /** Restores a consistent state and records the error. The lock is released in every case. */
  fail(ctx: OperationContext, error: unknown): Promise<void>;
}

/** Parameters recorded at acceptance. Secrets in them are sealed. */
export interface CreateParams {
  spec: MachineSpec;
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
  spec: MachineSpec;
}
export interface ImageParams {
  imageId: string;
}

const STATUS_TIMEOUT_MS = 10_000;

/** The instance state that matches what the driver reports; unknown (`""`) when it cannot tell. */
async function observedState(ctx: OperationContext): Promise<string> {
  try {
    // Read-only, so it may run past an exhausted lock budget: the state must be told.
    const s = await ctx.drive("status", (signal) => ctx.driver.status(ctx.instanceId, signal), STATUS_TIMEOUT_MS, { beyondLock: true });
    return stateOf(s);
  } catch {
    return State.Unknown;
  }
}

export function stateOf(status: MachineStatus): string {
  if (status.power === "running") return State.Running;
  if (status.power === "stopped") return State.Stopped;
  return State.Unknown;
}

/** The common failure: the instance takes the state the driver reports, the task flag is cleared. */
const failToObserved =
  (expected: string | undefined, extra: (tx: Tx) => Promise<void> = async () => undefined) =>
  async (ctx: OperationContext, error: unknown): Promise<void> => {
    const state = await observedState(ctx);
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, expected, { state, task: null, task_op_id: null, updated_at: now });
      await extra(tx);
    });
  };

async function softThenHard(ctx: OperationContext, soft: (s: AbortSignal) => Promise<void>, hard: (s: AbortSignal) => Promise<void>, name: string) {
  // The soft attempt gets at most half of what the lock has left, so the hard one has time too.
  const softMs = Math.min(ctx.deps.softTimeoutMs, Math.floor(ctx.lockBudgetMs() / 2));
  try {
    await ctx.drive(`${name}(soft)`, soft, softMs);
  } catch (error) {
    if (!(error instanceof DriverTimeout)) throw error;
    ctx.deps.log.warn({ op: ctx.op.id, uhost: ctx.instanceId }, `soft ${name} timed out; falling back to hard`);
    await ctx.phase(`hard-${name}`);
    await ctx.drive(`${name}(hard)`, hard);
  }
}

const reboot: Procedure = {
  async run(ctx) {
    const { driver } = ctx;
    const id = ctx.instanceId;
    const doReboot = () =>
      softThenHard(
        ctx,
        (s) => driver.reboot(id, "soft", s),
        (s) => driver.reboot(id, "hard", s),
        "reboot",
      );
    if (ctx.op.phase === "accepted") {
      const before = await ctx.drive("status", (s) => driver.status(id, s), STATUS_TIMEOUT_MS);
      await ctx.phase("rebooting", { bootCount: before.bootCount });
      await doReboot();
    } else {
      // Resumed: the driver may have rebooted already. A larger boot count proves it did.
      const { bootCount } = ctx.checkpoint<{ bootCount: number }>();
      const now = await ctx.drive("settle", (s) => driver.settle(id, s));
      if (now.power === "running" && now.bootCount > bootCount) {
        // done while nobody watched
      } else if (now.power === "running") {
        await doReboot();
      } else {
        await ctx.drive("powerOn", (s) => driver.powerOn(id, s));
      }
    }
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, id, State.Rebooting, { state: State.Running, start_time: now, updated_at: now });
    });
  },
  fail: failToObserved(State.Rebooting),
};

const start: Procedure = {
  async run(ctx) {
    await ctx.phase("powering-on");
    await ctx.drive("powerOn", (s) => ctx.driver.powerOn(ctx.instanceId, s));
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, ctx.instanceId, State.Starting, { state: State.Running, start_time: now, updated_at: now });
    });
  },
  fail: failToObserved(State.Starting),
};

const stop: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    if (ctx.op.phase !== "hard-powerOff") {
      await ctx.phase("powering-off");
      await softThenHard(
        ctx,
        (s) => ctx.driver.powerOff(id, "soft", s),
        (s) => ctx.driver.powerOff(id, "hard", s),
        "powerOff",
      );
    } else {
      await ctx.drive("powerOff(hard)", (s) => ctx.driver.powerOff(id, "hard", s));
    }
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, id, State.Stopping, { state: State.Stopped, stop_time: now, updated_at: now });
    });
  },
  fail: failToObserved(State.Stopping),
};

const create: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    const { spec } = ctx.params<CreateParams>();
    if (ctx.op.phase === "accepted" || ctx.op.phase === "provisioning") {
      await ctx.phase("provisioning");
      await ctx.drive("provision", (s) => ctx.driver.provision(id, spec, s));
    }
    await ctx.phase("booting");
    await ctx.drive("powerOn", (s) => ctx.driver.powerOn(id, s));
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, id, State.Initializing, { state: State.Running, start_time: now, updated_at: now });
    });
  },
  async fail(ctx, error) {
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, State.Initializing, { state: State.InstallFail, updated_at: now });
    });
  },
};

const terminate: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    if (ctx.op.phase !== "releasing") {
      await ctx.phase("powering-off");
      // A machine whose provisioning failed does not exist: nothing to power off.
      const status = await ctx.drive("status", (s) => ctx.driver.status(id, s), STATUS_TIMEOUT_MS);
      if (status.power !== "absent") await ctx.drive("powerOff(hard)", (s) => ctx.driver.powerOff(id, "hard", s));
      await ctx.write(async (tx) => {
        const now = ctx.deps.clock.now();
        await casInstance(tx, id, undefined, { state: State.Stopped, stop_time: now, updated_at: now });
      });
      await ctx.releaseLock();
      await ctx.phase("releasing");
    }
    await ctx.drive("destroy", (s) => ctx.driver.destroy(id, s));
    await ctx.succeed(async (tx) => {
      const row = await tx.selectFrom("instances").select(["zone", "gpu_type", "gpu"]).where("id", "=", id).executeTakeFirst();
      if (row) await giveBackGpus(tx, row.zone, row.gpu_type, Number(row.gpu));
      await tx.deleteFrom("instances").where("id", "=", id).execute();
      await tx.deleteFrom("instance_locks").where("instance_id", "=", id).execute();
    }, "released");
  },
  async fail(ctx, error) {
    const state = await observedState(ctx);
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, undefined, { state, recycling: 0, updated_at: now });
    });
  },
};

const resetPassword: Procedure = {
  async run(ctx) {
    await ctx.releaseLock();
    await ctx.phase("resetting");
    const { passwordSealed } = ctx.params<ResetPasswordParams>();
    const password = Buffer.from(ctx.deps.sealer.open(passwordSealed), "base64").toString("utf8");
    await ctx.drive("resetPassword", (s) => ctx.driver.resetPassword(ctx.instanceId, password, s));
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

const reinstall: Procedure = {
  async run(ctx) {
    const id = ctx.instanceId;
    const p = ctx.params<ReinstallParams>();
    await ctx.releaseLock();
    if (ctx.op.phase !== "booting") {
      await ctx.phase("reinstalling");
      const status = await ctx.drive("status", (s) => ctx.driver.status(id, s), STATUS_TIMEOUT_MS);
      if (status.power === "absent") await ctx.drive("provision", (s) => ctx.driver.provision(id, { ...p.spec, imageId: p.imageId }, s));
      await ctx.drive("reinstall", (s) => ctx.driver.reinstall(id, p.imageId, s));
      await ctx.phase("booting");
    }
    await ctx.drive("powerOn", (s) => ctx.driver.powerOn(id, s));
    await ctx.succeed(async (tx, now) => {
      await casInstance(tx, id, State.Initializing, {
        state: State.Running,
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

const resize: Procedure = {
  async run(ctx) {
    const { before, after, spec } = ctx.params<ResizeParams>();
    await ctx.releaseLock();
    await ctx.phase("resizing");
    await ctx.drive("resize", (s) => ctx.driver.resize(ctx.instanceId, spec, s));
    await ctx.succeed(async (tx, now) => {
      const done = await casInstance(tx, ctx.instanceId, State.Resizing, {
        ...after,
        state: State.Stopped,
        task: null,
        task_op_id: null,
        updated_at: now,
      });
      if (done && after.gpu < before.gpu) await giveBackGpus(tx, await zoneOf(tx, ctx.instanceId), spec.gpuType, before.gpu - after.gpu);
    });
  },
  async fail(ctx, error) {
    // Extra GPUs were reserved at acceptance when growing: give them back.
    const { before, after, spec } = ctx.params<ResizeParams>();
    await ctx.fail(error, async (tx, now) => {
      const restored = await casInstance(tx, ctx.instanceId, State.Resizing, {
        gpu: before.gpu,
        state: State.Stopped,
        task: null,
        task_op_id: null,
        updated_at: now,
      });
      if (restored && after.gpu > before.gpu) await giveBackGpus(tx, await zoneOf(tx, ctx.instanceId), spec.gpuType, after.gpu - before.gpu);
    });
  },
};

async function zoneOf(tx: Tx, id: string): Promise<string> {
  const row = await tx.selectFrom("instances").select("zone").where("id", "=", id).executeTakeFirstOrThrow();
  return row.zone;
}

const makeImage: Procedure = {
  async run(ctx) {
    const { imageId } = ctx.params<ImageParams>();
    if (ctx.op.phase !== "building") {
      await ctx.phase("snapshot");
      await ctx.drive("snapshot", (s) => ctx.driver.snapshot(ctx.instanceId, imageId, s));
      await ctx.releaseLock();
      await ctx.phase("building");
    }
    await ctx.drive("buildImage", (s) =>
      ctx.driver.buildImage(imageId, s, async (p) => {
        await ctx.write(async (tx) => {
          await tx.updateTable("images").set({ progress: p.percent }).where("id", "=", imageId).where("status", "=", "Making").execute();
        });
      }),
    );
    await ctx.succeed(async (tx, now) => {
      await tx.updateTable("images").set({ status: "Available", progress: 100, ready_at: now }).where("id", "=", imageId).execute();
    });
  },
  async fail(ctx, error) {
    const { imageId } = ctx.params<ImageParams>();
    const reason = error instanceof Error ? error.message : String(error);
    await ctx.fail(error, async (tx) => {
      await tx.updateTable("images").set({ status: "UnAvailable", failed_reason: reason }).where("id", "=", imageId).execute();
    });
  },
};

export const PROCEDURES: Readonly<Record<string, Procedure>> = {
  CreateCompShareInstance: create,
  StartCompShareInstance: start,
  StopCompShareInstance: stop,
  RebootCompShareInstance: reboot,
  TerminateCompShareInstance: terminate,
  ResetCompShareInstancePassword: resetPassword,
  ReinstallCompShareInstance: reinstall,
  ResizeCompShareInstance: resize,
  CreateCompShareCustomImage: makeImage,
};
