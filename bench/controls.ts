/**
 * `npm run bench:controls`: what the test controls cost, on SQLite, with a server in testing mode
 * started here (the built `ocs`, a temporary data directory, a free port on 127.0.0.1).
 *
 *   node --import tsx --conditions=source bench/controls.ts [--instances 50] [--rounds 3]
 *
 * Each round makes N stopped pay-as-you-go instances, then times SaveCompShareSnapshot,
 * AdvanceCompShareClock by 8 days (every instance reclaimed before the answer),
 * RestoreCompShareSnapshot (all back) and ResetCompShareState (none left). It prints each
 * round, then the median of each; bounded by its rounds, it stops the server at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CompShareClient } from "@opencompshare/sdk";
import { spawnServer } from "../test/helpers/process.js";

const { values } = parseArgs({ options: { instances: { type: "string", default: "50" }, rounds: { type: "string", default: "3" } } });
const count = Math.min(500, Math.max(10, Number(values.instances)));
const rounds = Math.min(10, Math.max(1, Number(values.rounds)));
const keys = { publicKey: "bench-public", privateKey: "bench-private" };
const CREATE = { CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204", ChargeType: "Postpay" as const };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dataDir = mkdtempSync(join(tmpdir(), "ocs-bench-controls-"));
const server = await spawnServer({
  OCS_DATA_DIR: dataDir,
  OCS_TESTING: "1",
  OCS_PUBLIC_KEY: keys.publicKey,
  OCS_PRIVATE_KEY: keys.privateKey,
  OCS_INITIAL_BALANCE: "10000000",
  OCS_INSTANCE_QUOTA: "100000",
  OCS_SIM_BOOT_MS: "300",
  OCS_RATE_LIMIT_RPS: "0",
  OCS_LOG_LEVEL: "warn",
});
const client = new CompShareClient({ ...keys, baseUrl: server.url, timeoutMs: 300_000 });
const states = async () => (await client.describeCompShareInstance({ Limit: 1000 })).UHostSet.map((h) => h.State);
const until = async (ok: (s: string[]) => boolean) => {
  while (!ok(await states())) await sleep(100);
};
const timed = async <T>(work: () => Promise<T>): Promise<[number, T]> => {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
};

const results: Record<string, number[]> = { save: [], advance: [], restore: [], reset: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    const ids: string[] = [];
    for (let made = 0; made < count; made += 10) ids.push(...(await client.createCompShareInstance({ ...CREATE, MaxCount: Math.min(10, count - made) })).UHostIds);
    await until((s) => s.length === count && s.every((x) => x === "Running"));
    for (const id of ids) await client.stopCompShareInstance({ UHostId: id });
    await until((s) => s.every((x) => x === "Stopped"));
    const [save, saved] = await timed(() => client.saveCompShareSnapshot({ Name: "bench", Overwrite: true }));
    const [advance] = await timed(() => client.advanceCompShareClock({ Seconds: 8 * 86_400 }));
    const left = (await states()).length;
    const [restore] = await timed(() => client.restoreCompShareSnapshot({ Name: "bench" }));
    const back = (await states()).length;
    const [reset] = await timed(() => client.resetCompShareState({}));
    const after = (await states()).length;
    if (left !== 0 || back !== count || after !== 0) throw new Error(`round ${round}: ${left} left after the advance, ${back} restored, ${after} after the reset`);
    Object.entries({ save, advance, restore, reset }).forEach(([k, ms]) => results[k]?.push(ms));
    console.log(`round ${round}: ${count} instances; save ${save.toFixed(0)} ms (${saved.Size} bytes), advance 8 days ${advance.toFixed(0)} ms (${count} reclaimed), restore ${restore.toFixed(0)} ms, reset ${reset.toFixed(0)} ms`);
  }
  console.log(`median of ${rounds}: ${Object.entries(results).map(([k, xs]) => `${k} ${median(xs).toFixed(0)} ms`).join(", ")}`);
} finally {
  server.child.kill("SIGTERM");
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
