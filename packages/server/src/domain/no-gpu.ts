/**
 * No-GPU mode (无卡模式), as CompShare's guide gives it: a pay-as-you-go instance of a listed GPU
 * type may start from Stopped without its GPUs, as 1 CPU and 4 GB at the no-GPU price; one such
 * instance per account at a time. Pure: the checks read a snapshot and answer with the refusal.
 * (That it starts from Stopped is the rule table's: Start and Resize need Stopped.)
 */
import { ApiError, commonErrors } from "@opencompshare/protocol";

export const NO_GPU_SPEC = { Cpu: 1, Memory: 4096, Gpu: 0 } as const;

/** The specifications the official CLI offers (`--without-gpu A|B`): CompShare documents one, 1 CPU and 4 GB. */
export const NO_GPU_SPEC_NAMES: ReadonlySet<string> = new Set(["A"]);

export interface NoGpuSnapshot {
  id: string;
  chargeType: string;
  gpuType: string;
  /** Whether the catalog lists the GPU type as able to start without its GPUs. */
  typeSupports: boolean;
}

/** Whether the instance may run in no-GPU mode at all (Describe's SupportWithoutGpuStart). */
export function supportsNoGpu(s: Pick<NoGpuSnapshot, "chargeType" | "typeSupports">): boolean {
  return s.chargeType === "Postpay" && s.typeSupports;
}

/** The refusal of no-GPU mode for this instance, if a rule forbids it. `param` names the request's parameter. */
export function noGpuRefusal(s: NoGpuSnapshot, param: string): ApiError | null {
  if (s.chargeType !== "Postpay") {
    return commonErrors.invalidParam(param, `instance ${s.id} is ${s.chargeType}: only pay-as-you-go (Postpay) instances start without GPUs`);
  }
  if (!s.typeSupports) {
    return commonErrors.invalidParam(param, `instance ${s.id} has ${s.gpuType} GPUs: no-GPU mode is for RTX3090, RTX4090, RTX4090-48, RTX5090, A800 and H20`);
  }
  return null;
}

/** The refusal when another instance of the account already runs in no-GPU mode. */
export function noGpuTaken(id: string, holder: string): ApiError {
  return new ApiError("WithoutGpuLimit", `instance ${holder} of this account is already in no-GPU mode: stop it before ${id} starts without GPUs`);
}

/** Reads the request's choice: `WithoutGpu` (the API) or `WithoutGpuSpec` (the CLI); undefined when neither is given. */
export function requestedNoGpu(req: { WithoutGpu?: boolean | undefined; WithoutGpuSpec?: string | undefined }): boolean | undefined {
  if (req.WithoutGpuSpec !== undefined && req.WithoutGpuSpec !== "") {
    if (!NO_GPU_SPEC_NAMES.has(req.WithoutGpuSpec)) {
      throw commonErrors.invalidParam("WithoutGpuSpec", `no-GPU specification ${JSON.stringify(req.WithoutGpuSpec)} is not offered: A (1 CPU, 4 GB)`);
    }
    return true;
  }
  return req.WithoutGpu;
}
