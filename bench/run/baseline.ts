// ---------------------------------------------------------------------------------------------
// (a) and (e)

import { join } from "node:path";
import { freePort, log, rebootBody, ROOT, seededId, startChild, waitHttp } from "../lib.js";
import { FORM, load, OK, runScript, scenario } from "./measure.js";
import type { Options } from "./options.js";
import { facts, record } from "./results.js";

export async function runBaseline(opts: Options): Promise<void> {
  const port = await freePort();
  const child = startChild(process.execPath, ["--import", "tsx", join(ROOT, "bench/baseline.ts"), String(port)], { cwd: ROOT });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(url, 30_000, child.exited);
    const body = rebootBody(seededId(1), { publicKey: "bench_public_key", privateKey: "0".repeat(40) });
    await load({ url, connections: opts.connections, durationS: 1, contentType: FORM, body, expect: OK });
    await scenario(opts, "a-baseline", "none", null, { url, contentType: FORM, body, expect: ['"RetCode":0'] }, child.pid);
  } finally {
    await child.stop();
  }
}

export async function runMicro(): Promise<void> {
  const out = await runScript("micro.ts", ["2"], 60_000);
  const m = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { verifyOps: number; openOps: number; openAndVerifyOps: number };
  record({ name: "e-signature-verify (ops/s)", db: "none", instances: null, rps: m.verifyOps, p50_ms: null, p99_ms: null }, { note: "verify() of @opencompshare/protocol, one core, in-process loop" }, false);
  facts.micro = { verify_ops_per_s: Math.round(m.verifyOps), aes_gcm_open_ops_per_s: Math.round(m.openOps), open_then_verify_ops_per_s: Math.round(m.openAndVerifyOps) };
  log(`  e-signature-verify: ${Math.round(m.verifyOps)} ops/s (AES-GCM open of the sealed key: ${Math.round(m.openOps)} ops/s; both: ${Math.round(m.openAndVerifyOps)} ops/s)`);
}
