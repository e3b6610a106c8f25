/**
 * Faults in the machines, as a test arms them (ArmCompShareFault) and as a driver or a host's
 * agent applies them: the one definition of what each mode does, so that a hung reboot of the
 * simulated driver and one of a real QEMU guest behave alike.
 *
 * - `fail`: the call fails before it acts, with the fault's message;
 * - `hang`: the call never answers, and never acts, until its caller gives up on it (aborts);
 * - `slow`: the call acts `delayMs` later;
 * - `late`: the call acts, then answers `delayMs` late (a partition after the act: the machine
 *   did it, the caller does not know yet).
 */
import { MACHINE_METHODS, type MachineMethod } from "./machine.js";
import type { PowerMode } from "./host.js";
import { t, type Infer } from "./schema.js";

export const FAULT_MODES = ["fail", "hang", "slow", "late"] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** What a fault can catch: every method of the machine contract, and a hard reboot apart from a soft one. */
export const FAULT_METHODS = [...MACHINE_METHODS, "hardReboot"] as const;
export type FaultMethod = MachineMethod | "hardReboot";

/** The fault method a call is: `reboot` in the hard mode is `hardReboot`. */
export function faultMethodOf(method: MachineMethod, args: readonly unknown[]): FaultMethod {
  return method === "reboot" && (args[1] as PowerMode | undefined) === "hard" ? "hardReboot" : method;
}

/** A fault as it travels with a command to a host, and as a driver applies it. */
export const FaultShotSchema = t.object({
  mode: t.string({ enum: FAULT_MODES }),
  delayMs: t.int({ min: 0, max: 3_600_000 }),
  message: t.string({ maxLength: 256 }),
});
export type FaultShot = Infer<typeof FaultShotSchema>;

/** The error a `fail` fault answers when it was armed without a message. */
export const DEFAULT_FAULT_MESSAGE = "injected failure";

export interface FaultHooks {
  /** Throws the failure of a `fail` fault (a driver's own error type). */
  fail(message: string): never;
  /** Waits `ms` (the driver's clock), rejecting when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const hang = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

/**
 * Runs `act` under `shot` (none: as it is). `act` gets the extra time a `slow` fault adds, so a
 * driver whose actions take time of their own (the simulated one) makes the action itself longer.
 */
export async function underFault<T>(shot: FaultShot | null | undefined, signal: AbortSignal, hooks: FaultHooks, act: (extraMs: number) => Promise<T>): Promise<T> {
  if (!shot) return act(0);
  if (shot.mode === "fail") hooks.fail(shot.message || DEFAULT_FAULT_MESSAGE);
  if (shot.mode === "hang") await hang(signal);
  const result = await act(shot.mode === "slow" ? shot.delayMs : 0);
  if (shot.mode === "late") await hooks.sleep(shot.delayMs, signal);
  return result;
}
