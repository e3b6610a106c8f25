/**
 * Fakes for the GPU tests: an `nvidia-smi` shell script that prints a recorded fixture, and a
 * sysfs tree (with /dev/vfio) laid out like the kernel's, symlinks included.
 */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export async function tempDir(label: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `ocs-gpu-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Writes `DIR/nvidia-smi`: it records its arguments to $FAKE_NVIDIA_SMI_ARGS (when set), sleeps
 * $FAKE_NVIDIA_SMI_SLEEP seconds (when set, as `exec sleep`, so a kill ends it), writes
 * $FAKE_NVIDIA_SMI_STDERR to stderr, prints the file $FAKE_NVIDIA_SMI_FIXTURE and exits with
 * $FAKE_NVIDIA_SMI_EXIT (default 0).
 */
export async function writeFakeNvidiaSmi(dir: string): Promise<string> {
  const path = join(dir, "nvidia-smi");
  const script = [
    "#!/bin/sh",
    'if [ -n "$FAKE_NVIDIA_SMI_ARGS" ]; then printf \'%s\\n\' "$@" > "$FAKE_NVIDIA_SMI_ARGS"; fi',
    'if [ -n "$FAKE_NVIDIA_SMI_SLEEP" ]; then exec sleep "$FAKE_NVIDIA_SMI_SLEEP"; fi',
    'if [ -n "$FAKE_NVIDIA_SMI_STDERR" ]; then printf \'%s\\n\' "$FAKE_NVIDIA_SMI_STDERR" >&2; fi',
    'cat "$FAKE_NVIDIA_SMI_FIXTURE"',
    'exit "${FAKE_NVIDIA_SMI_EXIT:-0}"',
    "",
  ].join("\n");
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

/** An environment with DIR first on PATH and the fixture chosen. */
export function smiEnv(dir: string, fixtureName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`, FAKE_NVIDIA_SMI_FIXTURE: fixture(fixtureName), ...extra };
}

export interface FakePciDevice {
  address: string;
  vendor?: string;
  device: string;
  class: string;
  /** Bound driver; absent or null: none. */
  driver?: string | null;
  /** IOMMU group; absent or null: no iommu_group link (IOMMU off). */
  iommuGroup?: number | null;
  numaNode?: number;
}

/** A fake NVIDIA GPU at `address` (RTX 4090, VGA controller, NUMA node 0). */
export function gpu(address: string, driver: string | null, iommuGroup: number | null, device = "0x2684"): FakePciDevice {
  return { address, vendor: "0x10de", device, class: "0x030000", driver, iommuGroup, numaNode: 0 };
}

/** A fake GPU audio function (the AD102 HD audio controller). */
export function audio(address: string, driver: string | null, iommuGroup: number | null): FakePciDevice {
  return { address, vendor: "0x10de", device: "0x22ba", class: "0x040300", driver, iommuGroup, numaNode: 0 };
}

/**
 * Builds `ROOT/sys` and `ROOT/dev` like the kernel's:
 *   sys/devices/pci0000:00/ADDR/{vendor,device,class,numa_node}   (the device's directory)
 *   sys/bus/pci/devices/ADDR        → ../../../devices/pci0000:00/ADDR
 *   …/ADDR/driver                   → ../../../bus/pci/drivers/NAME
 *   …/ADDR/iommu_group              → ../../../kernel/iommu_groups/N
 *   sys/kernel/iommu_groups/N/devices/ADDR → ../../../../devices/pci0000:00/ADDR
 *   dev/vfio/N                      (for each of `vfioNodes`)
 */
export async function buildSysfs(root: string, devices: FakePciDevice[], vfioNodes: number[] = []): Promise<{ sys: string; dev: string }> {
  const sys = join(root, "sys");
  const dev = join(root, "dev");
  await mkdir(join(sys, "bus", "pci", "devices"), { recursive: true });
  await mkdir(join(sys, "kernel", "iommu_groups"), { recursive: true });
  await mkdir(join(dev, "vfio"), { recursive: true });
  for (const d of devices) {
    const real = join(sys, "devices", "pci0000:00", d.address);
    await mkdir(real, { recursive: true });
    await writeFile(join(real, "vendor"), `${d.vendor ?? "0x10de"}\n`);
    await writeFile(join(real, "device"), `${d.device}\n`);
    await writeFile(join(real, "class"), `${d.class}\n`);
    await writeFile(join(real, "numa_node"), `${d.numaNode ?? -1}\n`);
    await symlink(`../../../devices/pci0000:00/${d.address}`, join(sys, "bus", "pci", "devices", d.address));
    if (d.driver) {
      await mkdir(join(sys, "bus", "pci", "drivers", d.driver), { recursive: true });
      await symlink(`../../../bus/pci/drivers/${d.driver}`, join(real, "driver"));
    }
    if (d.iommuGroup !== undefined && d.iommuGroup !== null) {
      const group = join(sys, "kernel", "iommu_groups", String(d.iommuGroup), "devices");
      await mkdir(group, { recursive: true });
      await symlink(`../../../kernel/iommu_groups/${d.iommuGroup}`, join(real, "iommu_group"));
      await symlink(`../../../../devices/pci0000:00/${d.address}`, join(group, d.address));
    }
  }
  for (const n of vfioNodes) await writeFile(join(dev, "vfio", String(n)), "");
  return { sys, dev };
}
