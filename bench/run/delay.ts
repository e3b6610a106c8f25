// ---------------------------------------------------------------------------------------------
// The control plane's own delay: from the simulated driver finishing a reboot (sim_journal.until,
// the server's clock) to the first Describe that shows the instance Running (this process's
// clock; same machine, same clock). Each instance is polled alone, back to back, from shortly
// before its reboot is due, so the poll's own cost stays small; the resolution is one poll.

import { describeOneBody, log, percentile, postForm, rebootBody, REGION, removeTempDir, round, seededId, signedForm, sleep, startOcsServer, tempDir } from "../lib.js";
import { journalUntil, operationEnds } from "../seed.js";
import { seed, serverEnv, targetFor, type EngineContext } from "./context.js";
import { FORM, OK, scenario, warmUp } from "./measure.js";
import type { Options } from "./options.js";
import { facts, problems, record } from "./results.js";

export const DELAY_BOOT_MS = 1000;
export const DELAY_INSTANCES = 40;
export const DELAY_STAGGER_MS = 100;

const nowMs = () => performance.timeOrigin + performance.now();

export async function runDelay(opts: Options, ctx: EngineContext): Promise<void> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-delay`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_delay");
  let server = await startOcsServer({ env: serverEnv(ctx, { OCS_SIM_BOOT_MS: String(DELAY_BOOT_MS) }, databaseUrl), dataDir, label: `${db}-delay` });
  try {
    await seed(ctx, target, 0, opts.small, "1k, delay server");
    const ids = Array.from({ length: DELAY_INSTANCES }, (_, i) => seededId(i * 7));
    const accepted = new Map<string, number>();
    const seen = new Map<string, number>();
    const lastNotRunning = new Map<string, number>();
    const rtts: number[] = [];
    // warm the paths first (one reboot cycle of an instance not measured)
    await postForm(server.url, describeOneBody(seededId(999), ctx.keys));
    const rebooter = (async () => {
      for (const id of ids) {
        const t = nowMs();
        const r = await postForm(server.url, rebootBody(id, ctx.keys));
        if (r.RetCode !== 0) throw new Error(`delay: reboot of ${id} answered ${JSON.stringify(r).slice(0, 300)}`);
        accepted.set(id, t);
        await sleep(DELAY_STAGGER_MS);
      }
    })();
    const deadline = nowMs() + DELAY_INSTANCES * DELAY_STAGGER_MS + DELAY_BOOT_MS + 15_000;
    let rebootError: unknown;
    rebooter.catch((e: unknown) => (rebootError = e));
    while (seen.size < ids.length && nowMs() < deadline && rebootError === undefined) {
      const due = ids.filter((id) => !seen.has(id) && accepted.has(id) && nowMs() >= (accepted.get(id) as number) + DELAY_BOOT_MS - 30);
      if (due.length === 0) {
        await sleep(1);
        continue;
      }
      const params: Record<string, string> = { Region: REGION };
      due.forEach((id, i) => (params[`UHostIds.${i}`] = id));
      const body = signedForm("DescribeCompShareInstance", params, ctx.keys);
      const sent = nowMs();
      const answer = (await postForm(server.url, body)) as { UHostSet?: Array<{ UHostId: string; State: string }> };
      const received = nowMs();
      rtts.push(received - sent);
      for (const inst of answer.UHostSet ?? []) {
        if (inst.State === "Running") seen.set(inst.UHostId, received);
        else lastNotRunning.set(inst.UHostId, sent);
      }
    }
    await rebooter;
    const until = await journalUntil(target, ids, "reboot");
    const ended = await operationEnds(target, ids, "RebootCompShareInstance");
    const upper: number[] = [];
    const lower: number[] = [];
    const inside: number[] = [];
    for (const id of ids) {
      const u = until.get(id);
      const s = seen.get(id);
      const e = ended.get(id);
      if (u !== undefined && e !== undefined) inside.push(e - u);
      if (u === undefined || s === undefined) continue;
      upper.push(s - u);
      lower.push(Math.max(0, (lastNotRunning.get(id) ?? u) - u));
    }
    inside.sort((a, b) => a - b);
    if (upper.length < ids.length) problems.push(`control-plane delay on ${db}: ${ids.length - upper.length} of ${ids.length} instances were not seen Running in time`);
    upper.sort((a, b) => a - b);
    lower.sort((a, b) => a - b);
    rtts.sort((a, b) => a - b);
    const resolution = percentile(rtts, 50);
    record(
      { name: "control-plane-delay (driver up → Describe Running)", db, instances: opts.small, rps: null, p50_ms: percentile(upper, 50), p99_ms: percentile(upper, 99) },
      { requests: upper.length, note: `upper bound (first Running answer received − driver's until); lower bound p50 ${round(percentile(lower, 50), 2)} ms; one poll takes p50 ${round(resolution, 2)} ms` },
      false,
    );
    facts[`${db}_delay`] = {
      instances: upper.length,
      upper_p50_ms: round(percentile(upper, 50), 2),
      upper_p99_ms: round(percentile(upper, 99), 2),
      upper_max_ms: round(upper[upper.length - 1], 2),
      lower_p50_ms: round(percentile(lower, 50), 2),
      poll_rtt_p50_ms: round(resolution, 2),
      server_ended_minus_until_p50_ms: round(percentile(inside, 50), 2),
      server_ended_minus_until_p99_ms: round(percentile(inside, 99), 2),
      sim_boot_ms: DELAY_BOOT_MS,
    };
    log(`  control-plane delay ${db}: p50 ${round(percentile(upper, 50), 2)} ms, p99 ${round(percentile(upper, 99), 2)} ms (one poll: ${round(resolution, 2)} ms)`);

    // One run with per-request logs on (OCS_LOG_LEVEL=info, to a file), SQLite only.
    if (opts.info && db === "sqlite") {
      await server.stop("SIGTERM", 15_000);
      server = await startOcsServer({ env: serverEnv(ctx, { OCS_SIM_BOOT_MS: String(DELAY_BOOT_MS), OCS_LOG_LEVEL: "info" }, databaseUrl), dataDir, label: `${db}-info` });
      const body = describeOneBody(seededId(500), ctx.keys);
      await warmUp(opts, server.url, body, server.pid);
      await scenario(opts, "b-describe-one (OCS_LOG_LEVEL=info)", db, opts.small, { url: server.url, contentType: FORM, body, expect: OK }, server.pid);
    }
  } finally {
    await server.stop("SIGTERM", 15_000);
    removeTempDir(dataDir);
  }
}
