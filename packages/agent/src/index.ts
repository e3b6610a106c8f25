/** @opencompshare/agent: the `ocs agent` host daemon. */
export type { Backend, BootImage, HostFacts } from "./backends/backend.js";
