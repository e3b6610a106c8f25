/** GpuInventory: nvidia-smi and sysfs merged, GpuTypes, and health with Xids and lost GPUs. */
import assert from "node:assert/strict";
import { appendFile, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GpuInventory, gpuTypeOf, nvidiaDeviceName, type GpuHealth } from "../../../packages/agent/src/gpu/index.js";
import { audio, buildSysfs, fixture, gpu, smiEnv, tempDir, writeFakeNvidiaSmi } from "./fakes.js";

/** The 8×4090 fixture's addresses. */
const ADDRESSES = ["0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"];

let dir: { path: string; remove: () => Promise<void> };
let smi: string;
let sys: string;
let dev: string;

before(async () => {
  dir = await tempDir("inventory");
  smi = await writeFakeNvidiaSmi(dir.path);
  const devices = ADDRESSES.flatMap((address, i) => [gpu(address, "nvidia", 30 + i), audio(address.replace(/\.0$/, ".1"), "snd_hda_intel", 30 + i)]);
  devices.push(
    gpu("0000:c1:00.0", "vfio-pci", 50),
    audio("0000:c1:00.1", "vfio-pci", 50),
    gpu("0000:c2:00.0", "vfio-pci", 51, "0x2685"),
    gpu("0000:c3:00.0", "vfio-pci", 52, "0x2bff"),
  );
  ({ sys, dev } = await buildSysfs(join(dir.path, "host"), devices, [50, 51, 52]));
});
after(async () => dir.remove());

function byAddress(list: GpuHealth[]): Map<string, GpuHealth> {
  return new Map(list.map((h) => [h.pciAddress, h]));
}

/** An inventory on the 8×4090 host, with its own kmsg file holding an old Xid 79. */
async function host(name: string, fixtureName = "nvidia-smi-8x4090.csv") {
  const kmsg = join(dir.path, `${name}.kmsg`);
  await writeFile(kmsg, "4,900,1000,-;NVRM: Xid (PCI:0000:2a:00): 79, GPU has fallen off the bus.\n");
  const env = smiEnv(dir.path, fixtureName);
  const inventory = new GpuInventory({ nvidiaSmi: smi, env, sysfsRoot: sys, devRoot: dev, kmsgPath: kmsg, clock: () => 5_000 });
  return { inventory, env, kmsg };
}

describe("models", () => {
  it("names the known device ids, and gives the raw id otherwise", () => {
    const names: Array<[string, string]> = [
      ["0x2684", "NVIDIA GeForce RTX 4090"],
      ["0x2685", "NVIDIA GeForce RTX 4090 D"],
      ["0x2204", "NVIDIA GeForce RTX 3090"],
      ["0x2208", "NVIDIA GeForce RTX 3080 Ti"],
      ["0x20b5", "NVIDIA A100 80GB PCIe"],
      ["0x20b2", "NVIDIA A100-SXM4-80GB"],
      ["0x20f3", "NVIDIA A800-SXM4-80GB"],
      ["0x20f5", "NVIDIA A800 80GB PCIe"],
      ["0x2329", "NVIDIA H20"],
      ["0x2b85", "NVIDIA GeForce RTX 5090"],
      ["0x1b38", "Tesla P40"],
      ["0x1df6", "Tesla V100S-PCIE-32GB"],
      ["0x1e04", "NVIDIA GeForce RTX 2080 Ti"],
      ["0x1e07", "NVIDIA GeForce RTX 2080 Ti"],
      ["0x1e82", "NVIDIA GeForce RTX 2080"],
      ["0x1e87", "NVIDIA GeForce RTX 2080"],
    ];
    for (const [id, name] of names) assert.equal(nvidiaDeviceName(id), name, id);
    assert.equal(nvidiaDeviceName("2684"), "NVIDIA GeForce RTX 4090");
    assert.equal(nvidiaDeviceName("0x2BFF"), "NVIDIA device 0x2bff");
  });

  it("maps names to CompShare GpuTypes; a 4090 with 48 GB is 4090_48G", () => {
    const cases: Array<[string, number | null, string | null]> = [
      ["NVIDIA GeForce RTX 4090", 24564, "4090"],
      ["NVIDIA GeForce RTX 4090", 49140, "4090_48G"],
      ["NVIDIA GeForce RTX 4090", null, "4090"],
      ["NVIDIA GeForce RTX 4090 D", 24564, null],
      ["NVIDIA GeForce RTX 5090", 32607, "5090"],
      ["NVIDIA GeForce RTX 3090", 24576, "3090"],
      ["NVIDIA GeForce RTX 3090 Ti", 24564, null],
      ["NVIDIA GeForce RTX 3080 Ti", 12288, "3080Ti"],
      ["NVIDIA GeForce RTX 2080 Ti", 11264, "2080Ti"],
      ["NVIDIA GeForce RTX 2080", 8192, "2080"],
      ["NVIDIA GeForce RTX 2080 SUPER", 8192, null],
      ["NVIDIA A100 80GB PCIe", 81920, "A100"],
      ["NVIDIA A100-SXM4-80GB", 81920, "A100"],
      ["NVIDIA A800-SXM4-80GB", 81920, "A800"],
      ["NVIDIA A800 80GB PCIe", 81920, "A800"],
      ["NVIDIA H20", 97871, "H20"],
      ["Tesla P40", 23040, "P40"],
      ["Tesla V100S-PCIE-32GB", 32768, "V100S"],
      ["NVIDIA H100 80GB HBM3", 81559, null],
    ];
    for (const [name, memoryTotalMb, type] of cases) assert.equal(gpuTypeOf({ name, memoryTotalMb }), type, `${name} ${memoryTotalMb}`);
  });
});

describe("discover", () => {
  it("merges nvidia-smi's 8 GPUs with the 3 on vfio-pci that only sysfs sees", async () => {
    const { inventory } = await host("discover");
    const gpus = await inventory.discover();
    assert.deepEqual(inventory.problems, []);
    assert.equal(gpus.length, 11);
    assert.deepEqual(
      gpus.map((g) => g.pciAddress),
      [...ADDRESSES.slice(0, 7), "0000:c1:00.0", "0000:c2:00.0", "0000:c3:00.0", "0000:db:00.0"],
    );
    const first = gpus.find((g) => g.pciAddress === "0000:18:00.0");
    assert.deepEqual(first, {
      pciAddress: "0000:18:00.0",
      index: 0,
      uuid: "GPU-3f9a1c52-7d4e-8b21-c6a0-5e2f19d8b734",
      name: "NVIDIA GeForce RTX 4090",
      gpuType: "4090",
      memoryTotalMb: 24564,
      vendorId: "0x10de",
      deviceId: "0x2684",
      driver: "nvidia",
      iommuGroup: 30,
      numaNode: 0,
      companions: ["0000:18:00.1"],
      seenByNvidiaSmi: true,
    });
    const vfio = gpus.find((g) => g.pciAddress === "0000:c1:00.0");
    assert.deepEqual(
      vfio && [vfio.name, vfio.gpuType, vfio.driver, vfio.index, vfio.memoryTotalMb, vfio.companions, vfio.seenByNvidiaSmi],
      ["NVIDIA GeForce RTX 4090", "4090", "vfio-pci", null, null, ["0000:c1:00.1"], false],
    );
    const d = gpus.find((g) => g.pciAddress === "0000:c2:00.0");
    assert.deepEqual(d && [d.name, d.gpuType], ["NVIDIA GeForce RTX 4090 D", null]);
    const unknown = gpus.find((g) => g.pciAddress === "0000:c3:00.0");
    assert.deepEqual(unknown && [unknown.name, unknown.gpuType], ["NVIDIA device 0x2bff", null]);
    await inventory.close();
  });

  it("a 2×A800 host and a 4090 48G host, nvidia-smi only (no sysfs)", async () => {
    const none = join(dir.path, "no-sysfs");
    const a800 = new GpuInventory({ nvidiaSmi: smi, env: smiEnv(dir.path, "nvidia-smi-2xa800.csv"), sysfsRoot: none, kmsgPath: join(none, "kmsg") });
    assert.deepEqual(
      (await a800.discover()).map((g) => [g.pciAddress, g.gpuType, g.memoryTotalMb]),
      [
        ["0000:4f:00.0", "A800", 81920],
        ["0000:52:00.0", "A800", 81920],
      ],
    );
    assert.match(a800.problems.join("\n"), /Xid events are not watched: .*ENOENT/);
    const big = new GpuInventory({ nvidiaSmi: smi, env: smiEnv(dir.path, "nvidia-smi-4090-48g.csv"), sysfsRoot: none, kmsgPath: join(none, "kmsg") });
    assert.deepEqual(
      (await big.discover()).map((g) => [g.pciAddress, g.gpuType, g.memoryTotalMb]),
      [["0000:01:00.0", "4090_48G", 49140]],
    );
    assert.deepEqual(
      (await big.health()).map((h) => h.healthy),
      [true],
    );
  });

  it("no nvidia-smi and no NVIDIA device: no GPUs, no health", async () => {
    const none = join(dir.path, "nothing");
    const inventory = new GpuInventory({ nvidiaSmi: join(none, "nvidia-smi"), sysfsRoot: none, kmsgPath: join(none, "kmsg") });
    assert.deepEqual(await inventory.discover(), []);
    assert.deepEqual(await inventory.health(), []);
  });

  it("the GpuType hook overrides the mapping (48 GB 4090s bound to vfio-pci at boot)", async () => {
    const hooked = new GpuInventory({
      nvidiaSmi: smi,
      env: smiEnv(dir.path, "nvidia-smi-empty.csv"),
      sysfsRoot: sys,
      devRoot: dev,
      kmsgPath: join(dir.path, "none"),
      gpuType: (model) => (model.deviceId === "0x2684" ? "4090_48G" : gpuTypeOf(model)),
    });
    const gpus = await hooked.discover();
    assert.equal(gpus.find((g) => g.pciAddress === "0000:c1:00.0")?.gpuType, "4090_48G");
  });
});

describe("health", () => {
  it("all healthy on a quiet host; old Xids in the log from before the start do not count", async () => {
    const { inventory } = await host("quiet");
    await inventory.discover();
    const health = await inventory.health();
    assert.equal(health.length, 11);
    assert.deepEqual(
      health.filter((h) => !h.healthy).map((h) => [h.pciAddress, h.reasons]),
      [],
    );
    const h = byAddress(health).get("0000:9a:00.0");
    assert.deepEqual(h && [h.temperatureC, h.utilGpu, h.memoryUsedMb, h.memoryTotalMb, h.eccUncorrected], [71, 100, 23990, 24564, 0]);
    assert.deepEqual(byAddress(health).get("0000:2a:00.0")?.xids, []);
  });

  it("Xid 79 and 48 make their GPUs unhealthy, and stay so; Xid 13 does not", async () => {
    const { inventory, kmsg } = await host("xids");
    await inventory.discover();
    await appendFile(
      kmsg,
      [
        "4,1001,2000,-;NVRM: Xid (PCI:0000:5d:00): 79, pid=1934, name=nvidia-smi, GPU has fallen off the bus.",
        " SUBSYSTEM=pci",
        "[  812.340118] NVRM: Xid (PCI:0000:ab:00): 48, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 0, subpartition 0.",
        "4,1003,2200,-;NVRM: Xid (PCI:0000:18:00): 13, pid=48211, name=python3, Graphics Exception: ESR 0x514648=0x1000f",
        "",
      ].join("\n"),
    );
    for (let round = 0; round < 3; round++) {
      const health = byAddress(await inventory.health());
      assert.equal(health.get("0000:5d:00.0")?.healthy, false, `round ${round}`);
      assert.match(health.get("0000:5d:00.0")?.reasons[0] ?? "", /^Xid 79: GPU has fallen off the bus/);
      assert.equal(health.get("0000:ab:00.0")?.healthy, false);
      assert.match(health.get("0000:ab:00.0")?.reasons[0] ?? "", /^Xid 48: double-bit ECC error/);
      assert.equal(health.get("0000:18:00.0")?.healthy, true);
      assert.deepEqual(health.get("0000:18:00.0")?.xids, [13]);
      assert.equal([...health.values()].filter((h) => !h.healthy).length, 2);
    }
    await inventory.close();
  });

  it("a GPU that disappears from nvidia-smi is unhealthy: fallen off the bus", async () => {
    const { inventory, env } = await host("gone");
    await inventory.discover();
    // The latest row of each GPU (what a container's GPU metrics read): 98 % busy, 22318 of 24564 MiB.
    assert.deepEqual([inventory.lastReading("0000:18:00.0")?.utilGpu, inventory.lastReading("0000:18:00.0")?.memoryUsedMb], [98, 22318]);
    assert.ok(inventory.lastReading("0000:3a:00.0"));
    const seven = join(dir.path, "nvidia-smi-7x4090.csv");
    const lines = (await readFile(fixture("nvidia-smi-8x4090.csv"), "utf8")).split("\n").filter((line) => !line.includes("00000000:3A:00.0"));
    await writeFile(seven, lines.join("\n"));
    env.FAKE_NVIDIA_SMI_FIXTURE = seven;
    const health = byAddress(await inventory.health());
    assert.deepEqual(health.get("0000:3a:00.0")?.reasons, ["fallen off the bus: the GPU is in the inventory but nvidia-smi no longer lists it"]);
    assert.equal(health.get("0000:3a:00.0")?.memoryTotalMb, 24564);
    assert.equal([...health.values()].filter((h) => !h.healthy).length, 1);
    assert.ok(inventory.list().some((g) => g.pciAddress === "0000:3a:00.0"), "it stays in the inventory");
    assert.equal(inventory.lastReading("0000:3a:00.0"), undefined, "but has no reading: the one before is not kept");
    env.FAKE_NVIDIA_SMI_FIXTURE = fixture("nvidia-smi-8x4090.csv");
    assert.equal(byAddress(await inventory.health()).get("0000:3a:00.0")?.healthy, true, "back in nvidia-smi, no fatal Xid: healthy");
    await inventory.close();
  });

  it("nvidia-smi failing for one lost GPU: that GPU unhealthy, the others read from its partial output", async () => {
    const { inventory, env } = await host("lost");
    await inventory.discover();
    env.FAKE_NVIDIA_SMI_FIXTURE = fixture("nvidia-smi-8x4090-lost.txt");
    env.FAKE_NVIDIA_SMI_EXIT = "15";
    const health = byAddress(await inventory.health());
    const lost = health.get("0000:5d:00.0");
    assert.equal(lost?.healthy, false);
    assert.match(lost?.reasons[0] ?? "", /^fallen off the bus: .*nvidia-smi failed: .*exited with code 15: Unable to determine the device handle/);
    assert.deepEqual(
      [...health.values()].filter((h) => !h.healthy).map((h) => h.pciAddress),
      ["0000:5d:00.0"],
    );
    assert.equal(health.get("0000:18:00.0")?.temperatureC, 68, "the partial output's numbers");
    assert.match(inventory.problems.join("\n"), /exited with code 15/);
    await inventory.close();
  });

  it("a GPU bound to nvidia that nvidia-smi has never listed is unhealthy from the start", async () => {
    const { inventory, env } = await host("never");
    env.FAKE_NVIDIA_SMI_FIXTURE = fixture("nvidia-smi-empty.csv");
    await inventory.discover();
    const health = byAddress(await inventory.health());
    assert.equal(health.get("0000:18:00.0")?.healthy, false);
    assert.equal(health.get("0000:c1:00.0")?.healthy, true, "on vfio-pci: nvidia-smi cannot see it, that is fine");
    await inventory.close();
  });

  it("a GPU rebound from nvidia to vfio-pci (given to a guest) is not 'fallen off'", async () => {
    const { inventory, env } = await host("rebound");
    await inventory.discover();
    const link = join(sys, "devices", "pci0000:00", "0000:db:00.0", "driver");
    await rm(link);
    await symlink("../../../bus/pci/drivers/vfio-pci", link);
    const lines = (await readFile(fixture("nvidia-smi-8x4090.csv"), "utf8")).split("\n").filter((line) => !line.includes("00000000:DB:00.0"));
    const without = join(dir.path, "nvidia-smi-without-db.csv");
    await writeFile(without, lines.join("\n"));
    env.FAKE_NVIDIA_SMI_FIXTURE = without;
    try {
      const health = byAddress(await inventory.health());
      assert.equal(health.get("0000:db:00.0")?.healthy, true);
      assert.equal(inventory.list().find((g) => g.pciAddress === "0000:db:00.0")?.driver, "vfio-pci");
    } finally {
      await rm(link);
      await symlink("../../../bus/pci/drivers/nvidia", link);
      await inventory.close();
    }
  });

  it("too hot: unhealthy at the configured limit", async () => {
    const inventory = new GpuInventory({
      nvidiaSmi: smi,
      env: smiEnv(dir.path, "nvidia-smi-8x4090.csv"),
      sysfsRoot: sys,
      devRoot: dev,
      kmsgPath: join(dir.path, "none"),
      temperatureLimitC: 70,
    });
    const health = await inventory.health();
    assert.deepEqual(
      health.filter((h) => !h.healthy).map((h) => h.pciAddress),
      ["0000:9a:00.0"],
    );
  });
});
