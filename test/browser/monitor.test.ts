/** The monitoring charts' data without the page (packages/console/src/monitor.ts): windows, series, text alternatives. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { en, type Key } from "../../packages/console/src/i18n/en.js";
import { zh } from "../../packages/console/src/i18n/zh.js";
import { aligned, chartsOf, monitorRequest, statsOf, summaryOf, type MonitorAnswer } from "../../packages/console/src/monitor.js";

const translate = (table: Record<Key, string>) => (key: Key, vars: Record<string, string | number> = {}) =>
  Object.entries(vars).reduce((s, [k, v]) => s.split(`{${k}}`).join(String(v)), table[key]);
const t = translate(en);

const values = (pairs: [number, number][]) => pairs.map(([Timestamp, Value]) => ({ Timestamp, Value }));
const answer: MonitorAnswer = {
  Data: {
    List: [
      {
        UHostId: "uhost-1",
        Metrics: [
          { MetricKey: "uhost_cpu_used", Results: [{ TagMap: {}, Values: values([[120, 31], [60, 12.14], [180, 23.36]]) }] },
          { MetricKey: "cloudwatch_memory_usage", Results: [{ TagMap: {}, Values: [] }] },
          {
            MetricKey: "cloudwatch_gpu_util",
            Results: [
              { TagMap: { gpu_bus_id: "0000:01:00.0" }, Values: values([[60, 40], [120, 50]]) },
              { TagMap: { gpu_bus_id: "0000:02:00.0" }, Values: values([[120, 7.5]]) },
            ],
          },
        ],
      },
    ],
  },
};

describe("the console's monitoring data", () => {
  it("asks for the window that ends at the server's now", () => {
    assert.deepEqual(monitorRequest({ UHostId: "uhost-1", Region: "cn-wlcb", Zone: "cn-wlcb-01" }, "6h", 1_800_000_000.9), {
      Region: "cn-wlcb",
      Zone: "cn-wlcb-01",
      UHostIds: ["uhost-1"],
      StartTime: 1_800_000_000 - 21_600,
      EndTime: 1_800_000_000,
    });
  });

  it("reads each chart's series in time order, one per GPU, and aligns them on one time axis", () => {
    const charts = chartsOf(answer, "uhost-1");
    assert.deepEqual(charts.map((c) => [c.key, c.series.length]), [["cpu", 1], ["memory", 1], ["gpuUtil", 2], ["gpuMemory", 0]]);
    assert.deepEqual(charts[0]!.series[0], { gpu: "", times: [60, 120, 180], values: [12.14, 31, 23.36] });
    assert.deepEqual(aligned(charts[2]!.series), [[60, 120], [40, 50], [null, 7.5]]);
    assert.deepEqual(chartsOf(answer, "uhost-2").map((c) => c.series.length), [0, 0, 0, 0]);
    assert.deepEqual(statsOf([12.14, 31, 23.36]), { latest: 23.36, min: 12.14, max: 31 });
    assert.equal(statsOf([]), undefined);
  });

  it("says each chart's latest value and range, per GPU where there are several, or why there is no data", () => {
    const [cpu, memory, gpu] = chartsOf(answer, "uhost-1");
    assert.equal(summaryOf(t, cpu, "cpu", "1h", true), "CPU usage: latest 23.4 %, range 12.1–31.0 % over the last hour");
    assert.equal(
      summaryOf(t, gpu, "gpuUtil", "24h", true),
      "GPU utilisation: GPU 0000:01:00.0: latest 50.0 %, range 40.0–50.0 %; GPU 0000:02:00.0: latest 7.5 %, range 7.5–7.5 % over the last 24 hours",
    );
    assert.equal(summaryOf(t, memory, "memory", "6h", true), "Memory usage: no data over the last 6 hours");
    assert.equal(summaryOf(t, memory, "memory", "6h", false), "Memory usage: no data, the instance is not running");
    assert.equal(summaryOf(t, undefined, "gpuMemory", "1h", true), "GPU memory usage: loading…");
    assert.equal(summaryOf(translate(zh), cpu, "cpu", "1h", true), "CPU 使用率：最近 1 小时，最新 23.4%，范围 12.1–31.0%");
  });
});
