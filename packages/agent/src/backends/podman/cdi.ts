/**
 * GPUs reach containers through CDI (the Container Device Interface): `podman create --device
 * VENDOR/CLASS=NAME`, resolved by podman from the spec files in /etc/cdi and /var/run/cdi (the
 * folders podman 4.3 reads; newer ones also read containers.conf's `cdi_spec_dirs`).
 *
 * - A real NVIDIA GPU is `nvidia.com/gpu=<UUID>`, a device of the spec that `nvidia-ctk cdi
 *   generate` writes: the operator's step (docs/driver.md), never the agent's.
 * - Emulated GPUs (`--gpus emulated:TYPExN`) have no device at all. When the operator (or a test)
 *   gives a folder of stand-in device nodes (`--podman-gpu-nodes`, files `nvidia0`…), the agent
 *   writes a CDI spec of its own that puts stand-in `i` at `/dev/nvidia<i>` in the container, so
 *   the whole road (placement, the spec, podman, the container's /dev) is exercised. Nothing of a
 *   real GPU is passed: the nodes are whatever the stand-ins are.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The folder podman 4.3 reads CDI specs from that is meant for generated ones. */
export const DEFAULT_CDI_SPEC_DIR = "/var/run/cdi";
/** How the agent names an emulated GPU (`emulated:<index>`) in a machine's spec. */
const EMULATED = /^emulated:(\d+)$/;

export interface GpuCdiOptions {
  /** This agent's state folder: the emulated spec's kind and file are named after it, so agents on one box never collide. */
  stateDir: string;
  /** Stand-in device nodes for emulated GPUs (`<dir>/nvidia<i>`); unset: emulated GPUs reach no container. */
  emulatedNodesDir?: string;
  /** Where the emulated spec is written (default /var/run/cdi). */
  specDir?: string;
  /** PCI address → UUID of the host's real GPUs (from its inventory); unset: the host has none. */
  uuidOf?: (pciAddress: string) => string | null | undefined;
}

/** The CDI devices of a host's GPUs, and the spec of its emulated ones. */
export class GpuCdi {
  /** The kind of this agent's emulated GPUs, such as `emulated.opencompshare.org/gpu-1a2b3c4d`. */
  readonly emulatedKind: string;
  readonly specFile: string;

  constructor(private readonly opts: GpuCdiOptions) {
    const tag = createHash("sha256").update(resolve(opts.stateDir)).digest("hex").slice(0, 8);
    this.emulatedKind = `emulated.opencompshare.org/gpu-${tag}`;
    this.specFile = join(opts.specDir ?? DEFAULT_CDI_SPEC_DIR, `opencompshare-emulated-${tag}.json`);
  }

  /**
   * The `--device` names for a machine's GPUs. An emulated GPU without stand-ins is left out
   * (placed, never passed); a real GPU without a known UUID is an error, not a silent omission.
   */
  devices(gpuDevices: readonly string[]): string[] {
    const out: string[] = [];
    for (const device of gpuDevices) {
      const emulated = EMULATED.exec(device);
      if (emulated) {
        if (this.opts.emulatedNodesDir) out.push(`${this.emulatedKind}=${emulated[1]}`);
        continue;
      }
      const uuid = this.opts.uuidOf?.(device);
      if (!uuid) throw new Error(`GPU ${device}: its UUID is unknown (nvidia-smi does not list it), so it has no CDI name; is it bound to the nvidia driver?`);
      out.push(`nvidia.com/gpu=${uuid}`);
    }
    return out;
  }

  /**
   * Writes the spec of the emulated GPUs (`count` of them) when stand-ins are given: one device per
   * stand-in node, which must exist. Written whole and renamed in, so podman never reads half a spec.
   */
  writeEmulatedSpec(count: number): void {
    const dir = this.opts.emulatedNodesDir;
    if (!dir || count === 0) return;
    const devices = Array.from({ length: count }, (_, i) => {
      const hostPath = join(resolve(dir), `nvidia${i}`);
      if (!existsSync(hostPath)) throw new Error(`the stand-in device node ${hostPath} does not exist (--podman-gpu-nodes gives nvidia0…nvidia${count - 1})`);
      return { name: String(i), containerEdits: { deviceNodes: [{ path: `/dev/nvidia${i}`, hostPath }] } };
    });
    const spec = { cdiVersion: "0.5.0", kind: this.emulatedKind, devices };
    mkdirSync(join(this.specFile, ".."), { recursive: true });
    const partial = `${this.specFile}.partial`;
    writeFileSync(partial, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o644 });
    renameSync(partial, this.specFile);
  }

  /** Removes the emulated spec (the agent is going away; the next one writes it again). */
  removeEmulatedSpec(): void {
    rmSync(this.specFile, { force: true });
  }
}
