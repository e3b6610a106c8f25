/**
 * The driver conformance suite (test/conformance/driver-suite.ts) on real QEMU guests under TCG:
 * every Driver postcondition, through the agent's executor and fence store, on the QEMU backend,
 * in wall-clock time. Each test gets a fresh host state; its guests are killed after it.
 *
 * The suite's machine spec is sold-size (16 vCPUs, 64 GB, a 50 GB disk): as on a test host with
 * emulated GPUs, guests get at most 1 vCPU and 384 MB, and disks are a twenty-fifth of their size
 * (50 GB → 2 GB), so that a custom image copies in seconds.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FenceStore, QemuBackend } from "@opencompshare/agent";
import type { MachineSpec } from "@opencompshare/protocol";
import type { Driver, DriverCall } from "@opencompshare/server";
import { describeDriverConformance, realTime } from "../conformance/driver-suite.js";
import { executorDriver } from "./executor-driver.js";
import { guestImage, killQemusUnder } from "./helpers.js";

/** The image ids the suite uses, each a copy of the guest image's image.json. */
const SUITE_IMAGES = ["compshareImage-ubuntu2204", "compshareImage-other"];
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let built: Promise<{ folder: string }> | undefined;

/** An images folder holding the guest image under the ids the suite names. */
function suiteImages(root: string, folder: string): string {
  const dir = join(root, "images");
  const image = JSON.parse(readFileSync(join(folder, "image.json"), "utf8")) as Record<string, unknown>;
  for (const id of SUITE_IMAGES) {
    mkdirSync(join(dir, id), { recursive: true });
    const abs = (key: string) => join(folder, String(image[key]));
    writeFileSync(join(dir, id, "image.json"), JSON.stringify({ ...image, id, name: id, kernel: abs("kernel"), initrd: abs("initrd"), disk: abs("disk") }));
  }
  return dir;
}

/** A test box: the spec's disks a twenty-fifth of their size (CPU and memory are capped by the executor). */
function testBoxDriver(driver: Driver): Driver {
  const small = (spec: MachineSpec): MachineSpec => ({ ...spec, diskGb: Math.max(1, Math.ceil(spec.diskGb / 25)) });
  return {
    ...driver,
    provision: (id: string, spec: MachineSpec, call: DriverCall) => driver.provision(id, small(spec), call),
    resize: (id: string, spec: MachineSpec, call: DriverCall) => driver.resize(id, small(spec), call),
  };
}

describeDriverConformance("QEMU backend through the agent's executor (real guests, TCG)", async () => {
  built ??= guestImage();
  const { folder } = await built;
  const root = mkdtempSync(join(tmpdir(), "ocs-qemu-conformance-"));
  const stateDir = join(root, "state");
  const backend = new QemuBackend({ stateDir, imagesDir: suiteImages(root, folder), accel: "tcg", log: quiet, imageCopyRate: 256 * 1024 * 1024 });
  const driver = testBoxDriver(executorDriver({ backend, fences: new FenceStore(stateDir), guestMax: { cpus: 1, memory: 384 } }));
  return {
    driver,
    // Boots under TCG take seconds; a call counts as stuck after 5 minutes.
    time: realTime({ runMs: 300_000, quickMs: 15_000, passCapMs: 1000 }),
    async close() {
      await backend.close();
      killQemusUnder(root);
      rmSync(root, { recursive: true, force: true });
    },
  };
});
