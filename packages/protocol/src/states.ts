/** Instance states and the sets the rules are written with: shared by the server and the console. */

/** Every state an instance shows; the empty one is a state the driver could not read. */
export const InstanceStates = [
  "Initializing",
  "Starting",
  "Running",
  "Stopping",
  "Stopped",
  "Install Fail",
  "Rebooting",
  "Resizing",
  "",
] as const;
export type InstanceState = (typeof InstanceStates)[number];

export const State = {
  Initializing: "Initializing",
  Starting: "Starting",
  Running: "Running",
  Stopping: "Stopping",
  Stopped: "Stopped",
  InstallFail: "Install Fail",
  Rebooting: "Rebooting",
  Resizing: "Resizing",
  Unknown: "",
} as const satisfies Record<string, InstanceState>;

/** States an instance passes through while an operation works on it. */
export const TRANSITIONAL: ReadonlySet<string> = new Set([
  State.Initializing,
  State.Starting,
  State.Stopping,
  State.Rebooting,
  State.Resizing,
]);

/** Background tasks: they run without the lock, and block other operations until done. */
export type BackgroundTask = "ResetPassword" | "Reinstall" | "Resize" | "AttachDisk" | "DetachDisk" | "ResizeDisk";
