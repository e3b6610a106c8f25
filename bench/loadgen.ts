/**
 * The load generator, always run as its own process (never inside the server's or the
 * orchestrator's): autocannon against one 127.0.0.1 URL for a bounded time or a bounded
 * number of requests, then one JSON line on stdout.
 *
 *   node --import tsx bench/loadgen.ts SPEC.json
 *
 * The bodies come from the spec: one fixed body; a list cycled by every connection (duplicates
 * wanted: the refused path); or a list where every request takes the next unused body (each
 * accepted reboot targets a distinct instance). Latencies are recorded per response at
 * full resolution (autocannon's own histogram rounds to whole milliseconds).
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import autocannon from "autocannon";

export interface LoadSpec {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  durationS: number;
  /** Exactly this many requests, then stop (used when the distinct bodies are few). */
  amount?: number;
  contentType: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** One body for every request. */
  body?: string;
  /** A file of bodies, one per line. */
  bodiesFile?: string;
  /** `cycle`: every connection goes round the list; `distinct`: each body is sent once. */
  bodiesMode?: "cycle" | "distinct";
  /** A response body must contain one of these, else it counts as a mismatch. */
  expect: string[];
  timeoutS?: number;
  /**
   * The server closes the connection after every response (Werkzeug's development server,
   * moto's): autocannon cannot follow that, so a plain loop of node:http requests with a new
   * connection each is used instead — same connections, bodies, checks and timing.
   */
  connectionClose?: boolean;
}

export interface LoadResult {
  requests: number;
  elapsedS: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  mismatches: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** The distinct bodies ran out before the time was up (the spec was too small). */
  exhausted: boolean;
  /** process.hrtime.bigint() at the start and end, in microseconds (CLOCK_MONOTONIC). */
  startUs: number;
  endUs: number;
  firstMismatch?: string;
}

function percentileOf(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

function readBodies(spec: LoadSpec): string[] {
  return spec.bodiesFile ? readFileSync(spec.bodiesFile, "utf8").split("\n").filter((l) => l.length > 0) : [];
}

/** One request on a new connection; resolves with the status and the body. */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: "/", method: "POST", agent: false, headers: { ...headers, "Content-Length": Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

async function runClosing(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.url);
  const headers = { "Content-Type": spec.contentType, ...spec.headers };
  const bodies = spec.body !== undefined ? [spec.body] : readBodies(spec);
  if (bodies.length === 0) throw new Error("loadgen: no bodies");
  const distinct = spec.body === undefined && spec.bodiesMode !== "cycle";
  let next = 0;
  let exhausted = false;
  const latencies: number[] = [];
  let mismatches = 0;
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  let sent = 0;
  let firstMismatch: string | undefined;
  const startNs = process.hrtime.bigint();
  const stopAt = startNs + BigInt(Math.round(spec.durationS * 1e9));
  const worker = async () => {
    while (spec.amount ? sent < spec.amount : process.hrtime.bigint() < stopAt) {
      sent++;
      if (next >= bodies.length) {
        if (distinct) exhausted = true;
        next = 0;
      }
      const body = bodies[next++] as string;
      const t = process.hrtime.bigint();
      try {
        const { status, text } = await post(url, headers, body, (spec.timeoutS ?? 10) * 1000);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (status < 200 || status > 299) non2xx++;
        else if (!spec.expect.some((e) => text.includes(e))) {
          mismatches++;
          firstMismatch ??= text.slice(0, 300);
        }
      } catch (error) {
        if ((error as Error).message === "timeout") timeouts++;
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const endNs = process.hrtime.bigint();
  const sorted = Float64Array.from(latencies).sort();
  const elapsedS = Number(endNs - startNs) / 1e9;
  return {
    requests: latencies.length,
    elapsedS,
    rps: latencies.length / elapsedS,
    p50_ms: percentileOf(sorted, 50),
    p99_ms: percentileOf(sorted, 99),
    mismatches,
    errors,
    timeouts,
    non2xx,
    exhausted,
    startUs: Number(startNs / 1000n),
    endUs: Number(endNs / 1000n),
    ...(firstMismatch !== undefined ? { firstMismatch } : {}),
  };
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.connectionClose) return runClosing(spec);
  const headers = { "Content-Type": spec.contentType, ...spec.headers };
  const bodies = readBodies(spec);
  let next = 0;
  let exhausted = false;
  let requests: autocannon.Request[];
  if (spec.body !== undefined) {
    requests = [{ method: "POST", path: "/", headers, body: spec.body }];
  } else if (spec.bodiesMode === "cycle") {
    requests = bodies.map((body) => ({ method: "POST", path: "/", headers, body }));
  } else {
    requests = [
      {
        method: "POST",
        path: "/",
        headers,
        setupRequest: (req: autocannon.Request) => {
          if (next >= bodies.length) {
            exhausted = true;
            next = 0;
          }
          return { ...req, body: bodies[next++] as string };
        },
      },
    ];
  }
  if (requests.length === 0) throw new Error("loadgen: no bodies");

  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let lastResponseNs: bigint | undefined;
  let firstMismatch: string | undefined;
  const expect = spec.expect;
  const startNs = process.hrtime.bigint();
  let finish: (error: Error | null, result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    ...(spec.amount ? { amount: spec.amount } : {}),
    timeout: spec.timeoutS ?? 10,
    requests,
    verifyBody: (raw) => {
      const body = raw === undefined ? "" : String(raw);
      const ok = expect.some((e) => body.includes(e));
      if (!ok && firstMismatch === undefined) firstMismatch = body.slice(0, 300);
      return ok;
    },
  }, (error, result) => finish(error, result));
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
    lastResponseNs = process.hrtime.bigint();
  });
  const result = await done;
  // autocannon ends a run on its 1 s sampling tick: the window ends with the last response.
  const endNs = lastResponseNs ?? process.hrtime.bigint();
  const sorted = latencies.slice(0, count).sort();
  const elapsedS = Number(endNs - startNs) / 1e9;
  return {
    requests: count,
    elapsedS,
    rps: count / elapsedS,
    p50_ms: percentileOf(sorted, 50),
    p99_ms: percentileOf(sorted, 99),
    mismatches: result.mismatches,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    exhausted,
    startUs: Number(startNs / 1000n),
    endUs: Number(endNs / 1000n),
    ...(firstMismatch !== undefined ? { firstMismatch } : {}),
  };
}

// Only ever run as a script; the orchestrator imports nothing but the types above.
const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node --import tsx bench/loadgen.ts SPEC.json\n");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(file, "utf8")) as LoadSpec;
if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(spec.url)) {
  process.stderr.write(`loadgen: refusing ${spec.url}: only http://127.0.0.1:PORT is a target\n`);
  process.exit(2);
}
// Bounded whatever happens: the run ends by itself.
const hardStop = setTimeout(() => {
  process.stderr.write("loadgen: hard time limit reached\n");
  process.exit(3);
}, ((spec.amount ? 60 : spec.durationS) + (spec.timeoutS ?? 10) + 20) * 1000);
hardStop.unref();
const result = await runLoad(spec);
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
