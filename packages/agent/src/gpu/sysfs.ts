/**
 * What the kernel says about a PCI device, read from sysfs: ids, class, driver, IOMMU group,
 * NUMA node; and whether a device can be given to a guest through VFIO.
 *
 * The root (`/sys`) and the device directory (`/dev`) are injectable: the tests build a fake
 * tree in a temporary directory. Only the files named below are read; nothing is written.
 *
 *   /sys/bus/pci/devices/ADDR/{vendor,device,class,numa_node}
 *   /sys/bus/pci/devices/ADDR/driver        → …/bus/pci/drivers/NAME     (absent: no driver)
 *   /sys/bus/pci/devices/ADDR/iommu_group   → …/kernel/iommu_groups/N    (absent: IOMMU off)
 *   /sys/kernel/iommu_groups/N/devices/ADDR
 *   /dev/vfio/N                                                          (made by vfio-pci)
 */
import { readFile, readdir, readlink, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { comparePciAddresses, normalizePciAddress, pciSlot } from "./pci.js";

export const NVIDIA_VENDOR_ID = "0x10de";
export const VFIO_PCI_DRIVER = "vfio-pci";
/** PCI class codes (base class and subclass) of a GPU: VGA-compatible and 3D controllers. */
export const GPU_CLASSES: readonly string[] = ["0x0300", "0x0302"];
/** PCI-to-PCI bridges: the kernel lets them stay with their driver (pcieport) in a VFIO group. */
const BRIDGE_CLASS = "0x0604";
/** Drivers the kernel accepts in a group given to VFIO besides vfio-pci: they do no DMA. */
const VFIO_SAFE_DRIVERS: readonly string[] = ["pci-stub", "pcieport"];

/** One PCI device as sysfs describes it. Ids and class as sysfs prints them (`0x10de`). */
export interface PciDeviceInfo {
  address: string;
  vendorId: string;
  deviceId: string;
  /** The 24-bit class code, `0x030000` for a VGA controller, `0x030200` for a 3D controller. */
  classCode: string;
  /** The bound driver's name (`nvidia`, `vfio-pci`), null when none is bound. */
  driver: string | null;
  /** Null when the device has no IOMMU group: the IOMMU is off. */
  iommuGroup: number | null;
  /** Null when the platform reports no NUMA affinity (`-1`). */
  numaNode: number | null;
}

/** Whether a device can be passed through now, and if not, every reason why. */
export interface VfioReadiness {
  address: string;
  ready: boolean;
  iommuGroup: number | null;
  /** Every device in the IOMMU group, this one included (empty without a group). */
  groupDevices: string[];
  /** Human-readable, each with what to do about it. Empty when ready. */
  reasons: string[];
}

export interface SysfsOptions {
  /** Default `/sys`. */
  root?: string;
  /** Default `/dev` (for `/dev/vfio/N`). */
  devRoot?: string;
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Whether a driver is vfio-pci or one of its variant drivers (`nvgrace-gpu-vfio-pci`, …). */
export function isVfioDriver(driver: string | null): boolean {
  return driver === VFIO_PCI_DRIVER || (driver?.endsWith("-vfio-pci") ?? false);
}

/** Whether a device is a PCI-to-PCI bridge (a root or switch port, not an endpoint). */
export function isPciBridge(info: PciDeviceInfo): boolean {
  return info.classCode.startsWith(BRIDGE_CLASS);
}

export class PciSysfs {
  readonly root: string;
  readonly devRoot: string;

  constructor(options: SysfsOptions = {}) {
    this.root = options.root ?? "/sys";
    this.devRoot = options.devRoot ?? "/dev";
  }

  /** `/sys/bus/pci/devices/ADDR` (under the configured root). */
  devicePath(address: string): string {
    return join(this.root, "bus", "pci", "devices", normalizePciAddress(address));
  }

  private async readText(path: string): Promise<string | null> {
    try {
      return (await readFile(path, "utf8")).trim();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async linkName(path: string): Promise<string | null> {
    try {
      return basename(await readlink(path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (isNotFound(error) || code === "EINVAL") return null;
      throw error;
    }
  }

  /** Every PCI device address sysfs lists, sorted. */
  async listDevices(): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, "bus", "pci", "devices"));
      return names.filter((name) => /^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(name)).sort(comparePciAddresses);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** The device at `address`, or null when sysfs has no such device. */
  async device(address: string): Promise<PciDeviceInfo | null> {
    const addr = normalizePciAddress(address);
    const dir = this.devicePath(addr);
    const vendor = await this.readText(join(dir, "vendor"));
    if (vendor === null) return null;
    const [deviceId, classCode, driver, group, numa] = await Promise.all([
      this.readText(join(dir, "device")),
      this.readText(join(dir, "class")),
      this.linkName(join(dir, "driver")),
      this.linkName(join(dir, "iommu_group")),
      this.readText(join(dir, "numa_node")),
    ]);
    const groupNumber = group !== null && /^\d+$/.test(group) ? Number(group) : null;
    const numaNumber = numa !== null && /^\d+$/.test(numa) ? Number(numa) : null;
    return {
      address: addr,
      vendorId: vendor.toLowerCase(),
      deviceId: (deviceId ?? "").toLowerCase(),
      classCode: (classCode ?? "").toLowerCase(),
      driver,
      iommuGroup: groupNumber,
      numaNode: numaNumber,
    };
  }

  /** The devices in IOMMU group `group`, sorted; empty when there is no such group. */
  async iommuGroupDevices(group: number): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, "kernel", "iommu_groups", String(group), "devices"));
      return names.sort(comparePciAddresses);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /**
   * NVIDIA VGA and 3D controllers (vendor 0x10de, class 0x0300xx or 0x0302xx), whatever driver
   * they are bound to: this is how GPUs bound to vfio-pci, which nvidia-smi cannot see, are found.
   */
  async listNvidiaGpus(): Promise<PciDeviceInfo[]> {
    const out: PciDeviceInfo[] = [];
    for (const address of await this.listDevices()) {
      const info = await this.device(address);
      if (info && info.vendorId === NVIDIA_VENDOR_ID && GPU_CLASSES.includes(info.classCode.slice(0, 6))) out.push(info);
    }
    return out;
  }

  /** The other functions in the same slot (a GPU's audio `.1`, USB `.2`, UCSI `.3`), sorted. */
  async companionsOf(address: string): Promise<string[]> {
    const addr = normalizePciAddress(address);
    const slot = pciSlot(addr);
    return (await this.listDevices()).filter((other) => other !== addr && pciSlot(other) === slot);
  }

  /** Whether `/dev/vfio/N` exists. */
  async vfioGroupNodeExists(group: number): Promise<boolean> {
    try {
      await stat(join(this.devRoot, "vfio", String(group)));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The shell steps that bind `address` to vfio-pci, for a message (this module writes nothing). */
  bindSteps(address: string, currentDriver: string | null): string {
    const addr = normalizePciAddress(address);
    const dev = this.devicePath(addr);
    const steps = ["modprobe vfio-pci", `echo ${VFIO_PCI_DRIVER} > ${join(dev, "driver_override")}`];
    if (currentDriver !== null) steps.push(`echo ${addr} > ${join(dev, "driver", "unbind")}`);
    steps.push(`echo ${addr} > ${join(this.root, "bus", "pci", "drivers_probe")}`);
    return steps.join("; ");
  }

  /**
   * Why `address` cannot be given to a guest now (empty `reasons`: it can):
   * - it is not in sysfs;
   * - it has no IOMMU group (the IOMMU is off);
   * - it is not bound to vfio-pci (the steps to bind it are in the reason);
   * - another device in its IOMMU group is bound to a driver other than vfio-pci (VFIO takes
   *   whole groups: the kernel refuses the group while any member has a DMA-capable host driver;
   *   bridges and pci-stub are allowed);
   * - `/dev/vfio/N` is missing.
   */
  async vfioReadiness(address: string): Promise<VfioReadiness> {
    const addr = normalizePciAddress(address);
    const info = await this.device(addr);
    if (!info) {
      return { address: addr, ready: false, iommuGroup: null, groupDevices: [], reasons: [`${addr} is not a PCI device on this host (no ${this.devicePath(addr)})`] };
    }
    const reasons: string[] = [];
    if (info.iommuGroup === null) {
      reasons.push(
        `${addr} has no IOMMU group: the IOMMU is off. Enable VT-d (Intel) or AMD-Vi (AMD) in the firmware, ` +
          `boot with intel_iommu=on on Intel (AMD's IOMMU is on once the firmware enables it; amd_iommu=on is harmless), then reboot`,
      );
    }
    if (!isVfioDriver(info.driver)) {
      const bound = info.driver === null ? "is bound to no driver" : `is bound to ${info.driver}`;
      const stopFirst = info.driver === "nvidia" ? " (stop what holds it first: nvidia-persistenced, nvidia-fabricmanager, DCGM, CUDA processes)" : "";
      reasons.push(`${addr} ${bound}, not ${VFIO_PCI_DRIVER}${stopFirst}. To bind it: ${this.bindSteps(addr, info.driver)}`);
    }
    let groupDevices: string[] = [];
    if (info.iommuGroup !== null) {
      groupDevices = await this.iommuGroupDevices(info.iommuGroup);
      for (const other of groupDevices) {
        if (other === addr) continue;
        const otherInfo = await this.device(other);
        if (!otherInfo) continue;
        if (isVfioDriver(otherInfo.driver) || otherInfo.driver === null) continue;
        if (VFIO_SAFE_DRIVERS.includes(otherInfo.driver) || isPciBridge(otherInfo)) continue;
        reasons.push(
          `IOMMU group ${info.iommuGroup} also holds ${other}, bound to ${otherInfo.driver}: VFIO takes the whole group, ` +
            `so bind it to ${VFIO_PCI_DRIVER} too and give it to the same guest. To bind it: ${this.bindSteps(other, otherInfo.driver)}`,
        );
      }
      if (!(await this.vfioGroupNodeExists(info.iommuGroup))) {
        reasons.push(
          `${join(this.devRoot, "vfio", String(info.iommuGroup))} does not exist: vfio-pci makes it when it binds a device of group ${info.iommuGroup}` +
            ` (is the vfio-pci module loaded?)`,
        );
      }
    }
    return { address: addr, ready: reasons.length === 0, iommuGroup: info.iommuGroup, groupDevices, reasons };
  }
}
