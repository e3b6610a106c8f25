// ---------------------------------------------------------------------------------------------
// (c) counted to Running: the operation's whole run, not only its acceptance

import { cpuMs, log, rebootBody, removeTempDir, round, seededId, sleep, startOcsServer, tempDir } from "../lib.js";
import { operationSpans } from "../seed.js";
import { seed, serverEnv, targetFor, type EngineContext } from "./context.js";
import { FORM, load, OK, writeBodies } from "./measure.js";
import type { Options } from "./options.js";
import { problems, record } from "./results.js";

const TO_RUNNING = 750;

/**
 * Accepted reboots of 1k instances whose simulated reboot takes no time (OCS_SIM_BOOT_MS=0), each
 * sent once, as (c) sends them: 250 to warm up, then 750 measured. The rate is the measured
 * operations over the span from the first one's start to the last one's end
 * (operations.started_at … ended_at, the server's clock), so every write of the runner counts.
 */
export async function runToRunning(opts: Options, ctx: EngineContext): Promise<void> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-to-running`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_to_running");
  const server = await startOcsServer({ env: serverEnv(ctx, { OCS_SIM_BOOT_MS: "0" }, databaseUrl), dataDir, label: `${db}-to-running` });
  const { url, pid } = server;
  const ended = async (ids: string[], what: string) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const spans = await operationSpans(target, ids, "RebootCompShareInstance");
      const done = [...spans.values()].filter((s) => s.ended !== null).length;
      if (done === ids.length) return spans;
      if (Date.now() > deadline) throw new Error(`${what}: ${ids.length - done} of ${ids.length} reboots did not reach Running in 120 s`);
      await sleep(50);
    }
  };
  try {
    await seed(ctx, target, 0, opts.small, "1k, to Running");
    const warm = Array.from({ length: opts.small - TO_RUNNING }, (_, i) => seededId(i));
    const measured = Array.from({ length: TO_RUNNING }, (_, i) => seededId(warm.length + i));
    const bodies = (ids: string[]) => ids.map((id) => rebootBody(id, ctx.keys));
    const send = (name: string, ids: string[]) =>
      load({ url, connections: opts.connections, durationS: 1, amount: ids.length, contentType: FORM, bodiesFile: writeBodies(name, bodies(ids)), bodiesMode: "distinct", expect: OK }, pid);
    await send(`to-running-warm-${db}`, warm);
    await ended(warm, "warm-up");
    const cpuBefore = cpuMs(pid);
    const r = await send(`to-running-${db}`, measured);
    const spans = [...(await ended(measured, "c-reboot-to-running")).values()];
    const cpuAfter = cpuMs(pid);
    const first = Math.min(...spans.map((s) => s.started));
    const last = Math.max(...spans.map((s) => s.ended as number));
    const bad = r.mismatches + r.errors + r.timeouts + r.non2xx;
    if (bad > 0) problems.push(`c-reboot-to-running on ${db}: ${bad} bad answers${r.firstMismatch ? `; first: ${r.firstMismatch}` : ""}`);
    const rps = (TO_RUNNING * 1000) / Math.max(1, last - first);
    const row = record(
      { name: "c-reboot-to-running", db, instances: opts.small, rps, p50_ms: r.p50_ms, p99_ms: r.p99_ms },
      {
        requests: r.requests,
        seconds: round((last - first) / 1000, 2) ?? 0,
        connections: opts.connections,
        server_cpu_ms_per_request: cpuBefore !== null && cpuAfter !== null ? round((cpuAfter - cpuBefore) / TO_RUNNING, 3) : null,
        mismatches: r.mismatches,
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        note: "rate = operations / (last ended_at − first started_at); p50/p99 are the acceptance answers' latencies; CPU counts the runner's work to Running",
      },
    );
    log(`  ${"c-reboot-to-running".padEnd(34)} ${db.padEnd(8)} ${String(opts.small).padStart(7)}  ${String(row.rps).padStart(8)} ops/s to Running, over ${round((last - first) / 1000, 2)} s`);
  } finally {
    await server.stop("SIGTERM", 15_000);
    removeTempDir(dataDir);
  }
}
