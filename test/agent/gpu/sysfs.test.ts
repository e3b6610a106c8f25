/** sysfs: device facts, NVIDIA GPUs found without nvidia-smi, and readiness for VFIO. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PciSysfs } from "../../../packages/agent/src/gpu/index.js";
import { audio, buildSysfs, gpu, tempDir } from "./fakes.js";

let dir: { path: string; remove: () => Promise<void> };
/** IOMMU on: one GPU ready, one bound to nvidia, one whose audio function is not on vfio-pci. */
let host: PciSysfs;
/** IOMMU off: no groups at all. */
let noIommu: PciSysfs;

before(async () => {
  dir = await tempDir("sysfs");
  const on = await buildSysfs(
    `${dir.path}/on`,
    [
      { address: "0000:00:00.0", vendor: "0x8086", device: "0x09a2", class: "0x060000", driver: null, iommuGroup: 0 },
      { address: "0000:00:03.0", vendor: "0x8086", device: "0x347a", class: "0x060400", driver: "pcieport", iommuGroup: 22 },
      gpu("0000:01:00.0", "vfio-pci", 20),
      audio("0000:01:00.1", "vfio-pci", 20),
      gpu("0000:02:00.0", "nvidia", 21),
      audio("0000:02:00.1", "snd_hda_intel", 21),
      gpu("0000:03:00.0", "vfio-pci", 22),
      audio("0000:03:00.1", "snd_hda_intel", 22),
      { address: "0000:04:00.0", vendor: "0x10de", device: "0x20f3", class: "0x030200", driver: "nvidia", iommuGroup: 23, numaNode: 1 },
      { address: "0000:05:00.0", vendor: "0x15b3", device: "0x101b", class: "0x020700", driver: "mlx5_core", iommuGroup: 24 },
    ],
    [20, 22],
  );
  host = new PciSysfs({ root: on.sys, devRoot: on.dev });
  const off = await buildSysfs(`${dir.path}/off`, [gpu("0000:01:00.0", "vfio-pci", null), audio("0000:01:00.1", "vfio-pci", null)]);
  noIommu = new PciSysfs({ root: off.sys, devRoot: off.dev });
});
after(async () => dir.remove());

describe("device facts", () => {
  it("reads ids, class, driver (readlink), IOMMU group (readlink → number), NUMA node", async () => {
    assert.deepEqual(await host.device("0000:04:00.0"), {
      address: "0000:04:00.0",
      vendorId: "0x10de",
      deviceId: "0x20f3",
      classCode: "0x030200",
      driver: "nvidia",
      iommuGroup: 23,
      numaNode: 1,
    });
    const bridge = await host.device("0000:00:00.0");
    assert.equal(bridge?.driver, null);
    assert.equal(bridge?.numaNode, null, "numa_node -1 is no affinity");
    assert.equal(await host.device("0000:7f:00.0"), null);
  });

  it("accepts nvidia-smi's form of the address", async () => {
    assert.equal((await host.device("00000000:01:00.0"))?.driver, "vfio-pci");
  });

  it("lists an IOMMU group's devices", async () => {
    assert.deepEqual(await host.iommuGroupDevices(22), ["0000:00:03.0", "0000:03:00.0", "0000:03:00.1"]);
    assert.deepEqual(await host.iommuGroupDevices(99), []);
  });

  it("lists NVIDIA VGA and 3D controllers whatever their driver; not audio, not other vendors", async () => {
    const gpus = await host.listNvidiaGpus();
    assert.deepEqual(
      gpus.map((g) => [g.address, g.driver]),
      [
        ["0000:01:00.0", "vfio-pci"],
        ["0000:02:00.0", "nvidia"],
        ["0000:03:00.0", "vfio-pci"],
        ["0000:04:00.0", "nvidia"],
      ],
    );
  });

  it("finds a GPU's companion functions", async () => {
    assert.deepEqual(await host.companionsOf("0000:01:00.0"), ["0000:01:00.1"]);
    assert.deepEqual(await host.companionsOf("0000:04:00.0"), []);
  });

  it("an empty or missing sysfs lists nothing", async () => {
    const none = new PciSysfs({ root: `${dir.path}/nowhere` });
    assert.deepEqual(await none.listNvidiaGpus(), []);
    assert.equal(await none.device("0000:01:00.0"), null);
  });
});

describe("vfioReadiness", () => {
  it("ready: on vfio-pci, the whole group on vfio-pci, /dev/vfio/N present", async () => {
    const r = await host.vfioReadiness("0000:01:00.0");
    assert.deepEqual(r, { address: "0000:01:00.0", ready: true, iommuGroup: 20, groupDevices: ["0000:01:00.0", "0000:01:00.1"], reasons: [] });
  });

  it("bound to nvidia: gives the driver_override, unbind and bind steps", async () => {
    const r = await host.vfioReadiness("0000:02:00.0");
    assert.equal(r.ready, false);
    const dev = `${host.root}/bus/pci/devices/0000:02:00.0`;
    const binding = r.reasons.find((reason) => reason.startsWith("0000:02:00.0 is bound to nvidia, not vfio-pci"));
    assert.ok(binding, r.reasons.join("\n"));
    assert.ok(binding.includes("nvidia-persistenced"));
    assert.ok(
      binding.endsWith(
        `To bind it: modprobe vfio-pci; echo vfio-pci > ${dev}/driver_override; echo 0000:02:00.0 > ${dev}/driver/unbind; echo 0000:02:00.0 > ${host.root}/bus/pci/drivers_probe`,
      ),
      binding,
    );
    assert.ok(r.reasons.some((reason) => reason.includes("also holds 0000:02:00.1, bound to snd_hda_intel")));
    assert.ok(r.reasons.some((reason) => reason.includes("/vfio/21 does not exist")));
    assert.equal(r.reasons.length, 3);
  });

  it("a group with a companion not on vfio-pci: the whole group must be given; the bridge is fine", async () => {
    const r = await host.vfioReadiness("0000:03:00.0");
    assert.equal(r.ready, false);
    assert.equal(r.reasons.length, 1, r.reasons.join("\n"));
    assert.match(r.reasons[0] ?? "", /IOMMU group 22 also holds 0000:03:00\.1, bound to snd_hda_intel: VFIO takes the whole group/);
    assert.ok(!r.reasons.some((reason) => reason.includes("0000:00:03.0")), "a pcieport bridge may stay");
  });

  it("IOMMU off: no group, and says which kernel parameter turns it on", async () => {
    const r = await noIommu.vfioReadiness("0000:01:00.0");
    assert.equal(r.ready, false);
    assert.equal(r.iommuGroup, null);
    assert.equal(r.reasons.length, 1);
    assert.match(r.reasons[0] ?? "", /has no IOMMU group: the IOMMU is off/);
    assert.match(r.reasons[0] ?? "", /intel_iommu=on/);
    assert.match(r.reasons[0] ?? "", /amd_iommu=on/);
  });

  it("a device that does not exist", async () => {
    const r = await host.vfioReadiness("0000:7f:00.0");
    assert.equal(r.ready, false);
    assert.match(r.reasons[0] ?? "", /not a PCI device on this host/);
  });
});
