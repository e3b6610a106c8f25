// ---------------------------------------------------------------------------------------------
// (f) the limit: bench/limit.ts on a database of its own, with the same schema and seeded rows

import { join } from "node:path";
import { describeOneBody, freePort, removeTempDir, ROOT, seededId, startChild, startOcsServer, tempDir, waitHttp } from "../lib.js";
import { MAIN_SETTINGS, seed, serverEnv, targetFor, type EngineContext } from "./context.js";
import { sanity, warmUp } from "./measure.js";
import type { Options } from "./options.js";
import { LIMIT_NAMES, runScale } from "./scale.js";

export async function runLimit(opts: Options, ctx: EngineContext): Promise<void> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-limit`);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_limit");
  try {
    // The server creates the schema and the default account, then leaves the database to the probe.
    const setup = await startOcsServer({ env: serverEnv(ctx, MAIN_SETTINGS, databaseUrl), dataDir, label: `${db}-limit-setup` });
    await setup.stop("SIGTERM", 15_000);
    await seed(ctx, target, 0, opts.small, "1k, limit probe");
    const port = await freePort();
    const location = target.engine === "sqlite" ? target.file : target.url;
    const probe = startChild(process.execPath, ["--import", "tsx", join(ROOT, "bench/limit.ts"), String(port), db, location, ctx.keys.publicKey, ctx.keys.privateKey], { cwd: ROOT });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitHttp(url, 30_000, probe.exited);
      await sanity(url, describeOneBody(seededId(0), ctx.keys), `${db} limit probe`);
      await warmUp(opts, url, describeOneBody(seededId(0), ctx.keys), probe.pid);
      await runScale(opts, ctx, { url, pid: probe.pid }, opts.small, 0, LIMIT_NAMES);
      if (opts.big > opts.small) {
        await seed(ctx, target, opts.small, opts.big, `to ${opts.big.toLocaleString("en")}, limit probe`);
        await runScale(opts, ctx, { url, pid: probe.pid }, opts.big, opts.small, LIMIT_NAMES);
      }
    } finally {
      await probe.stop();
    }
  } finally {
    removeTempDir(dataDir);
  }
}
