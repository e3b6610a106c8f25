/**
 * Drift between what the control plane says and what a host's machines do, from the machines a
 * heartbeat reports. A guest powered off from inside (`poweroff` in the guest), or a machine that
 * stopped or ran while no operation was watching it, is recorded as it is: Running ↔ Stopped.
 *
 * Only settled instances are touched: Running or Stopped, no operation running or holding the
 * lock, no background task, not being reclaimed, and unchanged for STABLE_MS. The last condition
 * keeps a heartbeat that was collected before an operation, and lands after it, from undoing the
 * operation's result.
 */
import { State, type MachineReport } from "@opencompshare/protocol";
import { casInstance, settledOn } from "../../store/repositories/instances.js";
import type { Executor } from "../../store/schema.js";

/** How long an instance's record must be unchanged before a heartbeat may correct it. */
export const STABLE_MS = 30_000;

export interface Drift {
  instanceId: string;
  from: string;
  to: string;
}

export async function reconcileMachines(tx: Executor, hostId: string, machines: readonly MachineReport[], now: number): Promise<Drift[]> {
  const power = new Map(machines.map((m) => [m.id, m.power]));
  if (power.size === 0) return [];
  const rows = await settledOn(tx, hostId, [...power.keys()], now - STABLE_MS, now);
  const drifts: Drift[] = [];
  for (const row of rows) {
    const p = power.get(row.id);
    const to = row.state === State.Running && p === "stopped" ? State.Stopped : row.state === State.Stopped && p === "running" ? State.Running : undefined;
    if (!to) continue;
    const set = to === State.Stopped ? { state: to, stop_time: now, updated_at: now } : { state: to, start_time: now, updated_at: now };
    if (await casInstance(tx, row.id, row.state, set)) drifts.push({ instanceId: row.id, from: row.state, to });
  }
  return drifts;
}
