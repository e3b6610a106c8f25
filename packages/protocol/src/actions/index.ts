/** Every implemented Action, by name. Anything else answers RetCode 161. */
import * as instances from "./instances.js";
import * as images from "./images.js";
import * as operations from "./operations.js";
import type { ActionContract } from "./contract.js";

export const actions = {
  CreateCompShareInstance: instances.CreateCompShareInstance,
  DescribeCompShareInstance: instances.DescribeCompShareInstance,
  StartCompShareInstance: instances.StartCompShareInstance,
  StopCompShareInstance: instances.StopCompShareInstance,
  RebootCompShareInstance: instances.RebootCompShareInstance,
  TerminateCompShareInstance: instances.TerminateCompShareInstance,
  ResetCompShareInstancePassword: instances.ResetCompShareInstancePassword,
  ReinstallCompShareInstance: instances.ReinstallCompShareInstance,
  ResizeCompShareInstance: instances.ResizeCompShareInstance,
  ModifyCompShareInstanceName: instances.ModifyCompShareInstanceName,
  UpdateCompShareStopScheduler: instances.UpdateCompShareStopScheduler,
  DeleteCompShareStopScheduler: instances.DeleteCompShareStopScheduler,
  DescribeCompShareImages: images.DescribeCompShareImages,
  CreateCompShareCustomImage: images.CreateCompShareCustomImage,
  DescribeCompShareCustomImages: images.DescribeCompShareCustomImages,
  GetCompShareImageCreateProgress: images.GetCompShareImageCreateProgress,
  TerminateCompShareCustomImage: images.TerminateCompShareCustomImage,
  DescribeCompShareInstanceOperations: operations.DescribeCompShareInstanceOperations,
} as const;

export type Actions = typeof actions;
export type ActionName = keyof Actions;

export function findAction(name: string): ActionContract | undefined {
  return Object.hasOwn(actions, name) ? (actions[name as ActionName] as unknown as ActionContract) : undefined;
}

export * from "./contract.js";
export { ChargeTypes } from "./instances.js";
