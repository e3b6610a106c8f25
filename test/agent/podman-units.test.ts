/**
 * The podman backend's parts that need no podman: how the registry setting is read, where custom
 * images go, the CDI names of GPUs, how an images folder holding both kinds is read by each backend, and the init every
 * container starts with. The backend itself runs on real containers in `npm run test:podman`.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GpuCdi } from "../../packages/agent/src/backends/podman/cdi.js";
import { ContainerImages } from "../../packages/agent/src/backends/podman/images.js";
import { ContainerMetrics } from "../../packages/agent/src/backends/podman/metrics.js";
import type { PodmanCli } from "../../packages/agent/src/backends/podman/podman-cli.js";
import type { GpuReading } from "../../packages/agent/src/gpu/nvidia-smi.js";
import { installInit } from "../../packages/agent/src/backends/podman/init-script.js";
import { hasSysResource } from "../../packages/agent/src/host-checks.js";
import { Registry } from "../../packages/agent/src/backends/podman/registry.js";
import { ImageStore } from "../../packages/agent/src/backends/qemu/images.js";
import { registryTarget } from "../../scripts/base-image/build.js";

const root = mkdtempSync(join(tmpdir(), "ocs-podman-units-"));
after(() => rmSync(root, { recursive: true, force: true }));
const quiet = { warn: () => undefined };

describe("the registry setting", () => {
  it("reads http:// as plain HTTP, and a bare host (with or without a prefix) as HTTPS", () => {
    const local = new Registry("http://127.0.0.1:5000");
    assert.equal(local.tls, false);
    assert.equal(local.tlsFlag, "--tls-verify=false");
    assert.equal(local.customReference("compshareImage-AbC"), "127.0.0.1:5000/ocs/custom:compshareImage-AbC");
    assert.equal(local.communityReference("compshareImage-AbC"), "127.0.0.1:5000/ocs/community:compshareImage-AbC");
    const remote = new Registry("registry.example.com/team/");
    assert.equal(remote.tls, true);
    assert.equal(remote.customReference("img-1"), "registry.example.com/team/ocs/custom:img-1");
    assert.deepEqual(registryTarget("http://127.0.0.1:5000/"), { host: "127.0.0.1:5000", tls: false });
    assert.deepEqual(registryTarget("registry.example.com"), { host: "registry.example.com", tls: true });
  });
});

describe("an images folder with both kinds", () => {
  const dir = join(root, "images");
  const write = (id: string, body: object) => {
    mkdirSync(join(dir, id), { recursive: true });
    writeFileSync(join(dir, id, "image.json"), JSON.stringify(body));
  };
  write("vm-1", { name: "VM", osName: "Debian", kernel: "vmlinuz", initrd: "initrd.img", disk: "disk.qcow2", cmdline: "", sshUser: "root", sizeGb: 2 });
  write("ct-1", { kind: "container", reference: "127.0.0.1:5000/ocs/base-debian12:latest", name: "Base", osName: "Debian 12", sizeGb: 1 });
  write("broken", { kind: "container" });

  it("QEMU boots the disks and leaves the container images alone", () => {
    const store = new ImageStore(dir);
    assert.deepEqual(
      store.list().map((i) => [i.id, i.kind]),
      [["vm-1", "vm"]],
    );
    assert.equal(store.get("ct-1"), undefined);
  });

  it("podman runs the container images (root by default), and without a registry has no custom ones", async () => {
    const images = new ContainerImages(dir, undefined, quiet);
    const list = await images.list(new AbortController().signal);
    assert.deepEqual(list, [{ id: "ct-1", kind: "container", reference: "127.0.0.1:5000/ocs/base-debian12:latest", name: "Base", osName: "Debian 12", sshUser: "root", sizeGb: 1 }]);
    assert.equal(await images.get("vm-1", new AbortController().signal), undefined);
    assert.equal(await images.get("x", new AbortController().signal), undefined);
  });

  it("a registry that does not answer takes no image away and fails nothing", async () => {
    const images = new ContainerImages(dir, new Registry("http://127.0.0.1:1"), quiet);
    assert.deepEqual(
      (await images.list(new AbortController().signal)).map((i) => i.id),
      ["ct-1"],
    );
  });
});

describe("the container init", () => {
  it("is written once, executable, and writes a boot id and its console line before it runs sshd on port 23", () => {
    const dir = join(root, "init");
    installInit(dir);
    installInit(dir);
    const path = join(dir, "ocs-init");
    assert.equal(statSync(path).mode & 0o777, 0o755);
    const text = readFileSync(path, "utf8");
    assert.match(text, /^#!\/bin\/sh\n/);
    assert.match(text, /\/run\/ocs\/boot-id/);
    assert.match(text, /echo "ocs-boot-id: \$id"/);
    assert.match(text, /exec \/usr\/sbin\/sshd -D -e -p 23 /);
  });
});

describe("the doctor's reading of the agent's capabilities", () => {
  it("finds CAP_SYS_RESOURCE (bit 24) in CapEff, or its absence (podman's default ulimits are then refused)", () => {
    assert.equal(hasSysResource("Name:\tnode\nCapEff:\t000001ffffffffff\n"), true);
    assert.equal(hasSysResource("Name:\tnode\nCapEff:\t000001fffeffffff\n"), false);
    assert.equal(hasSysResource("Name:\tnode\n"), false);
  });
});

describe("the CDI names of a machine's GPUs", () => {
  const uuids = new Map([["0000:01:00.0", "GPU-8c2b1d7e-0000-4000-8000-000000000001"]]);
  it("a real GPU is nvidia.com/gpu=UUID; an emulated one is left out without stand-ins", () => {
    const cdi = new GpuCdi({ stateDir: join(root, "cdi-a"), uuidOf: (pci) => uuids.get(pci) });
    assert.deepEqual(cdi.devices(["0000:01:00.0", "emulated:3"]), ["nvidia.com/gpu=GPU-8c2b1d7e-0000-4000-8000-000000000001"]);
    assert.deepEqual(cdi.devices([]), []);
  });
  it("a real GPU nvidia-smi does not list (no UUID) is an error, never a container without it", () => {
    const cdi = new GpuCdi({ stateDir: join(root, "cdi-b"), uuidOf: (pci) => uuids.get(pci) });
    assert.throws(() => cdi.devices(["0000:02:00.0"]), /GPU 0000:02:00.0: its UUID is unknown/);
  });
  it("with stand-ins, emulated GPU N is device N of this agent's own kind; two agents' kinds and files differ", () => {
    const nodes = join(root, "nodes");
    mkdirSync(nodes, { recursive: true });
    writeFileSync(join(nodes, "nvidia0"), "");
    const specDir = join(root, "cdi-specs");
    const a = new GpuCdi({ stateDir: join(root, "agent-1"), emulatedNodesDir: nodes, specDir });
    const b = new GpuCdi({ stateDir: join(root, "agent-2"), emulatedNodesDir: nodes, specDir });
    assert.deepEqual(a.devices(["emulated:0"]), [`${a.emulatedKind}=0`]);
    assert.notEqual(a.emulatedKind, b.emulatedKind);
    assert.notEqual(a.specFile, b.specFile);
    a.writeEmulatedSpec(1);
    const spec = JSON.parse(readFileSync(a.specFile, "utf8")) as { cdiVersion: string; kind: string };
    assert.deepEqual([spec.cdiVersion, spec.kind], ["0.5.0", a.emulatedKind]);
    assert.throws(() => b.writeEmulatedSpec(2), /nvidia1 does not exist/);
    a.removeEmulatedSpec();
    a.removeEmulatedSpec();
  });
});

describe("container metrics", () => {
  const stats = (cpu: string, mem: string) => ({ run: async () => JSON.stringify([{ cpu_percent: cpu, mem_percent: mem }]) }) as unknown as PodmanCli;
  const reading = (pciAddress: string, util: number, usedMb: number): GpuReading => ({
    index: 0, pciAddress, uuid: "GPU-1", name: "NVIDIA GeForce RTX 4090", memoryTotalMb: 24564, memoryUsedMb: usedMb, utilGpu: util, utilMemory: null, temperatureC: 60, eccUncorrected: null, powerW: 300,
  });

  it("samples podman's CPU and memory, and the latest nvidia-smi row of each of its real GPUs; an emulated GPU has no series", async () => {
    const m = new ContainerMetrics();
    const rows = new Map([["0000:18:00.0", reading("0000:18:00.0", 98, 12282)]]);
    await m.sample(stats("12.5%", "40%"), "c-1", "ocs-c-1", new AbortController().signal, ["0000:18:00.0", "emulated:0"], (pci) => rows.get(pci));
    const series = m.series("c-1", 60);
    assert.deepEqual([series.cpu.map((p) => p.v), series.memory.map((p) => p.v)], [[12.5], [40]]);
    assert.deepEqual(
      series.gpus.map((g) => [g.device, g.util.map((p) => p.v), g.memory.map((p) => p.v)]),
      [["0000:18:00.0", [98], [50]]],
    );
    // Without GPUs (no-GPU mode, or none given): CPU and memory only.
    await m.sample(stats("1%", "2%"), "c-2", "ocs-c-2", new AbortController().signal);
    assert.deepEqual(m.series("c-2", 60).gpus, []);
  });
});
