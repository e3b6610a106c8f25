/**
 * What every procedure is made of: the Procedure shape, reading the machine's state from the
 * driver, the common failure (the instance takes the state the driver reports), and the soft
 * attempt that falls back to the hard one.
 */
import type { DriverCall, MachineStatus } from "../../drivers/driver.js";
import { State } from "@opencompshare/protocol";
import { casInstance } from "../../store/repositories/instances.js";
import type { Tx } from "../../store/schema.js";
import { DriverTimeout, type OperationContext } from "../context.js";

export interface Procedure {
  run(ctx: OperationContext): Promise<void>;
  /** Restores a consistent state and records the error. The lock is released in every case. */
  fail(ctx: OperationContext, error: unknown): Promise<void>;
}

export const STATUS_TIMEOUT_MS = 10_000;

export function stateOf(status: MachineStatus): string {
  if (status.power === "running") return State.Running;
  if (status.power === "stopped") return State.Stopped;
  // No machine (its provisioning failed, or it was destroyed): only Reinstall or Terminate help.
  if (status.power === "absent") return State.InstallFail;
  return State.Unknown;
}

/** The instance state that matches what the driver reports; unknown (`""`) when it cannot tell. */
export async function observedState(ctx: OperationContext): Promise<string> {
  try {
    // Read-only, so it may run past an exhausted lock budget: the state must be told.
    const s = await ctx.drive("status", (c) => ctx.driver.status(ctx.instanceId, c), STATUS_TIMEOUT_MS, { beyondLock: true });
    return stateOf(s);
  } catch {
    return State.Unknown;
  }
}

/** The common failure: the instance takes the state the driver reports, the task flag is cleared. */
export const failToObserved =
  (expected: string | undefined, extra: (ctx: OperationContext, tx: Tx) => Promise<void> = async () => undefined) =>
  async (ctx: OperationContext, error: unknown): Promise<void> => {
    const state = await observedState(ctx);
    await ctx.fail(error, async (tx, now) => {
      await casInstance(tx, ctx.instanceId, expected, { state, task: null, task_op_id: null, updated_at: now });
      await extra(ctx, tx);
    });
  };

/** Tries `soft` for at most the soft timeout (and half of what the lock has left), then `hard`. */
export async function softThenHard(
  ctx: OperationContext,
  soft: (c: DriverCall) => Promise<void>,
  hard: (c: DriverCall) => Promise<void>,
  name: string,
): Promise<void> {
  const softMs = Math.min(ctx.deps.softTimeoutMs, Math.floor(ctx.lockBudgetMs() / 2));
  try {
    await ctx.drive(`${name}(soft)`, soft, softMs);
  } catch (error) {
    if (!(error instanceof DriverTimeout)) throw error;
    ctx.deps.log.warn({ op: ctx.op.id, uhost: ctx.instanceId }, `soft ${name} timed out; falling back to hard`);
    ctx.deps.metrics.softToHard(name);
    await ctx.phase(`hard-${name}`);
    await ctx.drive(`${name}(hard)`, hard);
  }
}

/** Where the booted machine's SSH server is, as JSON for the instance row ('{}' when the driver cannot tell yet). */
export async function accessOf(ctx: OperationContext): Promise<string> {
  try {
    const access = await ctx.drive("access", (c) => ctx.driver.access(ctx.instanceId, c), STATUS_TIMEOUT_MS, { beyondLock: true });
    return JSON.stringify(access ?? {});
  } catch {
    return "{}";
  }
}
