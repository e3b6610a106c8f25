/**
 * How a PodmanBackend is set up (PodmanBackendOptions), and the context its parts share, built
 * from them with the defaults filled in. Nothing about this host's quirks is fixed here: the
 * runtime (`runc` where crun refuses the kernel's cgroups) and extra `podman create` arguments
 * (lower ulimits where the agent lacks CAP_SYS_RESOURCE) are settings, and `ocs doctor` says
 * when a host needs them.
 */
import { mkdirSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import type { GpuReading } from "../../gpu/nvidia-smi.js";
import type { BackendLog } from "../backend.js";
import { GpuCdi } from "./cdi.js";
import { ContainerDisks } from "./disks.js";
import { PodmanCli } from "./podman-cli.js";
import { Registry } from "./registry.js";

export interface PodmanBackendOptions {
  /** Containers' records (`containers/<id>/`), builds, and (by default) podman's own storage live here. */
  stateDir: string;
  /** The platform images: folders with an image.json of `"kind": "container"` naming a registry reference. */
  imagesDir: string;
  /** The OCI registry custom images are pushed to and pulled from: `http://127.0.0.1:5000` or `registry.example.com[/prefix]` (https). Unset: no custom images. */
  registry?: string;
  /** Default `podman`. */
  podmanBinary?: string;
  /** Podman's storage root; its run root is beside it. Default `<stateDir>/podman`. */
  storageRoot?: string;
  /** The OCI runtime (`runc`, `crun`); unset: podman's default. */
  runtime?: string;
  /** Extra `podman create` arguments, such as `--ulimit nofile=1024:1024`. */
  runArgs?: readonly string[];
  /** The address access() reports and SSH ports are published on (default 127.0.0.1). */
  sshHost?: string;
  log?: BackendLog;
  /** How long a start waits for the container's boot id (default 60 s). */
  bootWaitMs?: number;
  /** How many emulated GPUs the host offers (`emulated:0`…); they reach containers only with `gpuNodesDir`. */
  emulatedGpus?: number;
  /** Stand-in device nodes for the emulated GPUs (`nvidia0`…): see cdi.ts. */
  gpuNodesDir?: string;
  /** Where the emulated GPUs' CDI spec is written (default /var/run/cdi). */
  cdiSpecDir?: string;
  /** PCI address → UUID of the host's real GPUs, for their CDI names (`nvidia.com/gpu=UUID`). */
  gpuUuid?: (pciAddress: string) => string | null | undefined;
  /** The latest nvidia-smi row of a real GPU of the host, by PCI address, for the GPU metrics of its container. */
  gpuReading?: (pciAddress: string) => GpuReading | undefined;
}

/** What the backend's parts share. */
export interface PodmanContext {
  podman: PodmanCli;
  registry: Registry | undefined;
  disks: ContainerDisks;
  stateDir: string;
  imagesDir: string;
  /** The folder mounted read-only at /usr/lib/ocs in every container (the init). */
  initDir: string;
  runArgs: readonly string[];
  sshHost: string;
  sshBind: string;
  log: BackendLog;
  bootWaitMs: number;
  /** The label every container of this agent carries, with its machine id as value. */
  label: string;
  /** The CDI devices of the machines' GPUs. */
  cdi: GpuCdi;
  /** The latest nvidia-smi row of a real GPU (none: no reading, as for an emulated one). */
  gpuReading: (pciAddress: string) => GpuReading | undefined;
}

const SILENT: BackendLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function podmanContext(opts: PodmanBackendOptions): PodmanContext {
  const stateDir = resolve(opts.stateDir);
  const storage = resolve(opts.storageRoot ?? join(stateDir, "podman"));
  mkdirSync(storage, { recursive: true });
  const global = [
    "--root",
    join(storage, "storage"),
    "--runroot",
    join(storage, "run"),
    "--tmpdir",
    join(storage, "tmp"),
    "--cgroup-manager",
    "cgroupfs",
    "--events-backend",
    "file",
    ...(opts.runtime ? ["--runtime", opts.runtime] : []),
  ];
  const sshHost = opts.sshHost ?? "127.0.0.1";
  const loopback = sshHost === "localhost" || sshHost.startsWith("127.") || sshHost === "::1";
  return {
    podman: new PodmanCli(opts.podmanBinary ?? "podman", global),
    registry: opts.registry ? new Registry(opts.registry) : undefined,
    disks: new ContainerDisks(stateDir),
    stateDir,
    imagesDir: resolve(opts.imagesDir),
    initDir: join(stateDir, "podman-init"),
    runArgs: opts.runArgs ?? [],
    sshHost,
    sshBind: loopback ? "127.0.0.1" : isIP(sshHost) === 4 ? sshHost : "0.0.0.0",
    log: opts.log ?? SILENT,
    bootWaitMs: opts.bootWaitMs ?? 60_000,
    label: "opencompshare.machine",
    cdi: new GpuCdi({
      stateDir,
      ...(opts.gpuNodesDir ? { emulatedNodesDir: opts.gpuNodesDir } : {}),
      ...(opts.cdiSpecDir ? { specDir: opts.cdiSpecDir } : {}),
      ...(opts.gpuUuid ? { uuidOf: opts.gpuUuid } : {}),
    }),
    gpuReading: opts.gpuReading ?? (() => undefined),
  };
}
