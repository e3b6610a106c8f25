/**
 * The chaos soak (`npm run test:chaos`): a real `ocs serve` on SQLite, several accounts sending
 * a random mix of lifecycle actions concurrently (and trying each other's instances), the
 * simulated driver failing, hanging and dragging on request, and the server killed with
 * SIGKILL and restarted twice. After a final restart and a quiet period, the invariants are
 * checked in the database and through the API, each printed with its result, then
 * `N passed, M failed`; the exit code is non-zero when any failed.
 *
 * Bounded to about two minutes: traffic for TRAFFIC_MS, a bounded quiet period, a watchdog.
 * Traffic goes to 127.0.0.1 only. OCS_CHAOS_SEED replays the same choices (timing still varies).
 *
 * The parts: settings.ts (bounds and settings), random.ts (the seeded choices), state.ts (what
 * the run shares), traffic.ts (what the accounts send), crashes.ts (faults, kills and restarts),
 * invariants.ts (what is checked at the end). This file runs them.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { openStore, type Store } from "@opencompshare/server";
import { OCS_BIN, spawnServer } from "../helpers/process.js";
import { faults, restart, watchExit } from "./crashes.js";
import { check, checks, invariants, quiet } from "./invariants.js";
import { SEED } from "./random.js";
import { ACCOUNTS, KILLS_AT_MS, QUIET_MAX_MS, TRAFFIC_MS, WATCHDOG_MS, WORKERS_PER_ACCOUNT } from "./settings.js";
import { accepted, accounts, cross, live, processes, say, started, stats } from "./state.js";
import { worker } from "./traffic.js";

const run = promisify(execFile);

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-chaos-"));
  const env: Record<string, string> = {
    OCS_DATA_DIR: dataDir,
    OCS_SIM_BOOT_MS: "200",
    OCS_SIM_IMAGE_MS: "1000",
    OCS_LOCK_TTL_S: "10",
    OCS_LEASE_MS: "1000",
    OCS_RECOVERY_INTERVAL_MS: "200",
    OCS_SOFT_TIMEOUT_MS: "1000",
    OCS_LOG_LEVEL: "warn",
    // Prepaid creates pay their first period at once: enough for the whole soak's creates.
    OCS_INITIAL_BALANCE: "10000000",
  };
  say(`chaos soak: seed ${SEED} (OCS_CHAOS_SEED=${SEED} to replay the choices), data in ${dataDir}`);
  let store: Store | undefined;
  let ok: boolean;
  try {
    live.server = await spawnServer(env);
    watchExit(live.server);
    processes.push(live.server);
    say(`server on ${live.server.url}`);
    for (const name of ACCOUNTS) {
      const { stdout } = await run(process.execPath, [OCS_BIN, "account", "create", name, "--level", "4"], { env: { ...process.env, OCS_DATA_DIR: dataDir } });
      const c = JSON.parse(stdout) as { AccountId: string; PublicKey: string; PrivateKey: string };
      accounts.push({ name, keys: { PublicKey: c.PublicKey, PrivateKey: c.PrivateKey }, accountId: c.AccountId, created: new Set(), own: new Map(), types: new Map(), images: [] });
    }
    say(`accounts: ${ACCOUNTS.join(", ")} (ocs account create --level 4)`);
    store = await openStore({ dataDir });
    const db = store;

    const trafficStart = Date.now();
    const until = trafficStart + TRAFFIC_MS;
    const workers = accounts.flatMap((a) => Array.from({ length: WORKERS_PER_ACCOUNT }, () => worker(a, until)));
    const faultLoop = faults(db, until);
    const kills = (async () => {
      for (const [i, at] of KILLS_AT_MS.entries()) {
        await sleep(Math.max(0, trafficStart + at - Date.now()));
        await restart(env, "SIGKILL", db, `kill -9 #${i + 1}`);
      }
    })();
    const progress = setInterval(() => say(`${accepted.length} operations accepted, ${cross.attempts} cross-account attempts so far`), 10_000);
    await Promise.all([...workers, kills]);
    const armed = await faultLoop;
    clearInterval(progress);
    say(`traffic over: ${accepted.length} operations accepted, ${armed} faults armed`);

    // The quiet period: no more faults, a final restart, recovery finishes what is left.
    const leftover = await db.db.deleteFrom("machine_faults").executeTakeFirst();
    say(`cleared ${Number(leftover.numDeletedRows)} fault rows`);
    const { exit } = await restart(env, "SIGTERM", db, "final restart");
    const quietResult = await quiet(db);
    say(quietResult.quiet ? `quiet after ${(quietResult.waitedMs / 1000).toFixed(1)} s` : `still busy after ${QUIET_MAX_MS / 1000} s`);

    console.log("\n== requests (RetCode: count)");
    for (const [action, m] of [...stats].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${action.padEnd(36)} ${[...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(", ")}`);
    }
    console.log("\n== what the servers logged at warn and above (message: count)");
    const logged = new Map<string, number>();
    for (const p of processes) {
      for (const line of p.output().split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const entry = JSON.parse(line) as { level: number; msg?: string; err?: { code?: string; message?: string } };
          if (entry.level < 40) continue;
          const key = `${entry.msg ?? ""}${entry.err ? ` (${entry.err.code ?? ""} ${entry.err.message ?? ""})` : ""}`.slice(0, 160);
          logged.set(key, (logged.get(key) ?? 0) + 1);
        } catch {
          // not a log line
        }
      }
    }
    for (const [msg, n] of [...logged].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`  ${String(n).padStart(5)}  ${msg}`);
    await invariants(db, quietResult, exit);
  } catch (error) {
    check("the soak ran to its end", false, error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    const last = live.server;
    live.server = undefined;
    live.killing = true;
    if (last) {
      last.child.kill("SIGTERM");
      if ((await Promise.race([last.exited, sleep(10_000, "timeout" as const, { ref: false })])) === "timeout") last.child.kill("SIGKILL");
    }
    await store?.close().catch(() => undefined);
    const failed = checks.filter((c) => !c.ok).length;
    ok = failed === 0;
    if (ok && !process.env.OCS_CHAOS_KEEP) rmSync(dataDir, { recursive: true, force: true });
    else {
      processes.forEach((p, i) => writeFileSync(join(dataDir, `server-${i + 1}.log`), p.output()));
      console.log(`\ndata and server logs kept for inspection: ${dataDir}`);
    }
    console.log(`\nsoak took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`${checks.length - failed} passed, ${failed} failed`);
  }
  return ok ? 0 : 1;
}

const watchdog = setTimeout(() => {
  console.log(`\nFAIL  the soak exceeded its bound of ${WATCHDOG_MS / 1000} s`);
  live.server?.child.kill("SIGKILL");
  console.log("\n0 passed, 1 failed");
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

process.exitCode = await main();
clearTimeout(watchdog);
