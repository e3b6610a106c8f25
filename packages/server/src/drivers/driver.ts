/**
 * The driver interface: what the control plane asks of a hypervisor. The simulated driver is
 * its executable specification, and `test/conformance/driver-suite.ts` is the suite every driver
 * must pass.
 *
 * Every method takes an AbortSignal; when it fires, the method rejects promptly, and the
 * machine may still finish the action on its own (as real hardware does). Every method is
 * safe to call again after a crash: calling it while the same action is in flight joins that
 * action instead of starting a second one.
 */

export type PowerState = "running" | "stopped" | "starting" | "stopping" | "rebooting" | "busy" | "absent";

export interface MachineStatus {
  power: PowerState;
  /** Incremented by every completed boot; a reboot is proven by a larger count. */
  bootCount: number;
}

export interface MachineSpec {
  cpu: number;
  memory: number;
  gpu: number;
  gpuType: string;
  imageId: string;
  diskGb: number;
}

export type PowerMode = "soft" | "hard";

export interface ImageProgress {
  /** 0 to 100. */
  percent: number;
  totalMs: number;
  remainingMs: number;
}

export class DriverError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`driver ${method}: ${message}`);
  }
}

export interface Driver {
  readonly name: string;
  /** Postcondition: the machine exists with `spec`, powered off. Idempotent. */
  provision(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine is running and booted. A no-op when already running. */
  powerOn(id: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine is stopped. `soft` asks the guest; `hard` cuts power at once. */
  powerOff(id: string, mode: PowerMode, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine has booted again since the call (bootCount grew) and runs. */
  reboot(id: string, mode: PowerMode, signal: AbortSignal): Promise<void>;
  /** The power state now. Never changes anything, except completing an action whose time is up. */
  status(id: string, signal: AbortSignal): Promise<MachineStatus>;
  /** Waits for any action in flight to end, then returns the status. */
  settle(id: string, signal: AbortSignal): Promise<MachineStatus>;
  /** Postcondition: a point-in-time copy of the disks exists for `imageId`; the machine may go on. */
  snapshot(id: string, imageId: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the image is complete and bootable. `onProgress` gets 0–100. */
  buildImage(imageId: string, signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void>;
  /** How far the build of `imageId` has come. */
  imageProgress(imageId: string, signal: AbortSignal): Promise<ImageProgress>;
  /** Postcondition: the image is gone. Idempotent. */
  deleteImage(imageId: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the boot disk holds a fresh copy of `imageId`; the machine is stopped. */
  reinstall(id: string, imageId: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine has `spec`; it is stopped. */
  resize(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void>;
  /** Postcondition: the guest's login password is `password` (plain text, never logged). */
  resetPassword(id: string, password: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine no longer exists (status `absent`). Idempotent. */
  destroy(id: string, signal: AbortSignal): Promise<void>;
}
