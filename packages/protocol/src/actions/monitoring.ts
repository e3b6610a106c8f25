/** Monitoring: CPU, memory, disk and GPU series of instances. */
import { t } from "../schema.js";
import { defineAction, inRegion, uhostIds } from "./contract.js";

const Values = t.array(t.object({ Timestamp: t.int(), Value: t.float() }), { max: 100_000 });
const Metric = t.object({
  MetricKey: t.string(),
  Tags: t.record(t.array(t.string())),
  Results: t.array(t.object({ ResourceId: t.string(), LongResourceId: t.string(), TagMap: t.record(t.string()), Values }), { max: 64 }),
});

export const GetCompShareInstanceMonitor = defineAction({
  name: "GetCompShareInstanceMonitor",
  family: "monitoring",
  summary: "Usage series of up to 10 instances: the last 60 s; one instance with StartTime/EndTime gets that range and traffic too.",
  idempotent: true,
  request: t.object({
    ...inRegion,
    UHostIds: uhostIds(100),
    StartTime: t.optional(t.int({ min: 0 })),
    EndTime: t.optional(t.int({ min: 0 })),
  }),
  // PodList is the CompShare CLI's (container instances in production); this server lists every instance in List.
  response: t.object({
    Data: t.object({
      List: t.array(t.object({ UHostId: t.string(), Metrics: t.array(Metric, { max: 64 }) }), { max: 10 }),
      PodList: t.array(t.object({ UHostId: t.string(), Metrics: t.array(Metric, { max: 64 }) }), { max: 10 }),
    }),
  }),
});
