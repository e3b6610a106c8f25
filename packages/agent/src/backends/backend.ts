/**
 * A backend is to the agent what a driver is to the control plane: the one interface through
 * which machines on this host are made, powered and observed. The agent's executor receives the
 * machine contract's methods from the control plane, checks their arguments and fencing token,
 * and calls these; the QEMU backend (`qemu/`) implements them with one QEMU process per machine.
 *
 * The contract's rules hold (protocol `machine.ts`): every method rejects promptly when its
 * signal fires; every method is safe to call again, also after the agent restarts; a backend
 * observes before it acts, and never trusts its memory over what it observes (after a restart it
 * finds its QEMU processes again by pidfile and QMP socket).
 */
import type { MachineMethods } from "@opencompshare/protocol";

/** An image a host can boot, whichever backend boots it: what the host registers with the control plane. */
export interface HostImage {
  /** The CompShareImageId. */
  id: string;
  name: string;
  osName: string;
  /** `vm`: a disk QEMU boots; `container`: an OCI image podman runs. */
  kind: "vm" | "container";
  /** The login the image offers over SSH. */
  sshUser: string;
  /** Size of the base disk (or of the image's layers), GB. */
  sizeGb: number;
}

/** A bootable disk image on this host: a qcow2 base disk, with a kernel and initramfs booted directly or its own bootloader. */
export interface BootImage extends HostImage {
  kind: "vm";
  /** Absolute paths on this host; empty: the disk boots with its own bootloader (BIOS). */
  kernel: string;
  initrd: string;
  /** The base disk; a machine's boot disk is a qcow2 overlay on it. */
  disk: string;
  /** Kernel command line (the console and root are added by the backend). */
  cmdline: string;
}

/** A container image: an OCI image in a registry, run by podman. */
export interface ContainerImage extends HostImage {
  kind: "container";
  /** Where it is pulled from: `registry/repository:tag`. */
  reference: string;
}

/** Where a backend writes what it does (the agent's logger). */
export interface BackendLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What a host is: reported at registration. */
export interface HostFacts {
  cpus: number;
  /** MB. */
  memory: number;
  /** `kvm` or `tcg`: what the backend starts machines with (read from QMP `query-kvm`). */
  accelerator: "kvm" | "tcg";
}

/**
 * A backend: the machine contract (`MACHINE_CONTRACT` in the protocol, where each method's
 * arguments, result and postcondition are written once) with an AbortSignal as each call's
 * context, and what a host reports of itself.
 */
export type Backend = MachineMethods<AbortSignal> & {
  readonly name: string;
  /** Lets go of the machines (their connections and watchers); they go on running. */
  close?(): Promise<void>;
  /** Host facts: CPUs, memory, accelerator. */
  facts(signal: AbortSignal): Promise<HostFacts>;
  /** The images this host can boot (platform images it was given, and custom images it made or can pull). */
  images(signal: AbortSignal): Promise<HostImage[]>;
  /** The machines this backend knows on this host, by id (after a restart: what it found). */
  machines(signal: AbortSignal): Promise<string[]>;
  /** Whether this backend holds the image: it can boot it, or it is building it or built it. */
  hasImage(imageId: string, signal: AbortSignal): Promise<boolean>;
  /** Whether this backend holds the data disk. */
  hasDisk(diskId: string, signal: AbortSignal): Promise<boolean>;
};
