/**
 * A backend is to the agent what a driver is to the control plane: the one interface through
 * which machines on this host are made, powered and observed. The agent's link receives driver
 * methods from the control plane, checks their fencing token, and calls these; the QEMU backend
 * (`qemu/`) implements them with one QEMU process per machine.
 *
 * The postconditions are those of the server's Driver interface (`drivers/driver.ts` there), and
 * the same rules hold:
 * - every method takes an AbortSignal; when it fires the method rejects promptly, and the
 *   machine may still finish the action on its own, as hardware does;
 * - every method is safe to call again, also after the agent restarts: a call made while the
 *   same action is in flight joins it instead of starting a second one;
 * - a backend observes before it acts, and never trusts its memory over what it observes
 *   (after a restart it finds its QEMU processes again by pidfile and QMP socket).
 */
import type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode } from "@opencompshare/protocol";

/** A bootable image on this host: a qcow2 base disk, with a kernel and initramfs booted directly or its own bootloader. */
export interface BootImage {
  /** The CompShareImageId. */
  id: string;
  name: string;
  osName: string;
  /** Absolute paths on this host; empty: the disk boots with its own bootloader (BIOS). */
  kernel: string;
  initrd: string;
  /** The base disk; a machine's boot disk is a qcow2 overlay on it. */
  disk: string;
  /** Kernel command line (the console and root are added by the backend). */
  cmdline: string;
  /** The login the image offers over SSH. */
  sshUser: string;
  /** Size of the base disk, GB. */
  sizeGb: number;
}

/** What a host is: reported at registration. */
export interface HostFacts {
  cpus: number;
  /** MB. */
  memory: number;
  /** `kvm` or `tcg`: what the backend starts machines with (read from QMP `query-kvm`). */
  accelerator: "kvm" | "tcg";
}

export interface Backend {
  readonly name: string;
  /** Lets go of the machines (their connections and watchers); they go on running. */
  close?(): Promise<void>;
  /** Host facts: CPUs, memory, accelerator. */
  facts(signal: AbortSignal): Promise<HostFacts>;
  /** The images this host can boot (platform images it was given, and custom images it made). */
  images(signal: AbortSignal): Promise<BootImage[]>;
  /** The machines this backend knows on this host, by id (after a restart: what it found). */
  machines(signal: AbortSignal): Promise<string[]>;

  /** Postcondition: the machine exists with `spec`, powered off. Idempotent. */
  provision(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine runs, and its guest reported a boot id it had not reported before. No-op when running. */
  powerOn(id: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine is stopped (no QEMU process). `soft` asks the guest; `hard` cuts power at once. */
  powerOff(id: string, mode: PowerMode, signal: AbortSignal): Promise<void>;
  /**
   * Postcondition: the guest booted again since the call (a new boot id) and runs. `soft` asks the
   * guest agent, else ACPI (power down, then reset); `hard` is a QMP `system_reset`. A hard reboot
   * during a soft one in flight cuts it short.
   */
  reboot(id: string, mode: PowerMode, signal: AbortSignal): Promise<void>;
  /** The power state now, with the boot count and the current boot id. Changes nothing. */
  status(id: string, signal: AbortSignal): Promise<MachineStatus>;
  /** Waits for any action in flight to end, then returns the status. */
  settle(id: string, signal: AbortSignal): Promise<MachineStatus>;
  /** Postcondition: a point-in-time copy of the boot disk is being made for `imageId`; the machine goes on. */
  snapshot(id: string, imageId: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the copy is complete and bootable as image `imageId`. `onProgress` gets 0–100 from the real copy. */
  buildImage(imageId: string, signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void>;
  imageProgress(imageId: string, signal: AbortSignal): Promise<ImageProgress>;
  /** Postcondition: the image's files are gone. Idempotent. */
  deleteImage(imageId: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the boot disk is a fresh overlay on `imageId`; the machine is stopped. */
  reinstall(id: string, imageId: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine has `spec` from its next boot (CPU, memory, disk grown); it is stopped. */
  resize(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void>;
  /** Postcondition: the guest's login password is `password` (through the guest agent; never logged). */
  resetPassword(id: string, password: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the machine and its boot disk no longer exist (status `absent`). Idempotent. */
  destroy(id: string, signal: AbortSignal): Promise<void>;

  /** Postcondition: the data disk exists (created empty if new) and is attached as virtio-blk (hot-plugged when running). */
  attachDisk(id: string, disk: MachineDisk, signal: AbortSignal): Promise<void>;
  /** Postcondition: the data disk is no longer attached; its file is kept. */
  detachDisk(id: string, diskId: string, signal: AbortSignal): Promise<void>;
  /** Postcondition: the data disk's file has `sizeGb`. */
  resizeDisk(diskId: string, sizeGb: number, signal: AbortSignal): Promise<void>;
  /** Postcondition: the data disk's file is gone. Idempotent. */
  deleteDisk(diskId: string, signal: AbortSignal): Promise<void>;

  /** The tail of the machine's serial log, at most `bytes`. */
  consoleOutput(id: string, bytes: number, signal: AbortSignal): Promise<string>;
  /** CPU, memory and GPU usage of the machine over the last `seconds`. */
  metrics(id: string, seconds: number, signal: AbortSignal): Promise<MachineMetrics>;
  /** Where the machine's SSH server is reachable, or null when it has none yet. */
  access(id: string, signal: AbortSignal): Promise<MachineAccess | null>;
}
