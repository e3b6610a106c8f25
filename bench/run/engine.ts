// ---------------------------------------------------------------------------------------------
// One engine: (b), (c), (d) at 1k and at 1M, deep offset, memory; then the control plane's delay

import { cpuMs, describeOneBody, describePageBody, log, removeTempDir, round, rssMiB, seededId, startOcsServer, tempDir } from "../lib.js";
import { MAIN_SETTINGS, seed, serverEnv, targetFor, type EngineContext } from "./context.js";
import { runDelay } from "./delay.js";
import { runLimit } from "./limit.js";
import { FORM, OK, sanity, scenario, warmUp } from "./measure.js";
import type { Options } from "./options.js";
import { facts, problems } from "./results.js";
import { runScale } from "./scale.js";
import { runToRunning } from "./to-running.js";

export async function runEngine(opts: Options, ctx: EngineContext): Promise<void> {
  await runLimit(opts, ctx);
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-main`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_main");
  const server = await startOcsServer({ env: serverEnv(ctx, MAIN_SETTINGS, databaseUrl), dataDir, label: `${db}-main` });
  const engineFacts: Record<string, unknown> = {};
  facts[db] = engineFacts;
  try {
    const pid = server.pid;
    const url = server.url;
    engineFacts.rss_mib_started = rssMiB(pid);
    engineFacts.seed_1k_ms = Math.round(await seed(ctx, target, 0, opts.small, "1k"));
    await sanity(url, describeOneBody(seededId(0), ctx.keys), `${db} sanity check`);
    await warmUp(opts, url, describeOneBody(seededId(0), ctx.keys), pid);
    engineFacts.rss_mib_idle_1k = rssMiB(pid);
    await runScale(opts, ctx, server, opts.small, 0);
    if (opts.big > opts.small) {
      engineFacts.seed_1m_ms = Math.round(await seed(ctx, target, opts.small, opts.big, `to ${opts.big.toLocaleString("en")}`));
      engineFacts.rss_mib_idle_1m = rssMiB(pid);
      await runScale(opts, ctx, server, opts.big, opts.small);
      const offset = Math.floor(opts.big * 0.9);
      await scenario(opts, `describe-limit100-offset${offset}`, db, opts.big, {
        url,
        connections: 2,
        contentType: FORM,
        body: describePageBody(offset, 100, ctx.keys),
        expect: OK,
        timeoutS: 30,
      }, pid);
    }
    engineFacts.rss_mib_after_run = rssMiB(pid);
    engineFacts.server_cpu_s_total = round((cpuMs(pid) ?? 0) / 1000, 1);
    log(`  RSS: started ${engineFacts.rss_mib_started} MiB, idle at 1k ${engineFacts.rss_mib_idle_1k} MiB, after the 1M run ${engineFacts.rss_mib_after_run} MiB`);
  } catch (error) {
    throw new Error(`${db}: ${(error as Error).message}\n--- server log ---\n${server.tail()}`, { cause: error });
  } finally {
    const code = await server.stop("SIGTERM", 15_000);
    if (code !== 0) problems.push(`${db} main server exited with ${String(code)} on SIGTERM`);
    removeTempDir(dataDir);
  }
  await runDelay(opts, ctx);
  await runToRunning(opts, ctx);
}
