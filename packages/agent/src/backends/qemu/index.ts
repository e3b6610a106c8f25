/** The QEMU backend: one QEMU process per machine, state on disk, QMP and the guest agent to act. */
export { QemuBackend } from "./backend.js";
export type { QemuBackendOptions } from "./options.js";
/** The logger the backend writes to (pino-compatible), and what guestExec returns. */
export type { BackendLog } from "../backend.js";
export type { ExecResult } from "./guest-agent.js";
