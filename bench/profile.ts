/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) of the server: self time and inclusive time
 * per function, and time per component (our packages, Kysely, the SQLite binding, pg, pino,
 * Node's HTTP stack, GC), optionally within one time window (microseconds of the monotonic
 * clock, which V8's profile timestamps and process.hrtime share).
 *
 *   node --import tsx bench/profile.ts FILE.cpuprofile   → a text summary of the whole profile
 */
import { readFileSync } from "node:fs";
import { ROOT } from "./lib.js";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  ms: number;
  pct: number;
}

export interface Summary {
  /** Sampled time in the window, ms (idle included). */
  totalMs: number;
  /** Sampled time in the window without (idle), ms: the CPU the process used. */
  busyMs: number;
  components: Entry[];
  self: Entry[];
  inclusive: Entry[];
}

function shortUrl(url: string): string {
  let u = url.replace(/^file:\/\//, "");
  if (u.startsWith(ROOT)) u = u.slice(ROOT.length);
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) u = u.slice(nm + "node_modules/".length);
  return u;
}

export function component(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(idle)" || functionName === "(program)" || functionName === "(garbage collector)") return functionName;
    return "native (bindings, builtins)";
  }
  const u = shortUrl(url);
  // better-sqlite3's run()/all() are native and have no frame of their own: their time is the
  // self time of Kysely's SQLite driver function that calls them.
  if (u.startsWith("kysely/dist/esm/dialect/sqlite/sqlite-driver.js") && functionName === "executeQuery") return "SQLite statement execution (native, in Kysely's executeQuery)";
  if (u.startsWith("better-sqlite3/lib/methods/wrappers.js") && functionName === "prepare") return "SQLite statement preparation (better-sqlite3 prepare, native)";
  if (u.startsWith("packages/server/src/http/")) return "ocs server: http pipeline";
  if (u.startsWith("packages/server/src/operations/")) return "ocs server: operations (engine, runner)";
  if (u.startsWith("packages/server/src/drivers/")) return "ocs server: simulated driver";
  if (u.startsWith("packages/server/src/store/")) return "ocs server: store";
  if (u.startsWith("packages/server/src/")) return "ocs server: other (actions, accounts, secrets, views)";
  if (u.startsWith("packages/protocol/")) return "ocs protocol (parse, validate, sign)";
  if (u.startsWith("packages/")) return "ocs other packages";
  if (u.startsWith("kysely/")) return "kysely";
  if (u.startsWith("better-sqlite3/")) return "better-sqlite3 (JS side)";
  if (u.startsWith("pg") || u.startsWith("pg-")) return "pg driver";
  if (u.startsWith("pino") || u.startsWith("sonic-boom") || u.startsWith("fast-redact") || u.startsWith("@pinojs") || u.startsWith("thread-stream")) return "pino";
  if (u.startsWith("tsx/") || u.startsWith("esbuild/")) return "tsx (loading)";
  if (u.startsWith("node:internal/http") || u.startsWith("node:_http") || u.startsWith("node:http")) return "node: http";
  if (u.startsWith("node:internal/streams") || u.startsWith("node:stream") || u.startsWith("node:net") || u.startsWith("node:internal/stream_base")) return "node: net, streams";
  if (u.startsWith("node:")) return "node: other internals";
  return "other JS";
}

const label = (f: CallFrame): string =>
  `${f.functionName || "(anonymous)"}${f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ""}`;

export function summarize(profile: CpuProfile, window?: { fromUs: number; toUs: number }, top = 25): Summary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const comp = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // The sample's weight is the time until the next sample.
    const w = (profile.timeDeltas[i + 1] ?? dt) / 1000;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    total += w;
    if (node.callFrame.functionName === "(idle)") {
      idle += w;
      continue;
    }
    const name = label(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + w);
    const c = component(node.callFrame);
    comp.set(c, (comp.get(c) ?? 0) + w);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)?.callFrame;
      if (!f || f.functionName === "(root)") continue;
      const l = label(f);
      if (seen.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + w);
    }
  }
  const busy = total - idle;
  const entries = (m: Map<string, number>, n: number): Entry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10, pct: busy > 0 ? Math.round((ms / busy) * 1000) / 10 : 0 }));
  return {
    totalMs: Math.round(total),
    busyMs: Math.round(busy),
    components: entries(comp, 30),
    self: entries(self, top),
    inclusive: entries(incl, top * 2),
  };
}

export function formatSummary(title: string, s: Summary, requests?: number): string {
  const perReq = (ms: number) => (requests ? ` | ${((ms * 1000) / requests).toFixed(1)}` : "");
  const head = requests ? " | µs/request" : "";
  const sep = requests ? "|---:" : "";
  const table = (rows: Entry[]) =>
    [`| function | ms | % of busy${head} |`, `|---|---:|---:${sep}|`, ...rows.map((r) => `| \`${r.name}\` | ${r.ms} | ${r.pct}${perReq(r.ms)} |`)].join("\n");
  return [
    `### ${title}`,
    "",
    `Sampled ${s.totalMs} ms, busy (not idle) ${s.busyMs} ms${requests ? `, ${requests} requests: ${((s.busyMs * 1000) / requests).toFixed(0)} µs of CPU per request` : ""}.`,
    "",
    "By component (self time):",
    "",
    table(s.components),
    "",
    "Top self time:",
    "",
    table(s.self),
    "",
    "Top inclusive time (a function and what it calls, synchronous part):",
    "",
    table(s.inclusive.filter((e) => !e.name.startsWith("(program)") && !e.name.startsWith("(garbage"))),
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"))) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node --import tsx bench/profile.ts FILE.cpuprofile\n");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  process.stdout.write(formatSummary(file, summarize(profile)));
}
