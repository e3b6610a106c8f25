/**
 * The agent's settings: each a flag of `ocs agent` or an environment variable, checked with a
 * message naming the setting. `ocs serve` with OCS_DRIVER=qemu reads the same ones for the agent
 * it runs in its own process.
 */
import { join } from "node:path";
import { GpuInventory } from "./gpu/index.js";
import { parseEmulated, type GpuMode } from "./agent.js";

export interface AgentSettings {
  server: string | undefined;
  token: string | undefined;
  stateDir: string;
  imagesDir: string;
  accel: "auto" | "kvm" | "tcg";
  /** `auto` (the host's NVIDIA GPUs), `none`, or `emulated:TYPExN`. */
  gpus: string;
  sshHost: string;
  qemu: string;
  heartbeatMs: number;
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
  { key: "qemu", env: "OCS_QEMU", flag: "qemu", default: "qemu-system-x86_64", describe: "the QEMU binary" },
  { key: "heartbeatMs", env: "OCS_AGENT_HEARTBEAT_MS", flag: "heartbeat-ms", default: "10000", describe: "how often the agent heartbeats, ms" },
];

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
    warn("no NVIDIA GPU found on this host: offering 8 emulated 4090 GPUs so that instances can be placed (no passthrough); set OCS_AGENT_GPUS=none to offer none");
    return { kind: "emulated", gpuType: "4090", count: 8, memoryMb: 24576 };
  }
  return { kind: "auto", inventory };
}
