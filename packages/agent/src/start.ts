/**
 * Builds an agent from its settings: the backends of this host (QEMU with the accelerator the
 * probe chose, podman, or both), the GPUs it offers, and the link to the control plane.
 */
import { Agent, type AgentLog } from "./agent.js";
import { chosenBackends, makeBackend } from "./backends/choose.js";
import { ImageStore } from "./backends/qemu/images.js";
import { probeAccelerator } from "./host-facts.js";
import { gpuMode, parseSize, type AgentSettings } from "./settings.js";

/** A size of an emulated GPU: the largest the catalog sells per 4090 (16 CPUs, 96 GB). */
const PER_EMULATED_GPU = { cpus: 16, memory: 96 * 1024 };

export interface StartAgentOptions {
  settings: AgentSettings;
  server: string;
  token: string;
  log: AgentLog;
  /** The single-box mode: offer emulated GPUs when the host has none. */
  emulateWhenNone?: boolean;
}

/** The accelerator to start machines with: the setting, or for `auto` what a probe guest says. */
export async function chooseAccelerator(settings: AgentSettings, log: AgentLog): Promise<"kvm" | "tcg"> {
  if (settings.accel !== "auto") return settings.accel;
  const kernel = new ImageStore(settings.imagesDir).list().find((i) => i.kernel)?.kernel;
  if (!kernel) return "tcg";
  log.info({ kernel }, "probing whether KVM boots a guest here (kept for this boot of the host)");
  const accel = await probeAccelerator({ qemu: settings.qemu, kernel, stateDir: settings.stateDir, timeoutMs: 20_000 });
  log.info({ accelerator: accel }, accel === "kvm" ? "KVM boots guests: using it" : "KVM cannot boot a guest here: emulating with TCG");
  return accel;
}

export async function startAgent(opts: StartAgentOptions): Promise<Agent> {
  const { settings, log } = opts;
  const kinds = chosenBackends(settings);
  const accel = kinds.includes("qemu") ? await chooseAccelerator(settings, log) : "tcg";
  const gpus = await gpuMode(settings, opts.emulateWhenNone === true, (msg) => log.warn({}, msg));
  const backend = makeBackend(settings, kinds, accel, log, gpus);
  log.info({ backends: kinds }, `machines here run with ${kinds.join(" and ")}`);
  // Emulated GPUs (a box without GPUs trying the real path, or a test host) are offered with what
  // such GPUs are sold with, and each guest runs small: no more than the box can hold many times over.
  const smallBox = gpus.kind === "emulated";
  const capacity =
    settings.capacity && settings.capacity !== "auto"
      ? parseSize(settings.capacity, "OCS_AGENT_CAPACITY")
      : smallBox && settings.capacity === undefined && gpus.kind === "emulated"
        ? { cpus: PER_EMULATED_GPU.cpus * gpus.count, memory: PER_EMULATED_GPU.memory * gpus.count }
        : undefined;
  const guestMax = settings.guestMax && settings.guestMax !== "none" ? parseSize(settings.guestMax, "OCS_AGENT_GUEST_MAX") : smallBox && settings.guestMax === undefined ? { cpus: 1, memory: 1024 } : undefined;
  if (capacity || guestMax) log.warn({ capacity, guestMax }, "this host offers more than it has: each guest really gets at most the guest limit");
  const agent = new Agent({ server: opts.server, token: opts.token, stateDir: settings.stateDir, backend, gpus, log, heartbeatMs: settings.heartbeatMs, ...(capacity ? { capacity } : {}), ...(guestMax ? { guestMax } : {}) });
  await agent.start();
  return agent;
}
