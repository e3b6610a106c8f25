/**
 * Whole GPUs for a QEMU guest by VFIO passthrough: the `-device` arguments, and the check that
 * every requested device can be given before the machine starts.
 *
 * QEMU takes a host device as `-device vfio-pci,host=DOMAIN:BUS:SLOT.FN`. The functions of one
 * physical slot (a GPU's `.0` and its audio `.1`, and on Turing cards USB `.2` and UCSI `.3`)
 * are put in one guest slot as well, behind a PCIe root port of their own (a q35 machine):
 * function 0 with `multifunction=on`, the others at `addr=00.N`. Only the addresses the caller
 * lists are passed: list the companions (GpuDevice.companions) with their GPU.
 *
 * This is built from QEMU's documented options; it was not exercised against real hardware.
 */
import { comparePciAddresses, normalizePciAddress, pciFunction, pciSlot } from "./pci.js";
import { isPciBridge, type PciSysfs, type VfioReadiness } from "./sysfs.js";

export interface VfioArgsOptions {
  /**
   * Put each GPU slot behind its own `pcie-root-port` (default true; needs a q35 machine). When
   * false, every function is a plain `-device vfio-pci,host=…` on the default bus and QEMU
   * chooses the guest slots.
   */
  rootPorts?: boolean;
  /** The first root port's chassis number; each port takes the next one. Default 1. */
  chassisBase?: number;
  /** Prefix of the QEMU ids (`gpu0`, `gpu0-port`, `gpu0-fn1`). Default `gpu`. */
  idPrefix?: string;
}

/** Groups addresses by physical slot, slots and functions sorted; throws on bad input. */
function slotsOf(addresses: readonly string[]): string[][] {
  const seen = new Set<string>();
  const slots = new Map<string, string[]>();
  for (const input of addresses) {
    const address = normalizePciAddress(input);
    if (seen.has(address)) throw new Error(`${address} is listed twice`);
    seen.add(address);
    const slot = pciSlot(address);
    slots.set(slot, [...(slots.get(slot) ?? []), address]);
  }
  const out = [...slots.values()].map((fns) => fns.sort(comparePciAddresses));
  out.sort((a, b) => comparePciAddresses(a[0] ?? "", b[0] ?? ""));
  for (const fns of out) {
    const first = fns[0] ?? "";
    if (pciFunction(first) !== 0) {
      throw new Error(`${first} is listed without function 0 of its slot (${pciSlot(first)}.0): a guest slot needs its function 0`);
    }
  }
  return out;
}

/**
 * QEMU argv pieces for passing `addresses` (GPUs and their companion functions) to a guest:
 *
 *   -device pcie-root-port,id=gpu0-port,chassis=1
 *   -device vfio-pci,host=0000:01:00.0,id=gpu0,bus=gpu0-port,addr=00.0,multifunction=on
 *   -device vfio-pci,host=0000:01:00.1,id=gpu0-fn1,bus=gpu0-port,addr=00.1
 *
 * `multifunction=on` is set only on a function 0 that shares its guest slot. Throws on an
 * address that is not one, one listed twice, or a companion without its function 0.
 */
export function vfioDeviceArgs(addresses: readonly string[], options: VfioArgsOptions = {}): string[] {
  const rootPorts = options.rootPorts ?? true;
  const chassisBase = options.chassisBase ?? 1;
  const prefix = options.idPrefix ?? "gpu";
  const args: string[] = [];
  slotsOf(addresses).forEach((fns, i) => {
    const id = `${prefix}${i}`;
    const port = `${id}-port`;
    if (rootPorts) args.push("-device", `pcie-root-port,id=${port},chassis=${chassisBase + i}`);
    for (const address of fns) {
      const fn = pciFunction(address);
      const parts = [`vfio-pci`, `host=${address}`, `id=${fn === 0 ? id : `${id}-fn${fn}`}`];
      if (rootPorts) {
        parts.push(`bus=${port}`, `addr=00.${fn}`);
        if (fn === 0 && fns.length > 1) parts.push("multifunction=on");
      }
      args.push("-device", parts.join(","));
    }
  });
  return args;
}

/** The outcome of checking a set of devices for one guest. */
export interface PassthroughCheck {
  ready: boolean;
  devices: VfioReadiness[];
  /** Every reason, each naming its device. */
  reasons: string[];
}

/** Thrown by assertPassthroughReady: the machine must not start. */
export class VfioNotReadyError extends Error {
  constructor(readonly check: PassthroughCheck) {
    super(`GPU passthrough is not ready:\n- ${check.reasons.join("\n- ")}`);
    this.name = "VfioNotReadyError";
  }
}

/**
 * Checks that every address can be given to one guest now: each is ready (sysfs vfioReadiness),
 * and the endpoints that share an IOMMU group with a requested device are requested too (VFIO
 * gives a group to one guest, so a GPU's audio function goes with it). Bridges in a group are
 * not endpoints and are not asked for.
 */
export async function checkPassthrough(addresses: readonly string[], sysfs: PciSysfs): Promise<PassthroughCheck> {
  const requested = new Set(addresses.map((address) => normalizePciAddress(address)));
  const devices: VfioReadiness[] = [];
  const reasons: string[] = [];
  const missing = new Set<string>();
  for (const address of [...requested].sort(comparePciAddresses)) {
    const readiness = await sysfs.vfioReadiness(address);
    devices.push(readiness);
    reasons.push(...readiness.reasons);
    for (const other of readiness.groupDevices) {
      if (requested.has(other) || missing.has(other)) continue;
      const info = await sysfs.device(other);
      if (!info || isPciBridge(info)) continue;
      missing.add(other);
      reasons.push(`${other} is in IOMMU group ${String(readiness.iommuGroup)} with ${address} but is not in the request: give the whole group to the guest`);
    }
  }
  return { ready: reasons.length === 0, devices, reasons };
}

/** checkPassthrough, throwing a VfioNotReadyError that lists every reason when not ready. */
export async function assertPassthroughReady(addresses: readonly string[], sysfs: PciSysfs): Promise<PassthroughCheck> {
  const check = await checkPassthrough(addresses, sysfs);
  if (!check.ready) throw new VfioNotReadyError(check);
  return check;
}
