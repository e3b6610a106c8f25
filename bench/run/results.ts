// ---------------------------------------------------------------------------------------------
// Results

import { round } from "../lib.js";
import type { LoadResult } from "../loadgen.js";

export interface Row {
  name: string;
  db: string;
  instances: number | null;
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  ratio_to_baseline: number | null;
  /** rps over the matching f-limit-* row's (same engine, same instances): how close to the least work. */
  ratio_to_limit: number | null;
  /** The server process's user+system CPU per request, µs. */
  server_cpu_us_per_request: number | null;
}

export interface Detail {
  name: string;
  db: string;
  instances: number | null;
  requests?: number;
  seconds?: number;
  connections?: number;
  /** CPU time of the server process per request, ms: independent of the load generator's limit. */
  server_cpu_ms_per_request?: number | null;
  /** CPU time of PostgreSQL (postmaster and backends) per request, ms. */
  db_cpu_ms_per_request?: number | null;
  mismatches?: number;
  errors?: number;
  timeouts?: number;
  non2xx?: number;
  exhausted?: boolean;
  note?: string;
}

export const rows: Row[] = [];
export const details: Detail[] = [];
export const problems: string[] = [];
export const facts: Record<string, unknown> = {};
/** Rows whose ratio to the baseline is filled in at the end, against the median baseline. */
const ratioRows = new Set<Row>();
/** The baseline is measured several times across the run; ratios use the median. */
export const baselines: LoadResult[] = [];
const provisionalBaseline = () => baselines[baselines.length - 1]?.rps ?? null;

export function record(row: Omit<Row, "ratio_to_baseline" | "ratio_to_limit" | "server_cpu_us_per_request">, detail: Omit<Detail, "name" | "db" | "instances"> = {}, ratio = true): Row {
  const base = provisionalBaseline();
  const cpu = detail.server_cpu_ms_per_request;
  const full: Row = {
    ...row,
    rps: round(row.rps, 1),
    p50_ms: round(row.p50_ms, 3),
    p99_ms: round(row.p99_ms, 3),
    ratio_to_baseline: ratio && row.rps !== null && base ? round(row.rps / base, 3) : null,
    ratio_to_limit: null,
    server_cpu_us_per_request: cpu === null || cpu === undefined ? null : round(cpu * 1000, 1),
  };
  rows.push(full);
  if (ratio && row.rps !== null) ratioRows.add(full);
  details.push({ name: row.name, db: row.db, instances: row.instances, ...detail });
  return full;
}

/** The median baseline window becomes row (a); every ratio is taken against it. */
export function finishBaseline(): void {
  if (baselines.length === 0) return;
  const sorted = [...baselines].sort((a, b) => a.rps - b.rps);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as LoadResult;
  const baseCpu = (median as LoadResult & { cpuMsPerReq?: number | null }).cpuMsPerReq;
  const row: Row = {
    name: "a-baseline",
    db: "none",
    instances: null,
    rps: round(median.rps, 1),
    p50_ms: round(median.p50_ms, 3),
    p99_ms: round(median.p99_ms, 3),
    ratio_to_baseline: 1,
    ratio_to_limit: null,
    server_cpu_us_per_request: baseCpu === null || baseCpu === undefined ? null : round(baseCpu * 1000, 1),
  };
  rows.unshift(row);
  details.unshift({
    name: row.name,
    db: row.db,
    instances: null,
    requests: median.requests,
    seconds: round(median.elapsedS, 2) ?? 0,
    server_cpu_ms_per_request: round((median as LoadResult & { cpuMsPerReq?: number | null }).cpuMsPerReq, 3),
    mismatches: median.mismatches,
    errors: median.errors,
    timeouts: median.timeouts,
    non2xx: median.non2xx,
    note: `median of ${baselines.length} windows spread over the run: ${baselines.map((b) => Math.round(b.rps)).join(", ")} rps`,
  });
  facts.baseline_windows_rps = baselines.map((b) => Math.round(b.rps));
  for (const r of ratioRows) r.ratio_to_baseline = r.rps !== null && median.rps ? round(r.rps / median.rps, 3) : null;
}

/** Which limit row each scenario is measured against. */
export const LIMIT_OF: Record<string, string> = {
  "b-describe-one": "f-limit-describe",
  "c-reboot-accepted": "f-limit-accepted",
  "c-reboot-to-running": "f-limit-accepted",
  "d-reboot-refused": "f-limit-refused",
};

/** Every b/c/d row gets its rps over the f-limit-* row of the same engine and instances. */
export function finishLimits(): void {
  for (const r of rows) {
    const limitName = LIMIT_OF[r.name];
    if (!limitName) continue;
    const limit = find(limitName, r.db, r.instances);
    r.ratio_to_limit = r.rps !== null && limit?.rps ? round(r.rps / limit.rps, 3) : null;
  }
}

export const find = (name: string, db: string, instances: number | null) => rows.find((r) => r.name === name && r.db === db && r.instances === instances);
