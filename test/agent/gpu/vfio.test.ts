/** VFIO: QEMU -device arguments for GPUs and their companions, and the pre-start check. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertPassthroughReady, checkPassthrough, PciSysfs, vfioDeviceArgs, VfioNotReadyError } from "../../../packages/agent/src/gpu/index.js";
import { audio, buildSysfs, gpu, tempDir } from "./fakes.js";

describe("vfioDeviceArgs", () => {
  it("two GPUs with their audio functions: a root port each, function 0 multifunction", () => {
    assert.deepEqual(vfioDeviceArgs(["0000:02:00.1", "0000:01:00.0", "0000:02:00.0", "0000:01:00.1"]), [
      "-device",
      "pcie-root-port,id=gpu0-port,chassis=1",
      "-device",
      "vfio-pci,host=0000:01:00.0,id=gpu0,bus=gpu0-port,addr=00.0,multifunction=on",
      "-device",
      "vfio-pci,host=0000:01:00.1,id=gpu0-fn1,bus=gpu0-port,addr=00.1",
      "-device",
      "pcie-root-port,id=gpu1-port,chassis=2",
      "-device",
      "vfio-pci,host=0000:02:00.0,id=gpu1,bus=gpu1-port,addr=00.0,multifunction=on",
      "-device",
      "vfio-pci,host=0000:02:00.1,id=gpu1-fn1,bus=gpu1-port,addr=00.1",
    ]);
  });

  it("a GPU alone gets no multifunction; nvidia-smi addresses are normalized", () => {
    assert.deepEqual(vfioDeviceArgs(["00000000:3B:00.0"], { chassisBase: 10, idPrefix: "hostdev" }), [
      "-device",
      "pcie-root-port,id=hostdev0-port,chassis=10",
      "-device",
      "vfio-pci,host=0000:3b:00.0,id=hostdev0,bus=hostdev0-port,addr=00.0",
    ]);
  });

  it("without root ports: plain vfio-pci devices", () => {
    assert.deepEqual(vfioDeviceArgs(["0000:01:00.0", "0000:01:00.1", "0000:02:00.0"], { rootPorts: false }), [
      "-device",
      "vfio-pci,host=0000:01:00.0,id=gpu0",
      "-device",
      "vfio-pci,host=0000:01:00.1,id=gpu0-fn1",
      "-device",
      "vfio-pci,host=0000:02:00.0,id=gpu1",
    ]);
  });

  it("refuses duplicates, a companion without its function 0, and non-addresses", () => {
    assert.throws(() => vfioDeviceArgs(["0000:01:00.0", "00000000:01:00.0"]), /listed twice/);
    assert.throws(() => vfioDeviceArgs(["0000:01:00.1"]), /without function 0/);
    assert.throws(() => vfioDeviceArgs(["gpu0"]), /not a PCI address/);
    assert.deepEqual(vfioDeviceArgs([]), []);
  });
});

describe("checkPassthrough", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let sysfs: PciSysfs;

  before(async () => {
    dir = await tempDir("vfio");
    const tree = await buildSysfs(
      dir.path,
      [
        gpu("0000:01:00.0", "vfio-pci", 20),
        audio("0000:01:00.1", "vfio-pci", 20),
        gpu("0000:02:00.0", "vfio-pci", 21),
        audio("0000:02:00.1", "vfio-pci", 21),
        gpu("0000:03:00.0", "nvidia", 22),
        audio("0000:03:00.1", "snd_hda_intel", 22),
      ],
      [20, 21],
    );
    sysfs = new PciSysfs({ root: tree.sys, devRoot: tree.dev });
  });
  after(async () => dir.remove());

  it("two GPUs with their companions, all on vfio-pci: ready", async () => {
    const check = await assertPassthroughReady(["0000:01:00.0", "0000:01:00.1", "0000:02:00.0", "0000:02:00.1"], sysfs);
    assert.equal(check.ready, true);
    assert.equal(check.devices.length, 4);
    assert.deepEqual(check.reasons, []);
  });

  it("a GPU without its audio function: the group must be given whole", async () => {
    const check = await checkPassthrough(["0000:01:00.0"], sysfs);
    assert.equal(check.ready, false);
    assert.deepEqual(check.reasons, [
      "0000:01:00.1 is in IOMMU group 20 with 0000:01:00.0 but is not in the request: give the whole group to the guest",
    ]);
  });

  it("a GPU still on nvidia: refused before the machine starts, with every reason", async () => {
    await assert.rejects(assertPassthroughReady(["0000:03:00.0", "0000:03:00.1"], sysfs), (error: unknown) => {
      assert.ok(error instanceof VfioNotReadyError);
      assert.match(error.message, /GPU passthrough is not ready/);
      assert.ok(error.check.reasons.some((r) => r.startsWith("0000:03:00.0 is bound to nvidia")));
      assert.ok(error.check.reasons.some((r) => r.startsWith("0000:03:00.1 is bound to snd_hda_intel")));
      assert.ok(error.check.reasons.some((r) => r.includes("/vfio/22 does not exist")));
      return true;
    });
  });
});
