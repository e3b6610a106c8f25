/**
 * Faults in the machines, armed by a test (ArmCompShareFault, or `armFault` in our own suites) and
 * taken by the driver call they match: the simulated driver applies a fault itself, the agent
 * driver sends it with the host command and the host's agent applies it before it acts. What each
 * mode does is protocol's faults.ts (`underFault`); the rows are store/repositories/faults.ts's.
 */
import { randomUUID } from "node:crypto";
import type { FaultMethod, FaultMode, FaultShot } from "@opencompshare/protocol";
import { deleteFaults, firstFault, insertFault, listFaults, takeFaultShot, type FaultRecord } from "../store/repositories/faults.js";
import type { Db } from "../store/schema.js";

export interface FaultSpec {
  method: FaultMethod;
  mode: FaultMode;
  /** The instance (or disk, or image) the fault is limited to. */
  instanceId?: string;
  times?: number;
  delayMs?: number;
  message?: string;
}

export type { FaultRecord };

export async function armFault(db: Db, spec: FaultSpec, now = Date.now()): Promise<string> {
  const id = `flt-${randomUUID()}`;
  await insertFault(db, {
    id,
    method: spec.method,
    instanceId: spec.instanceId ?? null,
    mode: spec.mode,
    times: spec.times ?? 1,
    delayMs: spec.delayMs ?? 0,
    message: spec.message ?? "",
    now,
  });
  return id;
}

export const faultsArmed = (db: Db): Promise<FaultRecord[]> => listFaults(db);

/** Clears one fault, or all; answers how many were cleared. */
export async function clearFaults(db: Db, id?: string): Promise<number> {
  return deleteFaults(db, id);
}

/** Takes one call of the first fault matching `method` on `targetId`, if any. */
export async function takeFault(db: Db, method: FaultMethod, targetId: string): Promise<FaultShot | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const fault = await firstFault(db, method, targetId);
    if (!fault) return null;
    if (await takeFaultShot(db, fault)) return { mode: fault.mode, delayMs: fault.delayMs, message: fault.message };
  }
  return null;
}
