/**
 * The GPUs of this host: what the agent registers with the control plane, and their health for
 * every heartbeat.
 *
 * nvidia-smi lists the GPUs the NVIDIA driver owns; sysfs lists every NVIDIA GPU, also those
 * bound to vfio-pci (ready for, or given to, a guest) that nvidia-smi cannot see. discover()
 * merges both by PCI address. A GPU once in the inventory stays in it for the agent's life, so
 * that one that falls off the bus is reported unhealthy instead of quietly disappearing.
 */
import { gpuHealth, type GpuHealth } from "./health.js";
import { gpuTypeOf, nvidiaDeviceName, type GpuModel } from "./models.js";
import { DEFAULT_NVIDIA_SMI, NvidiaSmiError, queryGpus, type GpuReading } from "./nvidia-smi.js";
import { comparePciAddresses } from "./pci.js";
import { isVfioDriver, PciSysfs, type PciDeviceInfo } from "./sysfs.js";
import { XidWatcher } from "./xid.js";

/** One GPU of this host. Fields nobody could read are null. */
export interface GpuDevice {
  pciAddress: string;
  /** nvidia-smi's index; null when nvidia-smi has not listed it. */
  index: number | null;
  uuid: string | null;
  /** As nvidia-smi prints it; from the device id table when only sysfs knows the GPU. */
  name: string;
  /** CompShare GpuType ("4090", "4090_48G", "A800", …); null for a model with none. */
  gpuType: string | null;
  /** MiB; null when only sysfs knows the GPU. */
  memoryTotalMb: number | null;
  /** `0x10de`. */
  vendorId: string | null;
  /** `0x2684`. */
  deviceId: string | null;
  /** `nvidia`, `vfio-pci`, or null (no driver, or not in sysfs). */
  driver: string | null;
  iommuGroup: number | null;
  numaNode: number | null;
  /** The other functions of the GPU's slot (audio `.1`, …): passed to the guest with it. */
  companions: string[];
  /** Whether nvidia-smi has listed it since the agent started. */
  seenByNvidiaSmi: boolean;
}

export interface GpuInventoryOptions {
  /** The nvidia-smi binary. Default `nvidia-smi` on PATH. */
  nvidiaSmi?: string;
  nvidiaSmiTimeoutMs?: number;
  /** The environment nvidia-smi runs in (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Default `/sys`. */
  sysfsRoot?: string;
  /** Default `/dev`. */
  devRoot?: string;
  /** Default `/dev/kmsg`. Ignored when `xidWatcher` is given. */
  kmsgPath?: string;
  /** Ignored when `xidWatcher` is given; see XidWatcherOptions.readExisting. */
  readExistingKmsg?: boolean;
  xidWatcher?: XidWatcher;
  /** Milliseconds; default Date.now. Used for when Xids are seen. */
  clock?: () => number;
  /** °C; default 90. */
  temperatureLimitC?: number;
  /** Overrides the GpuType mapping (e.g. a host of 48 GB 4090s bound to vfio-pci at boot). */
  gpuType?: (model: GpuModel & { pciAddress: string; deviceId: string | null }) => string | null;
}

interface SmiResult {
  readings: GpuReading[];
  error: string | null;
}

export class GpuInventory {
  readonly sysfs: PciSysfs;
  readonly xids: XidWatcher;
  private readonly options: GpuInventoryOptions;
  private readonly gpus = new Map<string, GpuDevice>();
  /** The latest nvidia-smi row of each GPU (discover() or health()), by PCI address. */
  private readonly latest = new Map<string, GpuReading>();
  private discovered = false;
  private lastProblems: string[] = [];

  constructor(options: GpuInventoryOptions = {}) {
    this.options = options;
    this.sysfs = new PciSysfs({ root: options.sysfsRoot, devRoot: options.devRoot });
    this.xids =
      options.xidWatcher ?? new XidWatcher({ path: options.kmsgPath, readExisting: options.readExistingKmsg, clock: options.clock });
  }

  /** What went wrong in the last discover() or health(): nvidia-smi failures, unreadable sysfs. */
  get problems(): string[] {
    return [...this.lastProblems];
  }

  /** The GPU's row in the latest nvidia-smi output (of the heartbeat's health pass); none before one, or for a GPU it does not list. */
  lastReading(pciAddress: string): GpuReading | undefined {
    return this.latest.get(pciAddress);
  }

  /** The inventory as of the last discover(), sorted by PCI address. */
  list(): GpuDevice[] {
    return [...this.gpus.values()].sort((a, b) => comparePciAddresses(a.pciAddress, b.pciAddress)).map((gpu) => ({ ...gpu, companions: [...gpu.companions] }));
  }

  private async readNvidiaSmi(signal: AbortSignal | undefined, problems: string[]): Promise<SmiResult> {
    try {
      const readings = await queryGpus({
        binary: this.options.nvidiaSmi ?? DEFAULT_NVIDIA_SMI,
        timeoutMs: this.options.nvidiaSmiTimeoutMs,
        env: this.options.env,
        signal,
      });
      this.keepLatest(readings);
      return { readings, error: null };
    } catch (error) {
      if (!(error instanceof NvidiaSmiError)) throw error;
      problems.push(error.message);
      this.keepLatest(error.readings);
      return { readings: error.readings, error: error.message };
    }
  }

  /** What the latest query read, and nothing older: a GPU it no longer lists has no reading. */
  private keepLatest(readings: readonly GpuReading[]): void {
    this.latest.clear();
    for (const r of readings) this.latest.set(r.pciAddress, r);
  }

  private typeOf(pciAddress: string, name: string, memoryTotalMb: number | null, deviceId: string | null): string | null {
    const model = { name, memoryTotalMb };
    return this.options.gpuType ? this.options.gpuType({ ...model, pciAddress, deviceId }) : gpuTypeOf(model);
  }

  /**
   * Lists the GPUs (nvidia-smi and sysfs merged), keeps any found before that are gone now, and
   * starts the Xid watcher's reading where the log ends. Errors of nvidia-smi or sysfs do not
   * throw: they are in `problems`, and the GPUs they hide show as unhealthy in health().
   */
  async discover(signal?: AbortSignal): Promise<GpuDevice[]> {
    const problems: string[] = [];
    const { readings } = await this.readNvidiaSmi(signal, problems);
    const fromSysfs = new Map<string, PciDeviceInfo>();
    try {
      for (const info of await this.sysfs.listNvidiaGpus()) fromSysfs.set(info.address, info);
    } catch (error) {
      problems.push(`sysfs at ${this.sysfs.root} could not be read: ${(error as Error).message}`);
    }
    const byAddress = new Map(readings.map((reading) => [reading.pciAddress, reading]));
    const addresses = new Set([...byAddress.keys(), ...fromSysfs.keys(), ...this.gpus.keys()]);

    for (const address of addresses) {
      const reading = byAddress.get(address) ?? null;
      const previous = this.gpus.get(address) ?? null;
      let info = fromSysfs.get(address) ?? null;
      let companions = previous?.companions ?? [];
      try {
        info ??= await this.sysfs.device(address);
        if (info) companions = await this.sysfs.companionsOf(address);
      } catch (error) {
        problems.push(`sysfs for ${address} could not be read: ${(error as Error).message}`);
      }
      const deviceId = info?.deviceId ?? previous?.deviceId ?? null;
      const name = reading?.name ?? previous?.name ?? (deviceId ? nvidiaDeviceName(deviceId) : "unknown NVIDIA GPU");
      const memoryTotalMb = reading?.memoryTotalMb ?? previous?.memoryTotalMb ?? null;
      this.gpus.set(address, {
        pciAddress: address,
        index: reading?.index ?? previous?.index ?? null,
        uuid: reading?.uuid ?? previous?.uuid ?? null,
        name,
        gpuType: this.typeOf(address, name, memoryTotalMb, deviceId),
        memoryTotalMb,
        vendorId: info?.vendorId ?? previous?.vendorId ?? null,
        deviceId,
        driver: info ? info.driver : (previous?.driver ?? null),
        iommuGroup: info?.iommuGroup ?? previous?.iommuGroup ?? null,
        numaNode: info?.numaNode ?? previous?.numaNode ?? null,
        companions,
        seenByNvidiaSmi: reading !== null || (previous?.seenByNvidiaSmi ?? false),
      });
    }
    await this.xids.poll();
    if (!this.xids.status.available) problems.push(`Xid events are not watched: ${this.xids.status.path}: ${this.xids.status.error}`);
    this.discovered = true;
    this.lastProblems = problems;
    return this.list();
  }

  /**
   * The health of every GPU in the inventory (discovering first if discover() was never called):
   * one nvidia-smi query, the new kernel log lines, and each GPU's current driver from sysfs.
   */
  async health(signal?: AbortSignal): Promise<GpuHealth[]> {
    if (!this.discovered) await this.discover(signal);
    const problems: string[] = [];
    const smi = await this.readNvidiaSmi(signal, problems);
    await this.xids.poll();
    if (!this.xids.status.available) problems.push(`Xid events are not watched: ${this.xids.status.path}: ${this.xids.status.error}`);
    const byAddress = new Map(smi.readings.map((reading) => [reading.pciAddress, reading]));

    const out: GpuHealth[] = [];
    for (const gpu of this.list()) {
      let driver = gpu.driver;
      try {
        const info = await this.sysfs.device(gpu.pciAddress);
        if (info) driver = info.driver;
      } catch (error) {
        problems.push(`sysfs for ${gpu.pciAddress} could not be read: ${(error as Error).message}`);
      }
      const stored = this.gpus.get(gpu.pciAddress);
      if (stored) stored.driver = driver;
      const reading = byAddress.get(gpu.pciAddress) ?? null;
      const expectedInNvidiaSmi = !isVfioDriver(driver) && (gpu.seenByNvidiaSmi || driver === "nvidia");
      out.push(
        gpuHealth(
          {
            pciAddress: gpu.pciAddress,
            reading,
            expectedInNvidiaSmi,
            xids: this.xids.eventsFor(gpu.pciAddress),
            memoryTotalMb: gpu.memoryTotalMb,
            nvidiaSmiError: smi.error,
          },
          { temperatureLimitC: this.options.temperatureLimitC },
        ),
      );
    }
    this.lastProblems = problems;
    return out;
  }

  /** Stops watching the kernel log. */
  async close(): Promise<void> {
    await this.xids.close();
  }
}
