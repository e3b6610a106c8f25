/**
 * The QEMU command line of a machine, built from its spec: a q35 machine with the accelerator
 * configured, the image's kernel and initramfs booted directly (or the disk's own bootloader),
 * the boot disk and data disks as
 * virtio-blk, user-mode networking forwarding a host port to the guest's SSH (or a tap on a
 * host bridge, where the guest has an address of its own), virtio-serial for
 * the guest agent, the serial console appended to a file, QMP on a unix socket, GPUs passed
 * through with vfio-pci, and `-daemonize` with a pidfile so QEMU outlives the agent.
 */
import { createHash } from "node:crypto";
import type { MachineDisk, MachineSpec } from "@opencompshare/protocol";
import type { BootImage } from "../backend.js";
import { effectiveSize } from "../common/effective-size.js";
import { tryNormalizePciAddress } from "../../gpu/pci.js";

/** Spare PCIe root ports, for data disks hot-plugged while the machine runs. */
export const HOTPLUG_PORTS = 4;

/** Everything the command line of a machine is built from. */
export interface LaunchInput {
  id: string;
  spec: MachineSpec;
  image: BootImage;
  accel: "kvm" | "tcg";
  files: { bootDisk: string; qmpSocket: string; qgaSocket: string; serialLog: string; pidfile: string };
  /** Host address and port forwarded to the guest's port 22 (user-mode networking). */
  sshBind: string;
  sshPort: number;
  /** A Linux bridge to put the guest's NIC on, through qemu-bridge-helper, instead of user-mode networking. */
  bridge?: string;
  /** Data disks in attachment order, with their files. */
  dataDisks: Array<MachineDisk & { path: string }>;
}

/** QEMU's option syntax doubles a comma inside a value. */
const esc = (value: string): string => value.replace(/,/g, ",,");

/** A short, QEMU-valid node or device name for a data disk (ids may be long). */
export function diskNodeName(diskId: string): string {
  return `dd${createHash("sha256").update(diskId).digest("hex").slice(0, 16)}`;
}

/** The device id of a data disk. */
export function diskDeviceId(diskId: string): string {
  return `vd${createHash("sha256").update(diskId).digest("hex").slice(0, 16)}`;
}

/** The id of the i-th PCIe root port. */
export function rootPortId(i: number): string {
  return `rp${i}`;
}

/** A locally administered MAC address, stable for the machine. */
export function macAddress(id: string): string {
  const h = createHash("sha256").update(id).digest();
  return ["52", "54", "00", ...[0, 1, 2].map((i) => (h[i] ?? 0).toString(16).padStart(2, "0"))].join(":");
}

/** The kernel command line: the console and root the backend needs, then the image's own. */
export function kernelCmdline(image: BootImage): string {
  return ["console=ttyS0", "root=/dev/vda", "rw", image.cmdline.trim()].filter(Boolean).join(" ");
}

/**
 * CPU and memory the machine starts with (the no-GPU ones when it starts without GPUs), and the
 * GPUs VFIO passes: PCI functions only. An emulated GPU (`emulated:N`) has no function to pass.
 */
export function guestSize(spec: MachineSpec): { cpu: number; memory: number; gpus: string[] } {
  const size = effectiveSize(spec);
  return { ...size, gpus: size.gpus.filter((d) => tryNormalizePciAddress(d) !== null) };
}

/** The virtio-blk serial of a data disk (QEMU allows 20 bytes); the guest sees it in /sys/block/vdX/serial. */
export function diskSerial(diskId: string): string {
  return diskId.replace(/[^A-Za-z0-9._-]/g, "").slice(0, 20);
}

function blockdev(nodeName: string, path: string): string {
  return JSON.stringify({ driver: "qcow2", "node-name": nodeName, file: { driver: "file", filename: path } });
}

/** The argv (without the binary) that starts the machine. */
export function qemuArgs(input: LaunchInput): string[] {
  const { spec, image, files } = input;
  const size = guestSize(spec);
  if (size.gpus.length > 0 && input.accel !== "kvm") throw new Error("GPU passthrough (vfio-pci) needs accel kvm");
  const args = [
    "-name",
    `guest=${esc(input.id)},debug-threads=on`,
    "-machine",
    "q35",
    "-accel",
    input.accel,
    "-cpu",
    input.accel === "kvm" ? "host" : "max",
    "-smp",
    String(Math.max(1, Math.floor(size.cpu))),
    "-m",
    `${Math.max(64, Math.floor(size.memory))}M`,
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-vga",
    "none",
    "-rtc",
    "base=utc",
    ...(image.kernel ? ["-kernel", image.kernel, ...(image.initrd ? ["-initrd", image.initrd] : []), "-append", kernelCmdline(image)] : []),
    "-blockdev",
    blockdev("boot0", files.bootDisk),
    "-device",
    // A direct kernel boot takes boot index 0 itself; a disk with its own bootloader is first.
    image.kernel ? "virtio-blk-pci,drive=boot0,id=bootdisk" : "virtio-blk-pci,drive=boot0,id=bootdisk,bootindex=0",
  ];
  const ports = input.dataDisks.length + HOTPLUG_PORTS;
  for (let i = 0; i < ports; i++) args.push("-device", `pcie-root-port,id=${rootPortId(i)},chassis=${i + 1},bus=pcie.0`);
  input.dataDisks.forEach((disk, i) => {
    args.push("-blockdev", blockdev(diskNodeName(disk.id), disk.path));
    args.push("-device", `virtio-blk-pci,drive=${diskNodeName(disk.id)},id=${diskDeviceId(disk.id)},bus=${rootPortId(i)},serial=${esc(diskSerial(disk.id))}`);
  });
  args.push(
    "-netdev",
    input.bridge ? `bridge,id=net0,br=${esc(input.bridge)}` : `user,id=net0,hostfwd=tcp:${input.sshBind}:${input.sshPort}-:22`,
    "-device",
    `virtio-net-pci,netdev=net0,mac=${macAddress(input.id)}`,
    "-device",
    "virtio-rng-pci",
    "-device",
    "virtio-serial-pci,id=vser0",
    "-chardev",
    `socket,id=qga0,path=${esc(files.qgaSocket)},server=on,wait=off`,
    "-device",
    "virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0",
    "-chardev",
    `file,id=serial0,path=${esc(files.serialLog)},append=on`,
    "-serial",
    "chardev:serial0",
    "-chardev",
    `socket,id=qmp0,path=${esc(files.qmpSocket)},server=on,wait=off`,
    "-mon",
    "chardev=qmp0,mode=control",
  );
  for (const gpu of size.gpus) args.push("-device", `vfio-pci,host=${esc(gpu)}`);
  args.push("-daemonize", "-pidfile", files.pidfile);
  return args;
}
