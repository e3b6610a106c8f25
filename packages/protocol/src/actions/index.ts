/** Every implemented Action, by name. Anything else answers RetCode 161. */
import * as bills from "./bills.js";
import * as catalog from "./catalog.js";
import * as community from "./community.js";
import * as disks from "./disks.js";
import * as images from "./images.js";
import * as instances from "./instances.js";
import * as monitoring from "./monitoring.js";
import * as operations from "./operations.js";
import * as policies from "./policies.js";
import * as pricing from "./pricing.js";
import * as projects from "./projects.js";
import * as testing from "./testing.js";
import * as webhooks from "./webhooks.js";
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
  UpdateCompShareInstancePorts: instances.UpdateCompShareInstancePorts,
  DescribeCompShareSupportZone: catalog.DescribeCompShareSupportZone,
  DescribeCompShareMachineTypeFamilies: catalog.DescribeCompShareMachineTypeFamilies,
  DescribeAvailableCompShareInstanceTypes: catalog.DescribeAvailableCompShareInstanceTypes,
  CheckCompShareResourceCapacity: catalog.CheckCompShareResourceCapacity,
  DescribeCompShareSoftwarePort: catalog.DescribeCompShareSoftwarePort,
  CheckCompShareNetOptimizer: catalog.CheckCompShareNetOptimizer,
  DescribeModelRepositoryModels: catalog.DescribeModelRepositoryModels,
  DescribeCompShareGpuInventory: catalog.DescribeCompShareGpuInventory,
  GetCompShareInstancePrice: pricing.GetCompShareInstancePrice,
  GetCompShareInstanceUserPrice: pricing.GetCompShareInstanceUserPrice,
  GetCompShareInstanceUpgradePrice: pricing.GetCompShareInstanceUpgradePrice,
  GetCompShareRefundPrice: pricing.GetCompShareRefundPrice,
  SwitchChargeType: pricing.SwitchChargeType,
  GetCompShareInstanceMonitor: monitoring.GetCompShareInstanceMonitor,
  CreateAndAttachCompshareDisk: disks.CreateAndAttachCompshareDisk,
  AttachCompshareDisk: disks.AttachCompshareDisk,
  DetachCompshareDisk: disks.DetachCompshareDisk,
  ResizeCompShareDisk: disks.ResizeCompShareDisk,
  DeleteCompshareDisk: disks.DeleteCompshareDisk,
  GetCompShareAttachedDiskUpgradePrice: disks.GetCompShareAttachedDiskUpgradePrice,
  DescribeCompshareDisk: disks.DescribeCompshareDisk,
  DescribeCompShareImages: images.DescribeCompShareImages,
  CreateCompShareCustomImage: images.CreateCompShareCustomImage,
  DescribeCompShareCustomImages: images.DescribeCompShareCustomImages,
  GetCompShareImageCreateProgress: images.GetCompShareImageCreateProgress,
  TerminateCompShareCustomImage: images.TerminateCompShareCustomImage,
  UpdateCompShareImage: images.UpdateCompShareImage,
  DescribeCompShareImageTags: images.DescribeCompShareImageTags,
  ModifyCompShareImageShareAccount: images.ModifyCompShareImageShareAccount,
  DescribeCompShareImageShareAccounts: images.DescribeCompShareImageShareAccounts,
  DescribeCompShareSharingImages: images.DescribeCompShareSharingImages,
  PublishCompShareImage: community.PublishCompShareImage,
  DescribeCommunityImages: community.DescribeCommunityImages,
  DescribeSelfCommunityImages: community.DescribeSelfCommunityImages,
  DescribeUserCommunityImages: community.DescribeUserCommunityImages,
  CreateCompShareImageFavorite: community.CreateCompShareImageFavorite,
  DeleteCompShareImageFavorite: community.DeleteCompShareImageFavorite,
  GetProjectList: projects.GetProjectList,
  DescribeCompShareInstanceOperations: operations.DescribeCompShareInstanceOperations,
  GetCompShareInstanceConsoleOutput: operations.GetCompShareInstanceConsoleOutput,
  DescribeCompShareInstancePolicy: policies.DescribeCompShareInstancePolicy,
  CreateCompShareWebhook: webhooks.CreateCompShareWebhook,
  DescribeCompShareWebhooks: webhooks.DescribeCompShareWebhooks,
  DeleteCompShareWebhook: webhooks.DeleteCompShareWebhook,
  DescribeCompShareWebhookDeliveries: webhooks.DescribeCompShareWebhookDeliveries,
  DescribeCompShareBills: bills.DescribeCompShareBills,
  ArmCompShareFault: testing.ArmCompShareFault,
  DescribeCompShareFaults: testing.DescribeCompShareFaults,
  ClearCompShareFaults: testing.ClearCompShareFaults,
  AdvanceCompShareClock: testing.AdvanceCompShareClock,
  DescribeCompShareClock: testing.DescribeCompShareClock,
  SaveCompShareSnapshot: testing.SaveCompShareSnapshot,
  RestoreCompShareSnapshot: testing.RestoreCompShareSnapshot,
  DescribeCompShareSnapshots: testing.DescribeCompShareSnapshots,
  DeleteCompShareSnapshot: testing.DeleteCompShareSnapshot,
  ResetCompShareState: testing.ResetCompShareState,
} as const;

export type Actions = typeof actions;
export type ActionName = keyof Actions;

export function findAction(name: string): ActionContract | undefined {
  return Object.hasOwn(actions, name) ? (actions[name as ActionName] as unknown as ActionContract) : undefined;
}

export * from "./contract.js";
export { BillModel, PayStatuses, type Bill, type PayStatus } from "./bills.js";
export { FaultModel, SnapshotModel, MAX_ADVANCE_SECONDS, type Fault } from "./testing.js";
export { ChargeTypes } from "./instances.js";
export { WEBHOOK_HEADERS, WebhookDeliveryModel, WebhookModel } from "./webhooks.js";
