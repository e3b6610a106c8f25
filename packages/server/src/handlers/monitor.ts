/**
 * GetCompShareInstanceMonitor: CPU, memory, disk and GPU series from the machines, in CompShare's
 * shape. Several instances (at most 10) get the last 60 seconds and the base metrics; one
 * instance with StartTime/EndTime gets that range and the network and disk traffic too. On
 * hosts that report GPU health, `ocs_gpu_healthy` (an extension) is 1 or 0 per GPU, as last reported.
 */
import { ApiError, commonErrors, type MetricPoint } from "@opencompshare/protocol";
import { findOwnedInstance, type StoredMonitor } from "../store/repositories/instances.js";
import type { ActionsOf, HandlerMap } from "./registry.js";

const MAX_INSTANCES = 10;
const RECENT_S = 60;
const MAX_RANGE_S = 7 * 86_400;

/** The health of the instance's GPUs, as its host last reported it (agent hosts report it; the simulated fleet does not). */
function gpuHealth(monitor: StoredMonitor): Array<{ device: string; healthy: boolean }> {
  const info: ReadonlyArray<{ Device?: unknown; Healthy?: unknown }> = monitor.GpuInfo ?? [];
  return info.filter((g) => typeof g.Device === "string" && typeof g.Healthy === "boolean").map((g) => ({ device: g.Device as string, healthy: g.Healthy as boolean }));
}

const values = (points: MetricPoint[] | undefined, from: number, to: number) =>
  (points ?? []).filter((p) => p.t >= from && p.t <= to).map((p) => ({ Timestamp: p.t, Value: p.v }));

export const monitorHandlers: HandlerMap<ActionsOf<"monitoring">> = {
  async GetCompShareInstanceMonitor(ctx, req) {
    const { db, machines, clock } = ctx.services;
    const ids = [...new Set(req.UHostIds)];
    if (ids.length > MAX_INSTANCES) throw commonErrors.invalidParam("UHostIds", `at most ${MAX_INSTANCES} instances at once`);
    const now = Math.floor(clock.now() / 1000);
    const ranged = ids.length === 1 && (req.StartTime !== undefined || req.EndTime !== undefined);
    const to = ranged ? Math.min(req.EndTime ?? now, now) : now;
    const from = ranged ? (req.StartTime ?? to - RECENT_S) : now - RECENT_S;
    if (from > to) throw commonErrors.invalidParam("StartTime", "before EndTime");
    if (to - from > MAX_RANGE_S) throw commonErrors.invalidParam("StartTime", "a range of at most 7 days");
    const list = [];
    for (const id of ids) {
      const inst = await findOwnedInstance(db, id, ctx.caller.accountId, ctx.caller.projectId);
      if (!inst) throw new ApiError("InstanceNotFound", `instance ${id} does not exist`);
      const m = await machines.metrics(id, now - from, { signal: AbortSignal.timeout(10_000) });
      const one = (key: string, points: MetricPoint[] | undefined, tag: Record<string, string> = {}) => ({
        MetricKey: key,
        Tags: { uuid: [id], ...Object.fromEntries(Object.entries(tag).map(([k, v]) => [k, [v]])) },
        Results: [{ ResourceId: id, LongResourceId: id, TagMap: tag, Values: values(points, from, to) }],
      });
      const perGpu = (key: string, pick: (g: (typeof m.gpus)[number]) => MetricPoint[]) => ({
        MetricKey: key,
        Tags: { uuid: [id], gpu_bus_id: m.gpus.map((g) => g.device) },
        Results: m.gpus.map((g) => ({ ResourceId: id, LongResourceId: id, TagMap: { gpu_bus_id: g.device }, Values: values(pick(g), from, to) })),
      });
      const metrics = [
        one("uhost_cpu_used", m.cpu),
        one("cloudwatch_memory_usage", m.memory),
        one("cloudwatch_sys_disk_used_per", m.systemDisk, { mount: "/" }),
        one("cloudwatch_data_disk_used_per", [], { mount: "/data" }),
        perGpu("cloudwatch_gpu_memory_usage", (g) => g.memory),
        perGpu("cloudwatch_gpu_util", (g) => g.util),
      ];
      const health = gpuHealth(inst.monitor);
      if (health.length > 0) {
        metrics.push({
          MetricKey: "ocs_gpu_healthy",
          Tags: { uuid: [id], gpu_bus_id: health.map((g) => g.device) },
          Results: health.map((g) => ({ ResourceId: id, LongResourceId: id, TagMap: { gpu_bus_id: g.device }, Values: [{ Timestamp: to, Value: g.healthy ? 1 : 0 }] })),
        });
      }
      if (ranged) {
        metrics.push(one("uhost_net_in_flow", m.netIn), one("uhost_net_out_flow", m.netOut), one("uhost_disk_read", m.diskRead), one("uhost_disk_write", m.diskWrite));
      }
      list.push({ UHostId: id, Metrics: metrics });
    }
    return { Data: { List: list, PodList: [] } };
  },
};
