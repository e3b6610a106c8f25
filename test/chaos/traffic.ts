/** The soak's traffic: what one worker of an account does, step by step, until the traffic ends. */
import { setTimeout as sleep } from "node:timers/promises";
import type { NestedValue } from "@opencompshare/protocol";
import { int, pick, random, weighted } from "./random.js";
import { GPU_TYPES, MAX_OWN_INSTANCES, PLATFORM_IMAGES, REGION, sizeOf } from "./settings.js";
import { accepted, accounts, api, cross, listedForeign, onInstance, type Account } from "./state.js";

export const ownIn = (acct: Account, ...states: string[]): string | undefined => {
  const all = [...acct.own.keys()];
  // Mostly an instance in a state the action accepts; sometimes any, to meet the refusals too.
  const fitting = all.filter((id) => states.includes(acct.own.get(id) ?? ""));
  return random() < 0.75 && fitting.length > 0 ? pick(fitting) : pick(all);
};

export async function describe(acct: Account): Promise<void> {
  const res = await api(acct, "DescribeCompShareInstance", { ...REGION, Limit: 100 });
  if (res.retCode !== 0) return;
  const set = (res.body.UHostSet as Array<{ UHostId: string; State: string }> | undefined) ?? [];
  acct.own.clear();
  for (const inst of set) {
    checkListed(acct, inst.UHostId, "DescribeCompShareInstance");
    acct.own.set(inst.UHostId, inst.State);
  }
}

/** A listed instance must be the caller's: never one another account created. */
export function checkListed(acct: Account, id: string, how: string): void {
  const owner = accounts.find((a) => a !== acct && a.created.has(id));
  if (owner) listedForeign.push(`${how} of ${acct.name} listed ${id} of ${owner.name}`);
}

export const password = () => Buffer.from(`pw-${int(0, 1e9)}`).toString("base64");

export async function crossAttempt(acct: Account): Promise<void> {
  const other = pick(accounts.filter((a) => a !== acct)) as Account;
  const id = pick([...other.created]);
  if (!id) return;
  const action = pick([
    "StartCompShareInstance",
    "StopCompShareInstance",
    "RebootCompShareInstance",
    "TerminateCompShareInstance",
    "ResetCompShareInstancePassword",
    "ReinstallCompShareInstance",
    "ResizeCompShareInstance",
    "ModifyCompShareInstanceName",
    "CreateCompShareCustomImage",
    "DescribeCompShareInstanceOperations",
    "UpdateCompShareStopScheduler",
    "DeleteCompShareStopScheduler",
    "DescribeCompShareInstance",
  ]) as string;
  cross.attempts++;
  if (action === "DescribeCompShareInstance") {
    const res = await api(acct, action, { ...REGION, "UHostIds.0": id });
    if (res.retCode === null || res.retCode === 153) return void cross.neutral++;
    const set = (res.body.UHostSet as Array<{ UHostId: string }> | undefined) ?? [];
    if (res.retCode !== 0 || set.some((i) => i.UHostId === id)) cross.violations.push(`${acct.name} Describe of ${other.name}'s ${id}: RetCode ${res.retCode}, ${set.length} listed`);
    else cross.notFound++;
    return;
  }
  const extra: Record<string, NestedValue> = {
    ResetCompShareInstancePassword: { Password: password() },
    ReinstallCompShareInstance: { CompShareImageId: PLATFORM_IMAGES[0] as string },
    ResizeCompShareInstance: (({ GPU, CPU, Memory }) => ({ Gpu: GPU, Cpu: CPU, Memory }))(sizeOf("4090", 1)),
    ModifyCompShareInstanceName: { Name: `taken-by-${acct.name}` },
    CreateCompShareCustomImage: { Name: `stolen-by-${acct.name}` },
    UpdateCompShareStopScheduler: { StopTime: Math.floor(Date.now() / 1000) + 600 },
  }[action] ?? {};
  const params: Record<string, NestedValue> = { ...REGION, UHostId: id, ...extra };
  if (action === "DescribeCompShareInstanceOperations") delete params.Zone;
  const res = await api(acct, action, params);
  if (res.retCode === null || res.retCode === 153) cross.neutral++;
  else if (res.retCode === 8039) cross.notFound++;
  else cross.violations.push(`${acct.name} ${action} on ${other.name}'s ${id}: RetCode ${res.retCode} ${String(res.body.Message ?? "")}`);
}

export async function step(acct: Account): Promise<void> {
  const n = acct.own.size;
  const action = weighted<string>([
    [n < MAX_OWN_INSTANCES ? 10 : 1, "create"],
    [14, "describe"],
    [8, "start"],
    [8, "stop"],
    [10, "reboot"],
    [n >= 2 ? 3 : 0, "terminate"],
    [5, "password"],
    [4, "reinstall"],
    [4, "resize"],
    [4, "rename"],
    [3, "image"],
    [3, "images"],
    [5, "operations"],
    [2, "scheduler"],
    [8, "cross"],
  ]);
  switch (action) {
    case "create": {
      const gpuType = pick(GPU_TYPES) as string;
      const res = await api(acct, "CreateCompShareInstance", {
        ...REGION,
        ...sizeOf(gpuType, int(1, 2)),
        GpuType: gpuType,
        MachineType: "G",
        CompShareImageId: random() < 0.8 || acct.images.length === 0 ? (pick(PLATFORM_IMAGES) as string) : (pick(acct.images) as string),
        Name: `${acct.name}-${int(0, 999)}`,
        // Prepaid creates pay at once, pay-as-you-go ones by the hour: the ledger invariant sees both.
        ChargeType: pick(["Month", "Day", "Postpay", "Postpay"]) as string,
      });
      if (res.retCode === 0) {
        for (const id of res.body.UHostIds as string[]) {
          acct.created.add(id);
          acct.own.set(id, "Initializing");
          acct.types.set(id, gpuType);
          accepted.push({ account: acct.name, action: "CreateCompShareInstance", uhostId: id, requestId: res.requestId });
        }
      }
      return;
    }
    case "describe":
      return describe(acct);
    case "cross":
      return crossAttempt(acct);
    case "images": {
      const res = await api(acct, "DescribeCompShareCustomImages", { ...REGION, Limit: 100 });
      if (res.retCode === 0) acct.images = ((res.body.ImageSet as Array<{ CompShareImageId: string }>) ?? []).map((i) => i.CompShareImageId);
      const id = pick(acct.images);
      if (id && random() < 0.5) await api(acct, "GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: id });
      else if (id && random() < 0.3) await api(acct, "TerminateCompShareCustomImage", { ...REGION, CompShareImageId: id });
      return;
    }
  }
  if (n === 0) return describe(acct);
  switch (action) {
    case "start":
      await onInstance(acct, "StartCompShareInstance", ownIn(acct, "Stopped") as string);
      return;
    case "stop":
      await onInstance(acct, "StopCompShareInstance", ownIn(acct, "Running") as string);
      return;
    case "reboot":
      await onInstance(acct, "RebootCompShareInstance", ownIn(acct, "Running") as string);
      return;
    case "terminate": {
      // Only a stopped instance may be deleted (a prepaid one is refunded).
      const id = ownIn(acct, "Stopped", "Install Fail") as string;
      const res = await onInstance(acct, "TerminateCompShareInstance", id);
      if (res.retCode === 0) acct.own.delete(id);
      return;
    }
    case "password":
      await onInstance(acct, "ResetCompShareInstancePassword", ownIn(acct, "Running", "Stopped") as string, { Password: password() });
      return;
    case "reinstall": {
      const image = random() < 0.7 || acct.images.length === 0 ? (pick(PLATFORM_IMAGES) as string) : (pick(acct.images) as string);
      await onInstance(acct, "ReinstallCompShareInstance", ownIn(acct, "Stopped", "Install Fail") as string, { CompShareImageId: image, Password: password() });
      return;
    }
    case "resize": {
      // A compute resize names GPU, CPU and memory together (a valid size of the instance's GPU type); a disk resize stands alone.
      const id = ownIn(acct, "Stopped") as string;
      const size = sizeOf(acct.types.get(id) ?? "4090", int(1, 3));
      const change = weighted<Record<string, NestedValue>>([
        [9, { Gpu: size.GPU, Cpu: size.CPU, Memory: size.Memory }],
        [1, { DiskSpace: int(50, 200) }],
      ]);
      await onInstance(acct, "ResizeCompShareInstance", id, change);
      return;
    }
    case "rename":
      await onInstance(acct, "ModifyCompShareInstanceName", pick([...acct.own.keys()]) as string, { Name: `${acct.name}-renamed-${int(0, 999)}` });
      return;
    case "image": {
      // An image is made only of a Running instance.
      const res = await onInstance(acct, "CreateCompShareCustomImage", ownIn(acct, "Running") as string, { Name: `${acct.name}-img-${int(0, 999)}` });
      if (res.retCode === 0) acct.images.push(res.body.CompShareImageId as string);
      return;
    }
    case "operations": {
      const id = pick([...acct.own.keys()]) as string;
      const res = await api(acct, "DescribeCompShareInstanceOperations", { Region: REGION.Region, UHostId: id, Limit: 20 });
      for (const op of (res.body.OperationSet as Array<{ UHostId: string }> | undefined) ?? []) checkListed(acct, op.UHostId, "DescribeCompShareInstanceOperations");
      return;
    }
    case "scheduler": {
      const id = pick([...acct.own.keys()]) as string;
      // At least 5 minutes ahead, as CompShare requires: a schedule set here never fires within the soak.
      if (random() < 0.6) await api(acct, "UpdateCompShareStopScheduler", { ...REGION, UHostId: id, StopTime: Math.floor(Date.now() / 1000) + int(300, 1200) });
      else await api(acct, "DeleteCompShareStopScheduler", { ...REGION, UHostId: id });
      return;
    }
  }
}

export async function worker(acct: Account, until: number): Promise<void> {
  while (Date.now() < until) {
    await step(acct);
    await sleep(int(10, 80));
  }
}
