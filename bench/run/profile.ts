// ---------------------------------------------------------------------------------------------
// --profile

import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeOneBody, log, rebootBody, removeTempDir, seededId, startOcsServer, tempDir } from "../lib.js";
import { formatSummary, summarize, type CpuProfile } from "../profile.js";
import { MAIN_SETTINGS, seed, serverEnv, targetFor, type EngineContext } from "./context.js";
import { FORM, load, LOCKED, OK, writeBodies } from "./measure.js";
import type { Options } from "./options.js";

export async function runProfile(opts: Options, ctx: EngineContext): Promise<string> {
  const db = ctx.engine;
  const dataDir = tempDir(`${db}-profile`);
  const profDir = join(dataDir, "prof");
  mkdirSync(profDir);
  const { target, url: databaseUrl } = await targetFor(ctx, dataDir, "ocs_bench_profile");
  const server = await startOcsServer({
    env: serverEnv(ctx, MAIN_SETTINGS, databaseUrl),
    dataDir,
    label: `${db}-profile`,
    // From the TypeScript sources (tsx, the packages' source condition), so that every function
    // is named by its own file; the bundle would name them all by its chunks.
    nodeArgs: ["--import", import.meta.resolve("tsx"), "--conditions=source", "--cpu-prof", "--cpu-prof-dir", profDir, "--cpu-prof-interval", "250"],
  });
  const windows: Array<{ title: string; fromUs: number; toUs: number; requests: number; rps: number }> = [];
  try {
    // Enough instances for a whole window of accepted reboots; the per-request cost does not
    // depend on 1k versus 30k rows.
    const n = 30_000;
    await seed(ctx, target, 0, n, "profile");
    const { url, pid } = server;
    await load({ url, connections: opts.connections, durationS: 2, contentType: FORM, body: describeOneBody(seededId(1), ctx.keys), expect: OK }, pid);
    const b = await load({ url, connections: opts.connections, durationS: opts.seconds, contentType: FORM, body: describeOneBody(seededId(2), ctx.keys), expect: OK }, pid);
    windows.push({ title: "(b) DescribeCompShareInstance of one instance", fromUs: b.startUs, toUs: b.endUs, requests: b.requests, rps: b.rps });
    const accepted = Array.from({ length: n - 10 }, (_, i) => rebootBody(seededId(i + 10), ctx.keys));
    const c = await load({ url, connections: opts.connections, durationS: opts.seconds, contentType: FORM, bodiesFile: writeBodies("profile-accepted", accepted), bodiesMode: "distinct", expect: OK }, pid);
    windows.push({ title: "(c) RebootCompShareInstance, accepted", fromUs: c.startUs, toUs: c.endUs, requests: c.requests, rps: c.rps });
    const d = await load({ url, connections: opts.connections, durationS: opts.seconds, contentType: FORM, bodiesFile: writeBodies("profile-refused", accepted.slice(0, 200)), bodiesMode: "cycle", expect: LOCKED }, pid);
    windows.push({ title: "(d) RebootCompShareInstance, refused (InstanceOperationInProgress)", fromUs: d.startUs, toUs: d.endUs, requests: d.requests, rps: d.rps });
  } finally {
    const code = await server.stop("SIGTERM", 30_000);
    if (code !== 0) log(`  profiled server exited with ${String(code)}: its profile may be missing`);
  }
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no CPU profile was written in ${profDir}`);
  const profile = JSON.parse(readFileSync(join(profDir, file), "utf8")) as CpuProfile;
  const parts = [
    `## ${db}`,
    "",
    `Server run from its TypeScript sources (tsx) under \`node --cpu-prof --cpu-prof-interval 250\`, ${opts.connections} connections, ${opts.seconds} s per window, OCS_LOG_LEVEL=warn, 30,000 seeded instances.`,
    "",
  ];
  for (const w of windows) {
    const s = summarize(profile, { fromUs: w.fromUs, toUs: w.toUs });
    parts.push(formatSummary(`${w.title}: ${Math.round(w.rps)} rps`, s, w.requests));
  }
  removeTempDir(dataDir);
  return parts.join("\n");
}
