/**
 * The instance page's usage charts, without the page: which window to ask
 * GetCompShareInstanceMonitor for, its answer as one series per chart (per GPU for the GPU
 * charts), the series aligned on one time axis for uPlot, and each chart's text alternative
 * (its latest value and its range over the window).
 */
import type { Key } from "./i18n/en.js";

export const WINDOW_KEYS = ["1h", "6h", "24h"] as const;
export type WindowKey = (typeof WINDOW_KEYS)[number];
export const WINDOW_S: Record<WindowKey, number> = { "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600 };

/** The page asks again this often while it is open. */
export const POLL_MS = 30_000;
/** An answer from a server whose clock is this far past the window's end is asked again. */
export const STALE_S = 5;

export const CHART_KEYS = ["cpu", "memory", "gpuUtil", "gpuMemory"] as const;
export type ChartKey = (typeof CHART_KEYS)[number];
/** The API's MetricKey of each chart; the GPU ones have a result per GPU (TagMap.gpu_bus_id). */
export const METRIC_OF: Record<ChartKey, string> = {
  cpu: "uhost_cpu_used",
  memory: "cloudwatch_memory_usage",
  gpuUtil: "cloudwatch_gpu_util",
  gpuMemory: "cloudwatch_gpu_memory_usage",
};

export interface Series {
  /** The GPU's bus id, or "" for the instance's own series. */
  gpu: string;
  times: number[];
  values: number[];
}

export interface ChartData {
  key: ChartKey;
  series: Series[];
}

/** What GetCompShareInstanceMonitor answers (the parts the charts use). */
export interface MonitorAnswer {
  Data: {
    List: {
      UHostId: string;
      Metrics: { MetricKey: string; Results: { TagMap: Record<string, string>; Values: { Timestamp: number; Value: number }[] }[] }[];
    }[];
  };
}

export interface MonitorRequest {
  Region: string;
  Zone: string;
  UHostIds: string[];
  StartTime: number;
  EndTime: number;
}

/** The request for the window that ends at `nowS` (Unix seconds, the server's clock). */
export function monitorRequest(inst: { UHostId: string; Region: string; Zone: string }, window: WindowKey, nowS: number): MonitorRequest {
  const end = Math.floor(nowS);
  return { Region: inst.Region, Zone: inst.Zone, UHostIds: [inst.UHostId], StartTime: end - WINDOW_S[window], EndTime: end };
}

/** The four charts of `uhostId` in an answer, each with its series in time order. */
export function chartsOf(answer: MonitorAnswer, uhostId: string): ChartData[] {
  const metrics = answer.Data.List.find((x) => x.UHostId === uhostId)?.Metrics ?? [];
  return CHART_KEYS.map((key) => {
    const results = metrics.find((m) => m.MetricKey === METRIC_OF[key])?.Results ?? [];
    const series = results.map((r) => {
      const points = [...r.Values].sort((a, b) => a.Timestamp - b.Timestamp);
      return { gpu: r.TagMap.gpu_bus_id ?? "", times: points.map((p) => p.Timestamp), values: points.map((p) => p.Value) };
    });
    return { key, series };
  });
}

/** uPlot's data: one time axis (every series' times) and each series on it, null where it has no point. */
export function aligned(series: readonly Series[]): [number[], ...(number | null)[][]] {
  const times = [...new Set(series.flatMap((s) => s.times))].sort((a, b) => a - b);
  const ys = series.map((s) => {
    const at = new Map(s.times.map((t, i) => [t, s.values[i] ?? null]));
    return times.map((t) => at.get(t) ?? null);
  });
  return [times, ...ys];
}

export interface Stats {
  latest: number;
  min: number;
  max: number;
}

export function statsOf(values: readonly number[]): Stats | undefined {
  const latest = values.at(-1);
  if (latest === undefined) return undefined;
  return { latest, min: Math.min(...values), max: Math.max(...values) };
}

/** A percentage as the text alternative says it: one decimal. */
export const pct = (v: number): string => v.toFixed(1);

type Translate = (key: Key, vars?: Record<string, string | number>) => string;

/** The chart's text alternative: its latest value and range over the window, per GPU where there are several; or why there is none. */
export function summaryOf(t: Translate, chart: ChartData | undefined, key: ChartKey, window: WindowKey, running: boolean): string {
  const metric = t(`metric.${key}`);
  const over = t(`over.${window}`);
  if (!chart) return t("chartLoading", { metric });
  const parts = chart.series.flatMap((s) => {
    const st = statsOf(s.values);
    if (!st) return [];
    const name = chart.series.length > 1 ? t("gpuName", { bus: s.gpu }) : "";
    return [t("seriesStats", { name, latest: pct(st.latest), min: pct(st.min), max: pct(st.max) })];
  });
  if (parts.length === 0) return running ? t("chartNoData", { metric, over }) : t("chartNotRunning", { metric });
  return t("chartSummary", { metric, over, stats: parts.join(t("listSep")) });
}
