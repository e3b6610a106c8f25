/** gpuHealth: the pure rules, one by one. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gpuHealth, parseXidLine, type GpuReading, type XidEvent } from "../../../packages/agent/src/gpu/index.js";

const reading: GpuReading = {
  index: 0,
  pciAddress: "0000:01:00.0",
  uuid: "GPU-2e7c91b5-a04f-6d38-c1e9-8f3b0d5a74e6",
  name: "NVIDIA GeForce RTX 4090",
  memoryTotalMb: 24564,
  memoryUsedMb: 1200,
  utilGpu: 35,
  utilMemory: 10,
  temperatureC: 55,
  eccUncorrected: null,
  powerW: 180.5,
};

function xid(code: number, message = "something"): XidEvent {
  const event = parseXidLine(`NVRM: Xid (PCI:0000:01:00): ${code}, ${message}`);
  assert.ok(event);
  return event;
}

const base = { pciAddress: "0000:01:00.0", reading, expectedInNvidiaSmi: true, xids: [] as XidEvent[] };

describe("gpuHealth", () => {
  it("a GPU with a normal reading and no Xids is healthy, and reports its numbers", () => {
    assert.deepEqual(gpuHealth(base), {
      pciAddress: "0000:01:00.0",
      healthy: true,
      reasons: [],
      temperatureC: 55,
      utilGpu: 35,
      memoryUsedMb: 1200,
      memoryTotalMb: 24564,
      eccUncorrected: null,
      xids: [],
    });
  });

  it("Xid 79 makes it unhealthy: fallen off the bus", () => {
    const h = gpuHealth({ ...base, xids: [xid(79, "GPU has fallen off the bus.")] });
    assert.equal(h.healthy, false);
    assert.equal(h.reasons.length, 1);
    assert.match(h.reasons[0] ?? "", /^Xid 79: GPU has fallen off the bus: .*host needs a reset \(driver: "GPU has fallen off the bus\."\)$/);
    assert.deepEqual(h.xids, [79]);
  });

  it("Xid 48 makes it unhealthy: double-bit ECC", () => {
    const h = gpuHealth({ ...base, xids: [xid(48)] });
    assert.equal(h.healthy, false);
    assert.match(h.reasons[0] ?? "", /^Xid 48: double-bit ECC error/);
  });

  it("Xid 13 (an application's fault) leaves it healthy, but is reported", () => {
    const h = gpuHealth({ ...base, xids: [xid(13), xid(31), xid(13)] });
    assert.equal(h.healthy, true);
    assert.deepEqual(h.xids, [13, 31]);
  });

  it("a fatal code repeated is one reason", () => {
    const h = gpuHealth({ ...base, xids: [xid(79), xid(79), xid(13), xid(48)] });
    assert.equal(h.reasons.length, 2);
    assert.deepEqual(h.xids, [79, 13, 48]);
  });

  it("uncorrected ECC above 0 is unhealthy; 0 and null are not", () => {
    assert.equal(gpuHealth({ ...base, reading: { ...reading, eccUncorrected: 0 } }).healthy, true);
    const h = gpuHealth({ ...base, reading: { ...reading, eccUncorrected: 2 } });
    assert.equal(h.healthy, false);
    assert.deepEqual(h.reasons, ["2 uncorrected ECC error(s) since the driver loaded"]);
    assert.equal(h.eccUncorrected, 2);
  });

  it("temperature at or above the limit (default 90 °C) is unhealthy", () => {
    assert.equal(gpuHealth({ ...base, reading: { ...reading, temperatureC: 89 } }).healthy, true);
    const hot = gpuHealth({ ...base, reading: { ...reading, temperatureC: 90 } });
    assert.equal(hot.healthy, false);
    assert.match(hot.reasons[0] ?? "", /temperature 90 °C is at or above the limit of 90 °C/);
    assert.equal(gpuHealth({ ...base, reading: { ...reading, temperatureC: 85 } }, { temperatureLimitC: 85 }).healthy, false);
    assert.equal(gpuHealth({ ...base, reading: { ...reading, temperatureC: null } }).healthy, true);
  });

  it("missing from nvidia-smi while expected there: fallen off the bus", () => {
    const h = gpuHealth({ ...base, reading: null, memoryTotalMb: 24564 });
    assert.equal(h.healthy, false);
    assert.deepEqual(h.reasons, ["fallen off the bus: the GPU is in the inventory but nvidia-smi no longer lists it"]);
    assert.equal(h.memoryTotalMb, 24564, "the inventory's size when there is no reading");
    assert.equal(h.temperatureC, null);
  });

  it("missing because nvidia-smi failed: says so", () => {
    const h = gpuHealth({ ...base, reading: null, nvidiaSmiError: "nvidia-smi exited with code 9: NVIDIA-SMI has failed" });
    assert.match(h.reasons[0] ?? "", /nvidia-smi failed: nvidia-smi exited with code 9/);
  });

  it("missing but bound to vfio-pci (not expected in nvidia-smi): healthy", () => {
    assert.equal(gpuHealth({ ...base, reading: null, expectedInNvidiaSmi: false }).healthy, true);
  });

  it("every reason at once", () => {
    const h = gpuHealth({ ...base, reading: { ...reading, eccUncorrected: 1, temperatureC: 95 }, xids: [xid(94)] });
    assert.equal(h.reasons.length, 3);
  });
});
