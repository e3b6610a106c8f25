/**
 * What the conformance suite does not reach, on real containers: data disks (an ext4 file system
 * mounted at /cloud, attached while running, kept on detach, moved to another machine, grown
 * online, never deleted while attached, kept when the machine is destroyed); a password set while
 * stopped, applied at the next start; the console's boot-id lines; a resize applied at the next
 * start; published ports, changed at the next start; a custom image published as a community
 * version that another host runs; and a new backend on the same folders finishing a reboot the
 * previous one left half done.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PodmanBackend } from "@opencompshare/agent";
import type { MachineSpec } from "@opencompshare/protocol";
import { PODMAN_RUN_ARGS, PODMAN_RUNTIME, BASE_IMAGE_ID, podman, podmanWorld, removeStorage, type PodmanWorld } from "./helpers.js";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SPEC: MachineSpec = { cpu: 1, memory: 512, gpu: 0, gpuType: "", imageId: BASE_IMAGE_ID, diskGb: 20 };
const never = () => new AbortController().signal;

describe("the podman backend on real containers", { timeout: 15 * 60_000 }, () => {
  let world: PodmanWorld;
  let stateDir = "";
  let backend: PodmanBackend;
  const make = () => new PodmanBackend({ stateDir, imagesDir: world.imagesDir, registry: world.registry.url, runtime: PODMAN_RUNTIME, runArgs: PODMAN_RUN_ARGS, log: quiet });
  const sh = (id: string, script: string) => backend.exec(id, ["sh", "-c", script], never()).then((o) => o.trim());

  before(async () => {
    world = await podmanWorld();
    stateDir = mkdtempSync(join(world.root, "state-"));
    backend = make();
  });
  after(async () => {
    await backend.close();
    await removeStorage(join(stateDir, "podman"));
    await world.close();
  });

  it("a data disk: mounted at /cloud while running, kept on detach, moved to another machine, grown", async () => {
    await backend.provision("disk-a", { ...SPEC, dataDisks: [{ id: "disk-1", sizeGb: 1 }] }, never());
    await backend.powerOn("disk-a", never());
    assert.match(await sh("disk-a", "df -P /cloud | tail -1"), /^\/dev\/loop\d+\s+\d+/);
    await sh("disk-a", "echo kept > /cloud/f");
    await backend.provision("disk-b", SPEC, never());
    await backend.powerOn("disk-b", never());
    await assert.rejects(backend.attachDisk("disk-b", { id: "disk-1", sizeGb: 1 }, never()), /attached to disk-a: detach it first/);
    await assert.rejects(backend.detachDisk("disk-a", "disk-1", never()), /running: detaching a data disk needs it stopped/);
    await backend.powerOff("disk-a", "hard", never());
    await assert.rejects(backend.deleteDisk("disk-1", never()), /attached to disk-a/);
    await backend.detachDisk("disk-a", "disk-1", never());
    assert.equal(await backend.hasDisk("disk-1", never()), true, "kept on detach");
    // Attached to a running machine: it appears inside without a restart.
    await backend.attachDisk("disk-b", { id: "disk-1", sizeGb: 1 }, never());
    assert.equal(await sh("disk-b", "cat /cloud/f"), "kept");
    const before = Number((await sh("disk-b", "df -Pk /cloud | tail -1")).split(/\s+/)[1]);
    await backend.resizeDisk("disk-1", 2, never());
    // Online where the agent may resize a mounted file system (CAP_SYS_RESOURCE); at the latest, from the next start.
    await backend.powerOff("disk-b", "soft", never());
    await backend.powerOn("disk-b", never());
    const grown = Number((await sh("disk-b", "df -Pk /cloud | tail -1")).split(/\s+/)[1]);
    assert.ok(grown > before * 1.5, `grown: ${before} kB, then ${grown} kB`);
    assert.equal(await sh("disk-b", "cat /cloud/f"), "kept");
    await assert.rejects(backend.attachDisk("disk-b", { id: "disk-2", sizeGb: 1 }, never()), /takes one data disk, at \/cloud/);
    // Destroyed: the disk is unmounted and kept, with its files.
    await backend.destroy("disk-b", never());
    assert.equal(existsSync(join(stateDir, "disks", "disk-1.ext4")), true);
    await backend.deleteDisk("disk-1", never());
    assert.equal(await backend.hasDisk("disk-1", never()), false);
    await backend.deleteDisk("disk-1", never());
    await backend.destroy("disk-a", never());
  });

  it("a password set while stopped is root's at the next start; the console has one boot-id line per start; a resize applies at the next start", async () => {
    await backend.provision("pw-a", SPEC, never());
    await backend.resetPassword("pw-a", "Stopped-pass-1", never());
    await backend.powerOn("pw-a", never());
    const shadow = await sh("pw-a", "grep '^root:' /etc/shadow | cut -d: -f2");
    assert.match(shadow, /^\$/, "root has a password hash");
    assert.equal(existsSync(join(stateDir, "containers", "pw-a", "password.pending")), false, "the waiting password is gone once set");
    await backend.powerOff("pw-a", "soft", never());
    await backend.resize("pw-a", { ...SPEC, cpu: 1, memory: 768 }, never());
    await backend.powerOn("pw-a", never());
    const status = await backend.status("pw-a", never());
    const log = await backend.consoleOutput("pw-a", 100_000, never());
    const ids = [...log.matchAll(/ocs-boot-id: ([0-9a-f-]{36})/g)].map((m) => m[1]);
    assert.equal(ids.length, 2);
    assert.equal(ids.at(-1), status.bootId);
    assert.equal(await sh("pw-a", "cat /run/ocs/boot-id"), status.bootId);
    assert.equal((await podman(join(stateDir, "podman"), ["container", "inspect", "--format", "{{.HostConfig.Memory}}", "ocs-pw-a"])).trim(), String(512 * 1024 * 1024), "created with 512 MB");
    assert.equal(await sh("pw-a", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"), String(768 * 1024 * 1024), "runs with 768 MB after the resize");
    await backend.destroy("pw-a", never());
  });

  it("publishes the spec's ports on host ports of their own; a change applies at the next start, and a port kept keeps its host port", async () => {
    await backend.provision("ports-a", { ...SPEC, ports: [8000] }, never());
    await backend.powerOn("ports-a", never());
    const serve = async (port: number) => {
      // A server detached from the exec (setsid), answering with the port it serves.
      await sh("ports-a", `mkdir -p /srv/${port} && echo served-${port} > /srv/${port}/index.html && setsid python3 -m http.server ${port} --directory /srv/${port} >/dev/null 2>&1 < /dev/null &`);
    };
    const fetchFrom = async (hostPort: number): Promise<string> => {
      for (let i = 0; ; i++) {
        try {
          return (await (await fetch(`http://127.0.0.1:${hostPort}/`)).text()).trim();
        } catch (error) {
          if (i > 100) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await serve(8000);
    const first = (await backend.access("ports-a", never()))?.ports ?? [];
    assert.equal(first.length, 1);
    assert.equal(first[0]?.port, 8000);
    const host8000 = first[0]?.hostPort as number;
    assert.notEqual(host8000, (await backend.access("ports-a", never()))?.sshPort);
    assert.equal(await fetchFrom(host8000), "served-8000");

    // Another port: recorded now, published from the next start; 8000 keeps its host port.
    await backend.powerOff("ports-a", "soft", never());
    await backend.resize("ports-a", { ...SPEC, ports: [8000, 8001] }, never());
    await backend.powerOn("ports-a", never());
    const second = (await backend.access("ports-a", never()))?.ports ?? [];
    assert.deepEqual(second.map((p) => p.port), [8000, 8001]);
    assert.equal(second[0]?.hostPort, host8000, "a port kept keeps its host port");
    await serve(8000);
    await serve(8001);
    assert.equal(await fetchFrom(host8000), "served-8000");
    assert.equal(await fetchFrom(second[1]?.hostPort as number), "served-8001");
    // The container was made again with its files: what was written before is there.
    assert.equal(await sh("ports-a", "cat /srv/8000/index.html"), "served-8000");
    await backend.destroy("ports-a", never());
  });

  it("publishes a custom image as a community version: a copy in the registry's community namespace, which another host runs by its own id after the image is deleted", async () => {
    await backend.provision("pub-a", SPEC, never());
    await backend.powerOn("pub-a", never());
    await sh("pub-a", "echo from-the-author > /root/note");
    await backend.snapshot("pub-a", "img-pub", never());
    await backend.buildImage("img-pub", never());
    await backend.publishImage("img-pub", "ver-pub", never());
    // Idempotent: asked again (a resumed operation), the same version.
    await backend.publishImage("img-pub", "ver-pub", never());
    const tags = async (repo: string) => ((await (await fetch(`${world.registry.url}/v2/${repo}/tags/list`)).json()) as { tags: string[] | null }).tags ?? [];
    assert.deepEqual(await tags("ocs/community"), ["ver-pub"]);
    await backend.deleteImage("img-pub", never());
    assert.ok(!(await tags("ocs/custom")).includes("img-pub"), "the custom image is gone");

    // Another host (its own storage) runs the version: pulled from the community namespace.
    const otherDir = mkdtempSync(join(world.root, "state-"));
    const other = new PodmanBackend({ stateDir: otherDir, imagesDir: world.imagesDir, registry: world.registry.url, runtime: PODMAN_RUNTIME, runArgs: PODMAN_RUN_ARGS, log: quiet });
    try {
      assert.equal(await other.hasImage("ver-pub", never()), true);
      await other.provision("pub-b", { ...SPEC, imageId: "ver-pub" }, never());
      await other.powerOn("pub-b", never());
      assert.equal((await other.exec("pub-b", ["cat", "/root/note"], never())).trim(), "from-the-author");
      await other.destroy("pub-b", never());
      await other.deleteImage("ver-pub", never());
      assert.deepEqual(await tags("ocs/community"), []);
    } finally {
      await other.close();
      await removeStorage(join(otherDir, "podman"));
    }
    await assert.rejects(backend.publishImage(BASE_IMAGE_ID, "ver-base", never()), /platform image: only custom images are published/);
    await backend.destroy("pub-a", never());
  });

  it("a new backend on the same folders finishes a reboot the previous one left between the stop and the start", async () => {
    await backend.provision("rb-a", SPEC, never());
    await backend.powerOn("rb-a", never());
    const first = await backend.status("rb-a", never());
    // The previous agent recorded the reboot and stopped the container, then died.
    const record = join(stateDir, "containers", "rb-a", "machine.json");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const rec = JSON.parse(readFileSync(record, "utf8")) as Record<string, unknown>;
    writeFileSync(record, JSON.stringify({ ...rec, pending: { action: "reboot", mode: "soft", fromBootId: first.bootId, startedAt: Date.now() } }));
    await podman(join(stateDir, "podman"), ["kill", "--signal", "KILL", "ocs-rb-a"]);
    await backend.close();
    backend = make();
    const settled = await backend.settle("rb-a", never());
    assert.equal(settled.power, "running");
    assert.equal(settled.bootCount, first.bootCount + 1, "booted once more");
    assert.notEqual(settled.bootId, first.bootId);
    // The reboot command, redelivered from the count it began at, is not done again.
    assert.deepEqual(await backend.reboot("rb-a", "soft", first.bootCount, never()), { alreadyBooted: true });
    assert.equal((await backend.status("rb-a", never())).bootCount, first.bootCount + 1);
    await backend.destroy("rb-a", never());
  });
});
