/**
 * GPUs reach containers through CDI. No real GPU is here: the host offers emulated GPUs, and the
 * test makes their stand-in device nodes (character devices with /dev/null's and /dev/zero's
 * numbers), so what it checks is the road: the agent's CDI spec, `podman create --device`, and
 * the nodes inside the container, each at /dev/nvidiaN with its stand-in's numbers; and a change
 * of GPUs (no-GPU mode and back) reaching a container podman cannot change, with its files kept.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PodmanBackend } from "@opencompshare/agent";
import type { MachineSpec } from "@opencompshare/protocol";
import { BASE_IMAGE_ID, PODMAN_RUN_ARGS, PODMAN_RUNTIME, podman, podmanWorld, removeStorage, type PodmanWorld } from "./helpers.js";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SPEC: MachineSpec = { cpu: 1, memory: 512, gpu: 1, gpuType: "4090", imageId: BASE_IMAGE_ID, diskGb: 20 };
const never = () => new AbortController().signal;
/** The stand-ins: major 1, minor 3 (null) and 5 (zero). */
const STAND_INS = [
  { name: "nvidia0", minor: 3 },
  { name: "nvidia1", minor: 5 },
];

describe("GPUs of containers through CDI (emulated: stand-in device nodes)", { timeout: 10 * 60_000 }, () => {
  let world: PodmanWorld;
  let stateDir = "";
  let nodes = "";
  let backend: PodmanBackend;
  const sh = (id: string, script: string) => backend.exec(id, ["sh", "-c", script], never()).then((o) => o.trim());

  before(async () => {
    world = await podmanWorld();
    stateDir = mkdtempSync(join(world.root, "gpu-state-"));
    nodes = join(world.root, "gpu-nodes");
    mkdirSync(nodes, { recursive: true });
    for (const n of STAND_INS) execFileSync("mknod", [join(nodes, n.name), "c", "1", String(n.minor)]);
    backend = new PodmanBackend({ stateDir, imagesDir: world.imagesDir, registry: world.registry.url, runtime: PODMAN_RUNTIME, runArgs: PODMAN_RUN_ARGS, log: quiet, emulatedGpus: 2, gpuNodesDir: nodes });
  });
  after(async () => {
    await backend.close();
    await removeStorage(join(stateDir, "podman"));
    await world.close();
  });

  it("writes a CDI spec of the agent's own: one device per stand-in, at /dev/nvidiaN", () => {
    const spec = JSON.parse(readFileSync(backend.cdiSpecFile, "utf8")) as { kind: string; devices: Array<{ name: string; containerEdits: { deviceNodes: Array<{ path: string; hostPath: string }> } }> };
    assert.match(spec.kind, /^emulated\.opencompshare\.org\/gpu-[0-9a-f]{8}$/);
    assert.deepEqual(
      spec.devices.map((d) => [d.name, d.containerEdits.deviceNodes[0]?.path, d.containerEdits.deviceNodes[0]?.hostPath]),
      STAND_INS.map((n, i) => [String(i), `/dev/nvidia${i}`, join(nodes, n.name)]),
    );
  });

  it("the GPU placed on the machine, and only it, is in the container, with its stand-in's numbers", async () => {
    await backend.provision("gpu-one", { ...SPEC, gpuDevices: ["emulated:1"] }, never());
    await backend.powerOn("gpu-one", never());
    assert.equal(await sh("gpu-one", "stat -c '%F %t:%T' /dev/nvidia1"), "character special file 1:5");
    assert.equal(await sh("gpu-one", "test -e /dev/nvidia0 && echo yes || echo no"), "no", "the other GPU is not there");
    // It stays through a reboot (the container keeps its devices).
    await backend.reboot("gpu-one", "soft", 1, never());
    assert.equal(await sh("gpu-one", "stat -c '%t:%T' /dev/nvidia1"), "1:5");
  });

  it("two GPUs reach the container as /dev/nvidia0 and /dev/nvidia1", async () => {
    await backend.provision("gpu-two", { ...SPEC, gpu: 2, gpuDevices: ["emulated:0", "emulated:1"] }, never());
    await backend.powerOn("gpu-two", never());
    assert.equal(await sh("gpu-two", "stat -c '%t:%T' /dev/nvidia0 /dev/nvidia1 | tr '\\n' ' '"), "1:3 1:5");
  });

  it("a machine made in no-GPU mode has no GPU device", async () => {
    await backend.provision("gpu-none", { ...SPEC, gpuDevices: ["emulated:0"], withoutGpu: { cpu: 1, memory: 256 } }, never());
    await backend.powerOn("gpu-none", never());
    assert.equal(await sh("gpu-none", "ls /dev | grep -c '^nvidia' || true"), "0");
  });

  it("GPUs changed by a resize (no-GPU mode and back) apply at the next start; the container's files are kept; destroy leaves no image", async () => {
    const spec = { ...SPEC, gpuDevices: ["emulated:0"] };
    const images = async () => (await podman(join(stateDir, "podman"), ["images", "--all", "--format", "{{.ID}} {{.Repository}}"])).trim().split("\n").filter(Boolean);
    const imagesBefore = await images();
    await backend.provision("gpu-moves", spec, never());
    await backend.powerOn("gpu-moves", never());
    await sh("gpu-moves", "echo mine > /root/kept");
    await backend.powerOff("gpu-moves", "soft", never());
    await backend.resize("gpu-moves", { ...spec, gpu: 0, gpuDevices: [], withoutGpu: { cpu: 1, memory: 256 } }, never());
    await backend.powerOn("gpu-moves", never());
    assert.equal(await sh("gpu-moves", "ls /dev | grep -c '^nvidia' || true; cat /root/kept"), "0\nmine");
    await backend.powerOff("gpu-moves", "hard", never());
    await backend.resize("gpu-moves", spec, never());
    await backend.powerOn("gpu-moves", never());
    assert.equal(await sh("gpu-moves", "stat -c '%t:%T' /dev/nvidia0; cat /root/kept"), "1:3\nmine");
    await backend.destroy("gpu-moves", never());
    assert.deepEqual((await images()).filter((l) => !imagesBefore.includes(l)), [], "no image of its own is left, tagged or not");
  });

  it("closing the backend removes its spec; a missing stand-in is refused when the backend is made", async () => {
    const file = backend.cdiSpecFile;
    for (const id of ["gpu-one", "gpu-two", "gpu-none"]) await backend.destroy(id, never());
    await backend.close();
    assert.equal(existsSync(file), false);
    assert.throws(
      () => new PodmanBackend({ stateDir, imagesDir: world.imagesDir, log: quiet, emulatedGpus: 3, gpuNodesDir: nodes }),
      /stand-in device node .*nvidia2 does not exist/,
    );
    backend = new PodmanBackend({ stateDir, imagesDir: world.imagesDir, registry: world.registry.url, runtime: PODMAN_RUNTIME, runArgs: PODMAN_RUN_ARGS, log: quiet });
  });
});
