/**
 * What `ocs doctor` checks of a host that runs containers: podman, its OCI runtime against the
 * host's cgroups, the limits podman sets against the agent's capabilities, NVIDIA's CDI specs
 * where there are GPUs, and the registry. Each check names what to fix. Nothing here changes the
 * host: the settings it suggests are the agent's own (OCS_PODMAN_RUNTIME, OCS_PODMAN_RUN_ARGS).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statfsSync } from "node:fs";
import { onPath } from "./backends/choose.js";
import { Registry } from "./backends/podman/registry.js";
import type { AgentSettings } from "./settings.js";

export interface HostCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

/** CAP_SYS_RESOURCE, bit 24 of a capability set: raising a limit above the hard one needs it. */
const CAP_SYS_RESOURCE = 24n;
/** statfs magic of cgroup2 (unified hierarchy only). */
const CGROUP2_MAGIC = 0x63677270;
const CDI_DIRS = ["/etc/cdi", "/var/run/cdi"];
const LOW_ULIMITS = "--ulimit nofile=1024:1024 --ulimit nproc=4096:4096";

/** Whether the agent's process holds CAP_SYS_RESOURCE. */
export function hasSysResource(status = readFileSync("/proc/self/status", "utf8")): boolean {
  const eff = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
  return eff !== undefined && ((BigInt(`0x${eff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/** Whether the host has only the unified cgroup hierarchy (v2), which crun needs. */
export function unifiedCgroups(): boolean {
  try {
    return statfsSync("/sys/fs/cgroup").type === CGROUP2_MAGIC;
  } catch {
    return false;
  }
}

export async function podmanChecks(settings: AgentSettings): Promise<HostCheck[]> {
  const name = "podman";
  const version = spawnSync(settings.podman, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (version.error || version.status !== 0) {
    return [{ name, status: "fail", detail: `${settings.podman} does not run: ${version.error?.message ?? version.stderr.trim()}`, fix: "apt-get install podman runc, or set OCS_PODMAN to its path" }];
  }
  const checks: HostCheck[] = [{ name, status: "ok", detail: version.stdout.trim() }];
  // The runtime: crun refuses a host whose cgroups are not the unified hierarchy alone.
  const runtime = settings.podmanRuntime ?? spawnSync(settings.podman, ["info", "--format", "{{.Host.OCIRuntime.Name}}"], { encoding: "utf8", timeout: 20_000 }).stdout?.trim() ?? "";
  if (settings.podmanRuntime && !onPath(settings.podmanRuntime)) {
    checks.push({ name: "podman runtime", status: "fail", detail: `OCS_PODMAN_RUNTIME=${settings.podmanRuntime} is not installed`, fix: `apt-get install ${settings.podmanRuntime}` });
  } else if (runtime === "crun" && !unifiedCgroups()) {
    checks.push({ name: "podman runtime", status: "fail", detail: "crun, on a host whose cgroups are not the unified hierarchy alone: it refuses to start containers", fix: "apt-get install runc, and set OCS_PODMAN_RUNTIME=runc" });
  } else {
    checks.push({ name: "podman runtime", status: "ok", detail: runtime || "podman's default" });
  }
  const args = settings.podmanRunArgs ?? "";
  if (!hasSysResource() && !/--ulimit/.test(args)) {
    checks.push({ name: "podman limits", status: "warn", detail: "the agent lacks CAP_SYS_RESOURCE, so podman's default ulimits are refused", fix: `set OCS_PODMAN_RUN_ARGS="${LOW_ULIMITS}"` });
  } else {
    checks.push({ name: "podman limits", status: "ok", detail: args ? `extra arguments: ${args}` : "podman's defaults" });
  }
  const specs = CDI_DIRS.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => /\.(ya?ml|json)$/.test(f)));
  if (onPath("nvidia-smi") && specs.length === 0) {
    checks.push({ name: "cdi", status: "warn", detail: "NVIDIA GPUs, and no CDI spec in /etc/cdi or /var/run/cdi: containers would get no GPU", fix: "nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml (NVIDIA Container Toolkit)" });
  } else {
    checks.push({ name: "cdi", status: "ok", detail: specs.length > 0 ? `CDI specs: ${specs.join(", ")}` : "no NVIDIA GPU here: no CDI spec needed" });
  }
  if (!settings.registry) {
    checks.push({ name: "registry", status: "warn", detail: "OCS_REGISTRY is not set: container instances run platform images only, and a custom image of one fails", fix: "run a registry (docs/operating.md) and set OCS_REGISTRY" });
  } else {
    const registry = new Registry(settings.registry);
    const up = await registry.ping(AbortSignal.timeout(5000));
    checks.push(up ? { name: "registry", status: "ok", detail: `${settings.registry} answers the v2 API` } : { name: "registry", status: "fail", detail: `${settings.registry} does not answer the v2 API`, fix: "start the registry (docs/operating.md), or correct OCS_REGISTRY" });
  }
  return checks;
}
