/**
 * The rule table: for each mutating action, the states it may start from, the error when the
 * state is wrong, and what it does to the instance while it runs. Data, not code: the server's
 * guard reads it, the console offers each action by it, the docs describe it.
 */
import type { ErrorSymbol } from "./errors.js";
import { State, type BackgroundTask } from "./states.js";

export interface Rule {
  /** States the action may start from. */
  from: readonly string[];
  /** The error when the state is not in `from`. */
  wrongState: Extract<ErrorSymbol, "InstanceStateInvalid" | "InstanceMustBeStopped">;
  /** The state written at acceptance, if any. */
  enter?: string;
  /** Set at acceptance: a background task (runs after the lock is released). */
  task?: BackgroundTask;
  /** Set at acceptance: the instance is being reclaimed. */
  recycles?: true;
  /** Set at acceptance: a custom image of the instance is being made. */
  images?: true;
}

export type MutatingAction =
  | "StartCompShareInstance"
  | "StopCompShareInstance"
  | "RebootCompShareInstance"
  | "TerminateCompShareInstance"
  | "ReclaimCompShareInstance"
  | "ResetCompShareInstancePassword"
  | "ReinstallCompShareInstance"
  | "ResizeCompShareInstance"
  | "CreateCompShareCustomImage"
  | "AttachCompshareDisk"
  | "CreateAndAttachCompshareDisk"
  | "DetachCompshareDisk"
  | "ResizeCompShareDisk";

export const RULES: Readonly<Record<MutatingAction, Rule>> = {
  StartCompShareInstance: { from: [State.Stopped, State.Unknown], wrongState: "InstanceStateInvalid", enter: State.Starting },
  StopCompShareInstance: { from: [State.Running, State.Unknown], wrongState: "InstanceStateInvalid", enter: State.Stopping },
  RebootCompShareInstance: { from: [State.Running], wrongState: "InstanceStateInvalid", enter: State.Rebooting },
  // CompShare deletes only a stopped instance (a running one is stopped first). InstallFail has no
  // running machine, and the unknown state lets a lost machine be cleaned up: both may go too.
  TerminateCompShareInstance: {
    from: [State.Stopped, State.InstallFail, State.Unknown],
    wrongState: "InstanceMustBeStopped",
    recycles: true,
  },
  // The reclaim policy's last step (expiry, arrears, stopped 7 days): Terminate, keeping the data disks.
  ReclaimCompShareInstance: {
    from: [State.Running, State.Stopped, State.InstallFail, State.Unknown],
    wrongState: "InstanceStateInvalid",
    recycles: true,
  },
  ResetCompShareInstancePassword: {
    from: [State.Running, State.Stopped],
    wrongState: "InstanceStateInvalid",
    task: "ResetPassword",
  },
  ReinstallCompShareInstance: {
    from: [State.Stopped, State.InstallFail],
    wrongState: "InstanceMustBeStopped",
    enter: State.Initializing,
    task: "Reinstall",
  },
  ResizeCompShareInstance: { from: [State.Stopped], wrongState: "InstanceMustBeStopped", enter: State.Resizing, task: "Resize" },
  // Only a Running instance: "keep the instance powered on to make an image" (the guide).
  CreateCompShareCustomImage: { from: [State.Running], wrongState: "InstanceStateInvalid", images: true },
  // Disk work is a background task: CreateAndAttach and Attach on a Running or Stopped instance,
  // Detach and a resize of an attached disk only on a Stopped one.
  AttachCompshareDisk: { from: [State.Running, State.Stopped], wrongState: "InstanceStateInvalid", task: "AttachDisk" },
  CreateAndAttachCompshareDisk: { from: [State.Running, State.Stopped], wrongState: "InstanceStateInvalid", task: "AttachDisk" },
  DetachCompshareDisk: { from: [State.Stopped], wrongState: "InstanceMustBeStopped", task: "DetachDisk" },
  ResizeCompShareDisk: { from: [State.Stopped], wrongState: "InstanceMustBeStopped", task: "ResizeDisk" },
};
