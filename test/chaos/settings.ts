/** The chaos soak's bounds and settings: how long, how many, what to send and what to break. */
import { loadCatalog } from "../../packages/server/src/catalog/catalog.js";
import { sizesOf } from "../../packages/server/src/catalog/sizes.js";
import type { FaultMethod } from "@opencompshare/protocol";
import { int } from "./random.js";

export const TRAFFIC_MS = 70_000;
/** When, from the start of traffic, the server is killed with SIGKILL and restarted. */
export const KILLS_AT_MS = [22_000, 47_000];
export const QUIET_MAX_MS = 40_000;
export const WATCHDOG_MS = 170_000;
export const REQUEST_TIMEOUT_MS = 15_000;
export const ACCOUNTS = ["ana", "bo", "chen", "dara"];
export const WORKERS_PER_ACCOUNT = 2;
export const MAX_OWN_INSTANCES = 4;
export const REGION = { Region: "cn-wlcb", Zone: "cn-wlcb-01" };
export const GPU_TYPES = ["4090", "4090", "3090", "A800", "H20"];
const CATALOG = loadCatalog(undefined);
/** A valid size of `gpuType` with `gpus` GPUs (CPU and memory follow the GPU count), as Create and Resize take it. */
export function sizeOf(gpuType: string, gpus: number): { GPU: number; CPU: number; Memory: number } {
  const type = CATALOG.gpuType(gpuType);
  const size = type ? sizesOf(type).find((x) => x.gpu === gpus) : undefined;
  if (!size) throw new Error(`no ${gpus}-GPU size of ${gpuType} in the catalog`);
  return { GPU: gpus, CPU: size.cpu, Memory: 1024 * (size.memoryGb[int(0, size.memoryGb.length - 1)] as number) };
}
export const PLATFORM_IMAGES = ["compshareImage-ubuntu2204", "compshareImage-pytorch24", "compshareImage-comfyui"];
export const TRANSITIONAL = ["Initializing", "Starting", "Stopping", "Rebooting", "Resizing"];
/** Actions that are operations: a RetCode 0 answer means one was accepted and must end with a record. */
export const OPERATIONS = new Set([
  "CreateCompShareInstance",
  "StartCompShareInstance",
  "StopCompShareInstance",
  "RebootCompShareInstance",
  "TerminateCompShareInstance",
  "ResetCompShareInstancePassword",
  "ReinstallCompShareInstance",
  "ResizeCompShareInstance",
  "CreateCompShareCustomImage",
]);
export const FAULT_METHODS: FaultMethod[] = ["provision", "powerOn", "powerOff", "reboot", "hardReboot", "status", "snapshot", "buildImage", "reinstall", "resize", "resetPassword", "destroy", "deleteImage"];
