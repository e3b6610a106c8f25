/**
 * Which backends run machines on this host, from the agent's settings: `auto` offers QEMU and
 * podman, each when its binary is installed; a host with both runs system images as virtual
 * machines and container images as containers (HostBackends routes each machine).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { GpuMode } from "../agent.js";
import type { AgentSettings } from "../settings.js";
import type { Backend, BackendLog } from "./backend.js";
import { HostBackends } from "./host-backends.js";
import { PodmanBackend } from "./podman/index.js";
import { QemuBackend } from "./qemu/index.js";

export type BackendKind = "qemu" | "podman";

/** Whether `binary` runs from here: an executable path, or a name found on PATH. */
export function onPath(binary: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (isAbsolute(binary) || binary.includes("/")) return executable(binary);
  return (env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && executable(join(dir, binary)));
}

/** The backends the settings ask for (for `auto`: those installed). Throws when none is. */
export function chosenBackends(settings: AgentSettings, env: NodeJS.ProcessEnv = process.env): BackendKind[] {
  if (settings.backends !== "auto") return settings.backends.split(",").map((b) => b.trim() as BackendKind);
  const found: BackendKind[] = [];
  if (onPath(settings.qemu, env)) found.push("qemu");
  if (onPath(settings.podman, env)) found.push("podman");
  if (found.length === 0) throw new Error(`neither QEMU (${settings.qemu}) nor podman (${settings.podman}) is installed: apt-get install qemu-system-x86 qemu-utils, or podman runc`);
  return found;
}

/** The Backend of this host: one backend, or every one offered, behind HostBackends. */
export function makeBackend(settings: AgentSettings, kinds: readonly BackendKind[], accel: "kvm" | "tcg", log: BackendLog, gpus: GpuMode = { kind: "none" }): Backend {
  const backends: Backend[] = kinds.map((kind) =>
    kind === "qemu"
      ? new QemuBackend({ stateDir: settings.stateDir, imagesDir: settings.imagesDir, accel, qemuBinary: settings.qemu, sshHost: settings.sshHost, ...(settings.bridge ? { bridge: settings.bridge } : {}), log })
      : new PodmanBackend({
          stateDir: settings.stateDir,
          imagesDir: settings.imagesDir,
          podmanBinary: settings.podman,
          sshHost: settings.sshHost,
          log,
          ...(settings.registry ? { registry: settings.registry } : {}),
          ...(settings.podmanRuntime ? { runtime: settings.podmanRuntime } : {}),
          ...(settings.podmanRunArgs ? { runArgs: settings.podmanRunArgs.split(/\s+/).filter(Boolean) } : {}),
          ...(settings.podmanRoot ? { storageRoot: settings.podmanRoot } : {}),
          ...(gpus.kind === "emulated" ? { emulatedGpus: gpus.count } : {}),
          ...(settings.podmanGpuNodes ? { gpuNodesDir: settings.podmanGpuNodes } : {}),
          ...(settings.cdiSpecDir ? { cdiSpecDir: settings.cdiSpecDir } : {}),
          ...(gpus.kind === "auto"
            ? { gpuUuid: (pci: string) => gpus.inventory.list().find((g) => g.pciAddress === pci)?.uuid, gpuReading: (pci: string) => gpus.inventory.lastReading(pci) }
            : {}),
        }),
  );
  return backends.length === 1 ? (backends[0] as Backend) : new HostBackends(backends);
}
