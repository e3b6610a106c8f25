/**
 * The QEMU backend's pure parts, without booting anything: the QEMU command line built from a
 * spec, the guest's addresses as its agent lists them, and the per-machine action queue
 * (joining, cutting short, giving up); and the guest image's kernel, unpacked for a PVH boot.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { MachineSpec } from "@opencompshare/protocol";
import { Abandoned, MachineQueue, Preempted } from "../../packages/agent/src/backends/common/machine-queue.js";
import { diskNodeName, qemuArgs, type LaunchInput } from "../../packages/agent/src/backends/qemu/command-line.js";
import { guestIpv4 } from "../../packages/agent/src/backends/qemu/guest-agent.js";
import { hasPvhEntry } from "../../scripts/guest-image/elf.js";
import { guestImage } from "./helpers.js";

const SPEC: MachineSpec = { cpu: 8, memory: 32768, gpu: 2, gpuType: "4090", imageId: "img", diskGb: 50, gpuDevices: ["0000:01:00.0", "0000:02:00.0"] };

function input(over: Partial<LaunchInput> = {}): LaunchInput {
  return {
    id: "vm-1",
    spec: SPEC,
    image: { id: "img", kind: "vm", name: "img", osName: "x", kernel: "/i/vmlinuz", initrd: "/i/initrd.img", disk: "/i/disk.qcow2", cmdline: "quiet", sshUser: "root", sizeGb: 2 },
    accel: "kvm",
    files: { bootDisk: "/s/boot.qcow2", qmpSocket: "/s/qmp.sock", qgaSocket: "/s/qga.sock", serialLog: "/s/serial.log", pidfile: "/s/qemu.pid" },
    sshBind: "127.0.0.1",
    sshPort: 40022,
    dataDisks: [{ id: "disk-1", sizeGb: 10, path: "/d/disk-1.qcow2" }],
    ...over,
  };
}

/** The value following `flag` each time it appears. */
const values = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] as string] : []));

describe("qemu command line", () => {
  it("has the accelerator, size, direct kernel boot, disks, network, agent channel, serial, QMP and daemon options", () => {
    const args = qemuArgs(input());
    assert.deepEqual(values(args, "-accel"), ["kvm"]);
    assert.deepEqual(values(args, "-smp"), ["8"]);
    assert.deepEqual(values(args, "-m"), ["32768M"]);
    assert.deepEqual(values(args, "-kernel"), ["/i/vmlinuz"]);
    assert.deepEqual(values(args, "-append"), ["console=ttyS0 root=/dev/vda rw quiet"]);
    const devices = values(args, "-device");
    assert.ok(devices.includes("virtio-blk-pci,drive=boot0,id=bootdisk"), "a direct kernel boot has boot index 0 already");
    assert.ok(devices.some((d) => d.startsWith(`virtio-blk-pci,drive=${diskNodeName("disk-1")},`) && d.includes("serial=disk-1")));
    assert.ok(devices.includes("vfio-pci,host=0000:01:00.0") && devices.includes("vfio-pci,host=0000:02:00.0"));
    assert.ok(devices.includes("virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0"));
    assert.ok(values(args, "-netdev")[0]?.includes("hostfwd=tcp:127.0.0.1:40022-:22"));
    assert.ok(values(args, "-chardev").includes("file,id=serial0,path=/s/serial.log,append=on"));
    assert.ok(values(args, "-chardev").includes("socket,id=qmp0,path=/s/qmp.sock,server=on,wait=off"));
    assert.ok(args.includes("-daemonize"));
    assert.deepEqual(values(args, "-pidfile"), ["/s/qemu.pid"]);
    assert.ok(!args.includes("-no-shutdown"), "the fake reboot sets the shutdown action at run time instead");
  });

  it("without GPUs: the no-GPU CPU and memory, and no vfio-pci", () => {
    const args = qemuArgs(input({ spec: { ...SPEC, withoutGpu: { cpu: 2, memory: 4096 } } }));
    assert.deepEqual(values(args, "-smp"), ["2"]);
    assert.deepEqual(values(args, "-m"), ["4096M"]);
    assert.ok(!values(args, "-device").some((d) => d.startsWith("vfio-pci")));
  });

  it("emulated GPUs (no PCI function): placed, never passed through, so TCG runs the machine", () => {
    const args = qemuArgs(input({ accel: "tcg", spec: { ...SPEC, gpuDevices: ["emulated:0", "emulated:1"] } }));
    assert.ok(!values(args, "-device").some((d) => d.startsWith("vfio-pci")));
  });

  it("TCG: emulated CPU; GPU passthrough is refused; commas in paths are escaped", () => {
    const args = qemuArgs(input({ accel: "tcg", spec: { ...SPEC, gpuDevices: [] }, files: { ...input().files, serialLog: "/s/a,b.log" } }));
    assert.deepEqual(values(args, "-accel"), ["tcg"]);
    assert.deepEqual(values(args, "-cpu"), ["max"]);
    assert.ok(values(args, "-chardev").includes("file,id=serial0,path=/s/a,,b.log,append=on"));
    assert.throws(() => qemuArgs(input({ accel: "tcg" })), /kvm/);
  });

  it("an image without a kernel boots from its disk's own bootloader: no -kernel, -initrd or -append", () => {
    const args = qemuArgs(input({ image: { ...input().image, kernel: "", initrd: "" } }));
    for (const flag of ["-kernel", "-initrd", "-append"]) assert.ok(!args.includes(flag), flag);
    assert.ok(values(args, "-device").includes("virtio-blk-pci,drive=boot0,id=bootdisk,bootindex=0"));
  });

  it("on a bridge: a tap on it through qemu-bridge-helper, and no forwarded port", () => {
    const args = qemuArgs(input({ bridge: "br0" }));
    assert.deepEqual(values(args, "-netdev"), ["bridge,id=net0,br=br0"]);
    assert.ok(!args.some((a) => a.includes("hostfwd")));
  });
});

describe("the guest's addresses from guest-network-get-interfaces", () => {
  it("lists IPv4 addresses of real interfaces, without loopback, link-local or IPv6", () => {
    // As qemu-ga 7.2 answers in the guest image under user-mode networking (plus a second NIC).
    const ifaces = [
      { name: "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{ "ip-address-type": "ipv4" as const, "ip-address": "127.0.0.1", prefix: 8 }, { "ip-address-type": "ipv6" as const, "ip-address": "::1", prefix: 128 }] },
      { name: "eth0", "hardware-address": "52:54:00:e2:9f:ad", "ip-addresses": [{ "ip-address-type": "ipv4" as const, "ip-address": "10.0.2.15", prefix: 24 }, { "ip-address-type": "ipv6" as const, "ip-address": "fec0::5054:ff:fee2:9fad", prefix: 64 }] },
      { name: "eth1", "hardware-address": "52:54:00:00:00:02", "ip-addresses": [{ "ip-address-type": "ipv4" as const, "ip-address": "169.254.3.4", prefix: 16 }] },
      { name: "eth2", "hardware-address": "52:54:00:00:00:03" },
    ];
    assert.deepEqual(guestIpv4(ifaces), ["10.0.2.15"]);
    assert.deepEqual(guestIpv4([]), []);
  });
});

/** A controllable piece of work for the action queue. */
function work(): { run: (signal: AbortSignal) => Promise<void>; started: () => number; finish: () => void; aborted: () => unknown } {
  let starts = 0;
  let release: () => void = () => undefined;
  let reason: unknown;
  return {
    run: (signal) =>
      new Promise<void>((resolve, reject) => {
        starts++;
        release = resolve;
        signal.addEventListener("abort", () => {
          reason = signal.reason;
          reject(signal.reason);
        });
      }),
    started: () => starts,
    finish: () => release(),
    aborted: () => reason,
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe("machine action queue", () => {
  it("a call of the action in flight joins it: one run, both callers resolve", async () => {
    const q = new MachineQueue();
    const w = work();
    const a = q.run({ key: "boot", shownAs: "starting", work: w.run }, new AbortController().signal);
    const b = q.run({ key: "boot", work: w.run }, new AbortController().signal);
    await tick();
    assert.equal(q.shownAs(), "starting");
    w.finish();
    await Promise.all([a, b]);
    assert.equal(w.started(), 1);
    assert.ok(q.idle());
  });

  it("different actions run one after the other", async () => {
    const q = new MachineQueue();
    const w1 = work();
    const w2 = work();
    const a = q.run({ key: "one", work: w1.run }, new AbortController().signal);
    const b = q.run({ key: "two", work: w2.run }, new AbortController().signal);
    await tick();
    assert.equal(w2.started(), 0, "the second waits for the first");
    w1.finish();
    await a;
    await tick();
    assert.equal(w2.started(), 1);
    w2.finish();
    await b;
  });

  it("a hard action cuts a soft one short; the soft callers wait for it, then check their postcondition", async () => {
    const q = new MachineQueue();
    const soft = work();
    const hard = work();
    let checked = false;
    const s = q.run({ key: "reboot-soft", work: soft.run, afterPreempt: async () => void (checked = true) }, new AbortController().signal);
    await tick();
    const h = q.run({ key: "reboot-hard", preempts: ["reboot-soft"], work: hard.run }, new AbortController().signal);
    await tick();
    assert.ok(soft.aborted() instanceof Preempted);
    assert.equal(hard.started(), 1);
    hard.finish();
    await Promise.all([s, h]);
    assert.ok(checked);
  });

  it("when every caller gives up, the action's wait is cancelled; a caller who gives up is rejected at once", async () => {
    const q = new MachineQueue();
    const w = work();
    const ac = new AbortController();
    const a = q.run({ key: "off-soft", work: w.run }, ac.signal);
    await tick();
    ac.abort(new Error("soft timeout"));
    await assert.rejects(a, /soft timeout/);
    await tick();
    assert.ok(w.aborted() instanceof Abandoned);
    assert.ok(q.idle());
  });

  it("an action kept when abandoned goes on", async () => {
    const q = new MachineQueue();
    const w = work();
    const ac = new AbortController();
    const a = q.run({ key: "off-hard", keepWhenAbandoned: true, work: w.run }, ac.signal);
    await tick();
    ac.abort(new Error("gave up"));
    await assert.rejects(a);
    assert.equal(w.aborted(), undefined);
    w.finish();
    await q.settled(new AbortController().signal);
  });
});

describe("the guest image's kernel", () => {
  it("is Debian's kernel unpacked to an ELF with a PVH entry point (no decompression at each boot)", async () => {
    const { folder } = await guestImage();
    const image = JSON.parse(readFileSync(join(folder, "image.json"), "utf8")) as { kernel: string };
    assert.equal(image.kernel, "vmlinux");
    const kernel = join(folder, image.kernel);
    assert.equal(readFileSync(kernel).readUInt32BE(0), 0x7f454c46, "an ELF file");
    assert.equal(hasPvhEntry(kernel), true);
    // An ELF without the note (node itself) has none.
    assert.equal(hasPvhEntry(process.execPath), false);
  });
});
