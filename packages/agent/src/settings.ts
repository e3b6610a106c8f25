/**
 * The agent's settings: each a flag of `ocs agent` or an environment variable, checked with a
 * message naming the setting. `ocs serve` with OCS_DRIVER=qemu reads the same ones for the agent
 * it runs in its own process.
 */
import { join } from "node:path";
import { GpuInventory } from "./gpu/index.js";
import { parseEmulated, type GpuMode } from "./agent.js";
import { Registry } from "./backends/podman/registry.js";

export interface AgentSettings {
  server: string | undefined;
  token: string | undefined;
  stateDir: string;
  imagesDir: string;
  accel: "auto" | "kvm" | "tcg";
  /** `auto` (the host's NVIDIA GPUs), `none`, or `emulated:TYPExN`. */
  gpus: string;
  sshHost: string;
  /** A Linux bridge for the guests' NICs; unset: user-mode networking with forwarded SSH ports. */
  bridge: string | undefined;
  qemu: string;
  heartbeatMs: number;
  /** What the host offers to placement: `auto` (its real CPUs and memory) or `CPUS,MEMORY_MB`; unset: see startAgent. */
  capacity: string | undefined;
  /** The most vCPUs and memory a guest really gets: `none`, or `CPUS,MEMORY_MB` (a small test box); unset: see startAgent. */
  guestMax: string | undefined;
  /** What runs machines here: `auto` (QEMU and podman, each when installed), `qemu`, `podman`, or `qemu,podman`. */
  backends: string;
  /** The OCI registry of container images (`http://127.0.0.1:5000`, or a host for HTTPS). */
  registry: string | undefined;
  podman: string;
  /** The OCI runtime podman uses (`runc` where crun refuses the host's cgroups). */
  podmanRuntime: string | undefined;
  /** Extra `podman create` arguments, space-separated (`--ulimit nofile=1024:1024` where the agent lacks CAP_SYS_RESOURCE). */
  podmanRunArgs: string | undefined;
  /** Podman's storage root for this agent's containers; unset: `<state-dir>/podman`. */
  podmanRoot: string | undefined;
  /** Stand-in device nodes (`nvidia0`…) that emulated GPUs reach containers as; unset: emulated GPUs reach none. */
  podmanGpuNodes: string | undefined;
  /** Where the agent writes the CDI spec of its emulated GPUs (default /var/run/cdi, which podman 4.3 reads). */
  cdiSpecDir: string | undefined;
}

export interface AgentSetting {
  key: keyof AgentSettings;
  env: string;
  flag: string;
  default?: string;
  describe: string;
}

export const AGENT_SETTINGS: readonly AgentSetting[] = [
  { key: "server", env: "OCS_AGENT_SERVER", flag: "server", describe: "the control plane's URL (fleet mode)" },
  { key: "token", env: "OCS_AGENT_TOKEN", flag: "token", describe: "this host's token, from `ocs host add NAME` (fleet mode)" },
  { key: "stateDir", env: "OCS_AGENT_STATE_DIR", flag: "state-dir", describe: "machines, disks and the fence store (default ./data/agent)" },
  { key: "imagesDir", env: "OCS_IMAGES_DIR", flag: "images-dir", describe: "one folder per bootable image, with its image.json (default ./data/images)" },
  { key: "accel", env: "OCS_AGENT_ACCEL", flag: "accel", default: "auto", describe: "auto (KVM when a probe guest boots under it, else TCG), kvm or tcg" },
  { key: "gpus", env: "OCS_AGENT_GPUS", flag: "gpus", default: "auto", describe: "auto (the host's NVIDIA GPUs), none, or emulated:TYPExN (no passthrough)" },
  { key: "sshHost", env: "OCS_AGENT_SSH_HOST", flag: "ssh-host", default: "127.0.0.1", describe: "the address SshLoginCommand shows for the guests' forwarded SSH ports" },
  { key: "bridge", env: "OCS_AGENT_BRIDGE", flag: "bridge", describe: "a Linux bridge to put guests on (qemu-bridge-helper; their own addresses, SSH on port 22); unset: user-mode networking, SSH forwarded from a host port" },
  { key: "qemu", env: "OCS_QEMU", flag: "qemu", default: "qemu-system-x86_64", describe: "the QEMU binary" },
  { key: "heartbeatMs", env: "OCS_AGENT_HEARTBEAT_MS", flag: "heartbeat-ms", default: "10000", describe: "how often the agent heartbeats, ms" },
  { key: "capacity", env: "OCS_AGENT_CAPACITY", flag: "capacity", describe: "what the host offers to placement: auto (its CPUs and memory) or CPUS,MEMORY_MB (default auto; with emulated GPUs, what those GPUs are sold with)" },
  { key: "backends", env: "OCS_AGENT_BACKENDS", flag: "backends", default: "auto", describe: "what runs machines: auto (QEMU for system images and podman for container images, each when installed), qemu, podman, or qemu,podman" },
  { key: "registry", env: "OCS_REGISTRY", flag: "registry", describe: "the OCI registry of container images: http://HOST:PORT (plain HTTP) or HOST[/PREFIX] (HTTPS); custom images of containers are pushed there" },
  { key: "podman", env: "OCS_PODMAN", flag: "podman", default: "podman", describe: "the podman binary" },
  { key: "podmanRuntime", env: "OCS_PODMAN_RUNTIME", flag: "podman-runtime", describe: "the OCI runtime podman runs containers with, such as runc (`ocs doctor` says when crun cannot run here)" },
  { key: "podmanRunArgs", env: "OCS_PODMAN_RUN_ARGS", flag: "podman-run-args", describe: "extra podman create arguments, space-separated, such as --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 (`ocs doctor` says when they are needed)" },
  { key: "podmanRoot", env: "OCS_PODMAN_ROOT", flag: "podman-root", describe: "podman's storage root for this agent's containers (default <state-dir>/podman)" },
  { key: "podmanGpuNodes", env: "OCS_PODMAN_GPU_NODES", flag: "podman-gpu-nodes", describe: "a folder of stand-in device nodes nvidia0… that emulated GPUs reach containers as, through a CDI spec of the agent's (no real GPU is passed)" },
  { key: "cdiSpecDir", env: "OCS_CDI_SPEC_DIR", flag: "cdi-spec-dir", describe: "where the agent writes the CDI spec of its emulated GPUs (default /var/run/cdi, a folder podman reads)" },
  { key: "guestMax", env: "OCS_AGENT_GUEST_MAX", flag: "guest-max", describe: "the most a guest really gets: none, or CPUS,MEMORY_MB (default none; with emulated GPUs, 1,1024)" },
];

/** `CPUS,MEMORY_MB`, as capacity and guest limits are written. */
export function parseSize(text: string, setting: string): { cpus: number; memory: number } {
  const m = /^(\d+),(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 64) throw new AgentSettingsError(`${setting} must be CPUS,MEMORY_MB such as 16,65536, got ${JSON.stringify(text)}`);
  return { cpus: Number(m[1]), memory: Number(m[2]) };
}

export class AgentSettingsError extends Error {}

export function loadAgentSettings(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv, dataDir = "./data"): AgentSettings {
  const raw = (s: AgentSetting) => flags[s.flag] ?? env[s.env] ?? s.default;
  const out: Record<string, unknown> = {};
  for (const s of AGENT_SETTINGS) out[s.key] = raw(s);
  const settings = out as unknown as AgentSettings & { heartbeatMs: unknown };
  settings.stateDir ??= join(dataDir, "agent");
  settings.imagesDir ??= join(dataDir, "images");
  if (!["auto", "kvm", "tcg"].includes(settings.accel)) throw new AgentSettingsError(`OCS_AGENT_ACCEL (--accel) must be auto, kvm or tcg, got ${JSON.stringify(settings.accel)}`);
  if (settings.gpus !== "auto" && settings.gpus !== "none" && !settings.gpus.startsWith("emulated:")) {
    throw new AgentSettingsError(`OCS_AGENT_GPUS (--gpus) must be auto, none or emulated:TYPExN, got ${JSON.stringify(settings.gpus)}`);
  }
  if (settings.gpus.startsWith("emulated:")) {
    try {
      parseEmulated(settings.gpus.slice("emulated:".length));
    } catch (error) {
      throw new AgentSettingsError(`OCS_AGENT_GPUS (--gpus): ${(error as Error).message}`);
    }
  }
  if (settings.bridge !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(settings.bridge)) throw new AgentSettingsError(`OCS_AGENT_BRIDGE (--bridge) must be a network interface name such as br0, got ${JSON.stringify(settings.bridge)}`);
  if (settings.capacity !== undefined && settings.capacity !== "auto") parseSize(settings.capacity, "OCS_AGENT_CAPACITY (--capacity)");
  if (settings.guestMax !== undefined && settings.guestMax !== "none") parseSize(settings.guestMax, "OCS_AGENT_GUEST_MAX (--guest-max)");
  const chosen = settings.backends.split(",").map((b) => b.trim());
  if (settings.backends !== "auto" && (chosen.length === 0 || chosen.some((b) => b !== "qemu" && b !== "podman") || new Set(chosen).size !== chosen.length)) {
    throw new AgentSettingsError(`OCS_AGENT_BACKENDS (--backends) must be auto, qemu, podman or qemu,podman, got ${JSON.stringify(settings.backends)}`);
  }
  if (settings.registry !== undefined) {
    try {
      new Registry(settings.registry);
    } catch (error) {
      throw new AgentSettingsError(`OCS_REGISTRY (--registry): ${(error as Error).message}`);
    }
  }
  const hb = Number(settings.heartbeatMs);
  if (!Number.isInteger(hb) || hb < 100) throw new AgentSettingsError(`OCS_AGENT_HEARTBEAT_MS (--heartbeat-ms) must be an integer of at least 100, got ${JSON.stringify(settings.heartbeatMs)}`);
  settings.heartbeatMs = hb;
  return settings;
}

/** Memory of an emulated GPU by type, MB (what the control plane shows as graphics memory comes from its catalog). */
const EMULATED_MEMORY_MB: Readonly<Record<string, number>> = { "4090": 24576, "4090_48G": 49152, "5090": 32768, A800: 81920, A100: 81920, H20: 98304, "3090": 24576 };

/**
 * The GPU mode of the settings. `auto` finds the host's NVIDIA GPUs; with `emulateWhenNone`
 * (the single-box `OCS_DRIVER=qemu` mode) a host without any offers 8 emulated 4090s, so that
 * instances can be placed and booted — without passthrough.
 */
export async function gpuMode(settings: AgentSettings, emulateWhenNone: boolean, warn: (msg: string) => void): Promise<GpuMode> {
  if (settings.gpus === "none") return { kind: "none" };
  if (settings.gpus.startsWith("emulated:")) {
    const { gpuType, count } = parseEmulated(settings.gpus.slice("emulated:".length));
    return { kind: "emulated", gpuType, count, memoryMb: EMULATED_MEMORY_MB[gpuType] ?? 24576 };
  }
  const inventory = new GpuInventory();
  const found = (await inventory.discover()).filter((g) => g.gpuType);
  if (found.length === 0 && emulateWhenNone) {
    await inventory.close();
    warn("no NVIDIA GPU found on this host: offering 8 emulated 4090 GPUs so that instances can be placed (no passthrough); set OCS_AGENT_GPUS=none to offer none");
    return { kind: "emulated", gpuType: "4090", count: 8, memoryMb: 24576 };
  }
  return { kind: "auto", inventory };
}
