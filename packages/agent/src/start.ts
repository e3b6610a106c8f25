/**
 * Builds an agent from its settings: the QEMU backend on this host (with the accelerator the
 * probe chose), the GPUs it offers, and the link to the control plane.
 */
import { Agent, type AgentLog } from "./agent.js";
import { ImageStore } from "./backends/qemu/images.js";
import { QemuBackend } from "./backends/qemu/index.js";
import { probeAccelerator } from "./host-facts.js";
import { gpuMode, type AgentSettings } from "./settings.js";

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
  const kernel = new ImageStore(settings.imagesDir).list()[0]?.kernel;
  if (!kernel) return "tcg";
  log.info({ kernel }, "probing whether KVM boots a guest here (kept for this boot of the host)");
  const accel = await probeAccelerator({ qemu: settings.qemu, kernel, stateDir: settings.stateDir, timeoutMs: 20_000 });
  log.info({ accelerator: accel }, accel === "kvm" ? "KVM boots guests: using it" : "KVM cannot boot a guest here: emulating with TCG");
  return accel;
}

export async function startAgent(opts: StartAgentOptions): Promise<Agent> {
  const { settings, log } = opts;
  const accel = await chooseAccelerator(settings, log);
  const backend = new QemuBackend({ stateDir: settings.stateDir, imagesDir: settings.imagesDir, accel, qemuBinary: settings.qemu, sshHost: settings.sshHost, log });
  const gpus = await gpuMode(settings, opts.emulateWhenNone === true, (msg) => log.warn({}, msg));
  const agent = new Agent({ server: opts.server, token: opts.token, stateDir: settings.stateDir, backend, gpus, log, heartbeatMs: settings.heartbeatMs });
  await agent.start();
  return agent;
}
