/** nvidia-smi: the exact query, parsing of recorded output, a missing binary, failures. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  NVIDIA_SMI_ARGS,
  NVIDIA_SMI_FIELDS,
  NvidiaSmiError,
  normalizePciAddress,
  parseField,
  parseNvidiaSmiCsv,
  parseNvidiaSmiLine,
  queryGpus,
} from "../../../packages/agent/src/gpu/index.js";
import { fixture, smiEnv, tempDir, writeFakeNvidiaSmi } from "./fakes.js";

let dir: { path: string; remove: () => Promise<void> };
let smi: string;

before(async () => {
  dir = await tempDir("smi");
  smi = await writeFakeNvidiaSmi(dir.path);
});
after(async () => dir.remove());

describe("the nvidia-smi query", () => {
  it("asks for exactly the documented fields, as CSV without header or units", async () => {
    const argsFile = join(dir.path, "args.txt");
    await queryGpus({ binary: smi, env: smiEnv(dir.path, "nvidia-smi-empty.csv", { FAKE_NVIDIA_SMI_ARGS: argsFile }) });
    const args = (await readFile(argsFile, "utf8")).trim().split("\n");
    assert.deepEqual(args, [
      "--query-gpu=index,pci.bus_id,uuid,name,memory.total,memory.used,utilization.gpu,utilization.memory,temperature.gpu,ecc.errors.uncorrected.volatile.total,power.draw",
      "--format=csv,noheader,nounits",
    ]);
    assert.deepEqual(args, [...NVIDIA_SMI_ARGS]);
    assert.equal(NVIDIA_SMI_FIELDS.length, 11);
  });

  it("finds nvidia-smi on PATH by default", async () => {
    const readings = await queryGpus({ env: smiEnv(dir.path, "nvidia-smi-2xa800.csv") });
    assert.equal(readings.length, 2);
  });
});

describe("parsing recorded output", () => {
  it("an 8×RTX 4090 host: every row, sysfs addresses, [N/A] as null", async () => {
    const readings = await queryGpus({ binary: smi, env: smiEnv(dir.path, "nvidia-smi-8x4090.csv") });
    assert.equal(readings.length, 8);
    assert.deepEqual(
      readings.map((r) => r.pciAddress),
      ["0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0", "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"],
    );
    assert.deepEqual(readings[0], {
      index: 0,
      pciAddress: "0000:18:00.0",
      uuid: "GPU-3f9a1c52-7d4e-8b21-c6a0-5e2f19d8b734",
      name: "NVIDIA GeForce RTX 4090",
      memoryTotalMb: 24564,
      memoryUsedMb: 22318,
      utilGpu: 98,
      utilMemory: 71,
      temperatureC: 67,
      eccUncorrected: 0,
      powerW: 418.27,
    });
    const na = readings[5];
    assert.ok(na);
    assert.equal(na.eccUncorrected, null);
    assert.equal(na.powerW, null);
    assert.equal(na.temperatureC, 33);
    assert.deepEqual(
      readings.map((r) => r.index),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
  });

  it("a 2×A800 host", async () => {
    const readings = await queryGpus({ binary: smi, env: smiEnv(dir.path, "nvidia-smi-2xa800.csv") });
    assert.deepEqual(
      readings.map((r) => [r.pciAddress, r.name, r.memoryTotalMb, r.memoryUsedMb, r.powerW]),
      [
        ["0000:4f:00.0", "NVIDIA A800-SXM4-80GB", 81920, 73214, 312.44],
        ["0000:52:00.0", "NVIDIA A800-SXM4-80GB", 81920, 4, 61.08],
      ],
    );
  });

  it("an RTX 4090 48G", async () => {
    const [reading, ...rest] = await queryGpus({ binary: smi, env: smiEnv(dir.path, "nvidia-smi-4090-48g.csv") });
    assert.equal(rest.length, 0);
    assert.equal(reading?.memoryTotalMb, 49140);
    assert.equal(reading?.eccUncorrected, null);
    assert.equal(reading?.pciAddress, "0000:01:00.0");
  });

  it("empty output: no GPUs", async () => {
    assert.deepEqual(await queryGpus({ binary: smi, env: smiEnv(dir.path, "nvidia-smi-empty.csv") }), []);
  });

  it("every no-value marker is null; fields are trimmed", () => {
    for (const marker of ["[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", " [N/A] ", "", "   "]) {
      assert.equal(parseField(marker), null, marker);
    }
    assert.equal(parseField("  NVIDIA H20 "), "NVIDIA H20");
    const line = "3, 00000000:3B:00.0, GPU-x, NVIDIA H20, 97871, [Not Supported], [Unknown Error], N/A, 41, [N/A], 88.5";
    const reading = parseNvidiaSmiLine(line);
    assert.ok(reading);
    assert.equal(reading.memoryUsedMb, null);
    assert.equal(reading.utilGpu, null);
    assert.equal(reading.utilMemory, null);
    assert.equal(reading.temperatureC, 41);
    assert.equal(reading.powerW, 88.5);
  });

  it("a name with a comma stays one field; short or unreadable rows are rejected", () => {
    const reading = parseNvidiaSmiLine("0, 00000000:01:00.0, GPU-y, Some GPU, Rev. B, 16384, 0, 0, 0, 30, 0, 20");
    assert.equal(reading?.name, "Some GPU, Rev. B");
    assert.equal(reading?.memoryTotalMb, 16384);
    const { readings, rejected } = parseNvidiaSmiCsv(
      ["0, 00000000:01:00.0, GPU-y", "x, 00000000:01:00.0, GPU-y, N, 1, 0, 0, 0, 30, 0, 20", "0, nonsense, GPU-y, N, 1, 0, 0, 0, 30, 0, 20", ""].join("\n"),
    );
    assert.equal(readings.length, 0);
    assert.equal(rejected.length, 3);
  });

  it("PCI addresses: nvidia-smi's 8-digit domain, Xid's missing function, VMD domains", () => {
    assert.equal(normalizePciAddress("00000000:01:00.0"), "0000:01:00.0");
    assert.equal(normalizePciAddress("00000000:3B:00.0"), "0000:3b:00.0");
    assert.equal(normalizePciAddress("PCI:0000:3b:00"), "0000:3b:00.0");
    assert.equal(normalizePciAddress("3b:00.1"), "0000:3b:00.1");
    assert.equal(normalizePciAddress("00010000:01:00.0"), "10000:01:00.0");
    assert.throws(() => normalizePciAddress("0000:01:00.8"), /not a PCI address/);
  });
});

describe("failures", () => {
  it("a missing binary means no NVIDIA GPUs", async () => {
    assert.deepEqual(await queryGpus({ binary: join(dir.path, "no-such-nvidia-smi") }), []);
    assert.deepEqual(await queryGpus({ env: { PATH: join(dir.path, "empty-path") } }), []);
  });

  it("a nonzero exit is an NvidiaSmiError naming the code and what it printed", async () => {
    const env = smiEnv(dir.path, "nvidia-smi-empty.csv", {
      FAKE_NVIDIA_SMI_EXIT: "9",
      FAKE_NVIDIA_SMI_STDERR: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    });
    await assert.rejects(queryGpus({ binary: smi, env }), (error: unknown) => {
      assert.ok(error instanceof NvidiaSmiError);
      assert.equal(error.exitCode, 9);
      assert.match(error.message, /exited with code 9: NVIDIA-SMI has failed because it couldn't communicate/);
      assert.deepEqual(error.readings, []);
      return true;
    });
  });

  it("one GPU lost: the error carries the other GPUs' rows", async () => {
    const env = smiEnv(dir.path, "nvidia-smi-8x4090-lost.txt", { FAKE_NVIDIA_SMI_EXIT: "15" });
    await assert.rejects(queryGpus({ binary: smi, env }), (error: unknown) => {
      assert.ok(error instanceof NvidiaSmiError);
      assert.match(error.message, /code 15: Unable to determine the device handle for GPU 0000:5D:00.0/);
      assert.equal(error.readings.length, 7);
      assert.ok(!error.readings.some((r) => r.pciAddress === "0000:5d:00.0"));
      return true;
    });
  });

  it("a line that is not a row, with exit 0, is still an error", async () => {
    await assert.rejects(queryGpus({ binary: smi, env: smiEnv(dir.path, "nvidia-smi-8x4090-lost.txt") }), /not GPU rows: Unable to determine/);
  });

  it("a hung nvidia-smi is killed after the timeout", async () => {
    const started = Date.now();
    await assert.rejects(
      queryGpus({ binary: smi, timeoutMs: 200, env: smiEnv(dir.path, "nvidia-smi-empty.csv", { FAKE_NVIDIA_SMI_SLEEP: "10" }) }),
      (error: unknown) => {
        assert.ok(error instanceof NvidiaSmiError);
        assert.match(error.message, /did not answer within 200 ms/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("a binary that is not executable is an error, not 'no GPUs'", async () => {
    await assert.rejects(queryGpus({ binary: fixture("nvidia-smi-empty.csv") }), /could not be run \(EACCES\)/);
  });
});
