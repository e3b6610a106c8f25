/**
 * How a QemuBackend is set up (QemuBackendOptions), and the context its machine runtimes share,
 * built from them with the defaults filled in.
 */
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { ImageStore } from "./images.js";
import { QemuImg } from "./qemu-img.js";
import type { BackendLog } from "../backend.js";
import type { BackendContext } from "./runtime.js";

/** How a QemuBackend is set up. */
export interface QemuBackendOptions {
  /** Machines (`machines/<id>/`) and data disks (`disks/<id>.qcow2`) live here. */
  stateDir: string;
  /** One folder per image, each with an image.json. */
  imagesDir: string;
  /** `kvm` on a host with hardware virtualisation, `tcg` to emulate (tests, nested hosts). */
  accel: "kvm" | "tcg";
  /** Default `qemu-system-x86_64`. */
  qemuBinary?: string;
  /** Default `qemu-img`. */
  qemuImgBinary?: string;
  /** The address access() reports for SSH (default 127.0.0.1; forwards then bind loopback only). */
  sshHost?: string;
  /**
   * A Linux bridge (e.g. `br0`) to put guests on, through qemu-bridge-helper (allowed in
   * /etc/qemu/bridge.conf). Guests then get their address from the bridge's network, access()
   * reports it as the guest agent tells it, with port 22. Unset: user-mode networking.
   */
  bridge?: string;
  log?: BackendLog;
  /** A recorded reboot younger than this is joined by a new call rather than asked again (default 5 min). */
  rejoinWindowMs?: number;
  /** How long a password change waits for the guest agent (default 60 s). */
  agentWaitMs?: number;
  /** Limits the I/O of a custom image copy, bytes/s (QMP drive-backup `speed`, qemu-img convert `-r`); default no limit. */
  imageCopyRate?: number;
}

const SILENT: BackendLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The context every machine runtime shares, from the options; `allocatePort` finds a free host port for SSH. */
export function backendContext(opts: QemuBackendOptions, allocatePort: (bind: string) => Promise<number>): BackendContext {
  const stateDir = resolve(opts.stateDir);
  const sshHost = opts.sshHost ?? "127.0.0.1";
  const loopback = sshHost === "localhost" || sshHost.startsWith("127.") || sshHost === "::1";
  return {
    accel: opts.accel,
    qemuBinary: opts.qemuBinary ?? "qemu-system-x86_64",
    qemuImg: new QemuImg(opts.qemuImgBinary),
    images: new ImageStore(resolve(opts.imagesDir)),
    disksDir: join(stateDir, "disks"),
    sshHost,
    sshBind: loopback ? "127.0.0.1" : isIP(sshHost) === 4 ? sshHost : "0.0.0.0",
    ...(opts.bridge ? { bridge: opts.bridge } : {}),
    log: opts.log ?? SILENT,
    rejoinWindowMs: opts.rejoinWindowMs ?? 5 * 60_000,
    agentWaitMs: opts.agentWaitMs ?? 60_000,
    imageCopyRate: opts.imageCopyRate ?? 0,
    allocatePort,
  };
}
