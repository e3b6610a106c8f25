/** The podman backend: one container per machine, root on port 23, images in an OCI registry. */
export { PodmanBackend } from "./backend.js";
export type { PodmanBackendOptions } from "./options.js";
