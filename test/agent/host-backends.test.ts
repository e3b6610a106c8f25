/**
 * HostBackends: one host offering two backends (VMs and containers) as one. A new machine goes to
 * the backend that has its image, every later call to the backend that holds the machine (also
 * for a HostBackends made fresh, as after an agent restart), a custom image's build to the
 * backend its snapshot went to, and a disk call to the backend that holds the disk.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HostBackends } from "@opencompshare/agent";
import type { MachineSpec } from "@opencompshare/protocol";
import { MemoryBackend } from "./support/memory-backend.js";

const signal = new AbortController().signal;
const spec = (imageId: string): MachineSpec => ({ cpu: 2, memory: 2048, gpu: 0, gpuType: "", imageId, diskGb: 20 });

function host(): { vms: MemoryBackend; containers: MemoryBackend; both: HostBackends } {
  const vms = new MemoryBackend(1);
  const containers = new MemoryBackend(1);
  containers.images_.splice(0, 1, { ...(vms.images_[0] as (typeof vms.images_)[number]), id: "compshareImage-debian12-base" });
  return { vms, containers, both: new HostBackends([vms, containers]) };
}

describe("HostBackends", () => {
  it("lists every backend's images and machines, and places a new machine where its image is", async () => {
    const { vms, containers, both } = host();
    assert.deepEqual(
      (await both.images(signal)).map((i) => i.id),
      ["compshareImage-ubuntu2204", "compshareImage-debian12-base"],
    );
    await both.provision("vm-1", spec("compshareImage-ubuntu2204"), signal);
    await both.provision("ct-1", spec("compshareImage-debian12-base"), signal);
    assert.deepEqual(await vms.machines(), ["vm-1"]);
    assert.deepEqual(await containers.machines(), ["ct-1"]);
    assert.deepEqual((await both.machines(signal)).sort(), ["ct-1", "vm-1"]);
    await assert.rejects(both.provision("x-1", spec("compshareImage-nowhere"), signal), /not on this host/);
  });

  it("sends each call to the backend that holds the machine, also when made fresh (an agent restart)", async () => {
    const { vms, containers, both } = host();
    await both.provision("ct-1", spec("compshareImage-debian12-base"), signal);
    const fresh = new HostBackends([vms, containers]);
    await fresh.powerOn("ct-1", signal);
    assert.equal((await fresh.status("ct-1", signal)).power, "running");
    const r = await fresh.reboot("ct-1", "soft", 1, signal);
    assert.equal(r.alreadyBooted, false);
    assert.equal((await containers.status("ct-1")).bootCount, 2);
    assert.equal(vms.calls.get("powerOn"), undefined, "the VM backend was never asked");
    assert.equal((await fresh.status("nobody", signal)).power, "absent");
    await fresh.destroy("nobody", signal);
  });

  it("builds a custom image on the backend of its machine, and deletes it there (idempotently)", async () => {
    const { vms, containers, both } = host();
    await both.provision("ct-1", spec("compshareImage-debian12-base"), signal);
    await both.snapshot("ct-1", "img-1", signal);
    await both.buildImage("img-1", signal);
    assert.equal(containers.calls.get("buildImage"), 1);
    assert.equal(await both.hasImage("img-1", signal), true);
    await both.deleteImage("img-1", signal);
    await both.deleteImage("img-1", signal);
    assert.equal(containers.calls.get("deleteImage"), 1);
    assert.equal(vms.calls.get("deleteImage"), undefined);
  });

  it("sends a disk call to the backend that holds the disk", async () => {
    const { vms, containers, both } = host();
    await both.provision("vm-1", { ...spec("compshareImage-ubuntu2204"), dataDisks: [{ id: "disk-1", sizeGb: 10 }] }, signal);
    assert.equal(await both.hasDisk("disk-1", signal), true);
    await both.deleteDisk("disk-1", signal);
    assert.equal(vms.calls.get("deleteDisk"), 1);
    assert.equal(containers.calls.get("deleteDisk"), undefined);
  });
});
