/** @opencompshare/agent: the `ocs agent` host daemon. */
export { Agent, AGENT_VERSION, parseEmulated, type AgentLog, type AgentOptions, type GpuMode } from "./agent.js";
export type { Backend, BootImage, ContainerImage, HostFacts, HostImage } from "./backends/backend.js";
export { QemuBackend, type QemuBackendOptions } from "./backends/qemu/index.js";
export { PodmanBackend, type PodmanBackendOptions } from "./backends/podman/index.js";
export { HostBackends } from "./backends/host-backends.js";
export { chosenBackends, onPath, type BackendKind } from "./backends/choose.js";
export { Executor, type ExecutorOptions } from "./executor.js";
export { FenceStore, HOST_KEY, type CommandRecord, type FenceRecord } from "./fence-store.js";
export * as gpu from "./gpu/index.js";
export { Link, LinkError } from "./link.js";
export { AGENT_SETTINGS, AgentSettingsError, loadAgentSettings, type AgentSettings } from "./settings.js";
export { chooseAccelerator, startAgent, type StartAgentOptions } from "./start.js";
export { podmanChecks, type HostCheck } from "./host-checks.js";
