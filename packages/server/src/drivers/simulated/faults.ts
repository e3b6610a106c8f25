/**
 * Fault injection for the simulated driver: rows in `sim_faults`, so a test, the chaos soak or
 * another replica can arm them. A fault matches a method and optionally one instance, and fires
 * `remaining` times: `fail` throws, `hang` never returns until aborted, `slow` makes the action
 * take `delay_ms` longer, `late` lets it act and holds its answer back `delay_ms`.
 * The rows are store/repositories/simulator.ts's; when a fault fires is decided here.
 */
import { randomUUID } from "node:crypto";
import { deleteSimFaults, firstSimFault, insertSimFault, takeSimFaultShot, type SimFaultMode } from "../../store/repositories/simulator.js";
import type { Db } from "../../store/schema.js";

export type FaultMode = SimFaultMode;

export interface FaultSpec {
  method: string;
  mode: FaultMode;
  instanceId?: string;
  times?: number;
  delayMs?: number;
}

export async function armFault(db: Db, spec: FaultSpec): Promise<string> {
  const id = randomUUID();
  await insertSimFault(db, { id, method: spec.method, instanceId: spec.instanceId ?? null, mode: spec.mode, remaining: spec.times ?? 1, delayMs: spec.delayMs ?? 0 });
  return id;
}

export async function clearFaults(db: Db): Promise<void> {
  await deleteSimFaults(db);
}

/** Takes one shot of the first fault matching the call, if any. */
export async function takeFault(db: Db, method: string, instanceId: string): Promise<{ mode: FaultMode; delayMs: number } | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const fault = await firstSimFault(db, method, instanceId);
    if (!fault) return null;
    if (await takeSimFaultShot(db, fault)) return { mode: fault.mode, delayMs: fault.delayMs };
  }
  return null;
}
