/**
 * What each operation does once accepted, step by step, and how it ends when a step fails.
 * `run` is also how recovery resumes an operation: each step looks at the recorded phase and
 * the driver's state, so nothing the machine already did is done twice.
 */
import type { MutatingAction } from "@opencompshare/protocol";
import type { Procedure } from "./common.js";
import { deleteDetachedDisk, resizeAnyDisk } from "./detached-disks.js";
import { attachDisk, detachDisk } from "./disks.js";
import { deleteImage, makeImage, publishImage } from "./images.js";
import { create, reinstall, resetPassword, resize, terminate } from "./lifecycle.js";
import { reboot, start, stop } from "./power.js";

export type { Procedure } from "./common.js";
export { stateOf } from "./common.js";
export type { CreateParams, ReinstallParams, ResetPasswordParams, ResizeParams, TerminateParams } from "./lifecycle.js";
export type { DeleteImageParams, ImageParams, PublishImageParams } from "./images.js";
export type { StartParams } from "./power.js";
export type { DiskParams } from "./disks.js";
export type { DetachedDiskParams } from "./detached-disks.js";

/**
 * Every action that runs as an operation: those of the rule table, and those whose acceptance is
 * not an instance's (Create makes the instance; a detached disk's delete, and a custom image's
 * delete and publish, act on no instance). Acceptance takes only these, and each has its procedure below:
 * an operation without one does not compile.
 */
export type OperationAction = MutatingAction | "CreateCompShareInstance" | "DeleteCompshareDisk" | "TerminateCompShareCustomImage" | "PublishCompShareImage";

export const PROCEDURES: Readonly<Record<OperationAction, Procedure>> = {
  CreateCompShareInstance: create,
  StartCompShareInstance: start,
  StopCompShareInstance: stop,
  RebootCompShareInstance: reboot,
  TerminateCompShareInstance: terminate,
  ReclaimCompShareInstance: terminate,
  ResetCompShareInstancePassword: resetPassword,
  ReinstallCompShareInstance: reinstall,
  ResizeCompShareInstance: resize,
  CreateCompShareCustomImage: makeImage,
  AttachCompshareDisk: attachDisk,
  CreateAndAttachCompshareDisk: attachDisk,
  DetachCompshareDisk: detachDisk,
  ResizeCompShareDisk: resizeAnyDisk,
  DeleteCompshareDisk: deleteDetachedDisk,
  TerminateCompShareCustomImage: deleteImage,
  PublishCompShareImage: publishImage,
};

/** Whether a recorded operation's action is one of ours (a record from a newer version may not be). */
export const isOperationAction = (action: string): action is OperationAction => Object.hasOwn(PROCEDURES, action);
