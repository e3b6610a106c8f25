/**
 * What the soak breaks: driver faults armed at random while the traffic runs, and the server
 * killed (SIGKILL) or stopped (SIGTERM) and started again on the same data.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Store } from "@opencompshare/server";
import { armFault, type FaultSpec } from "@opencompshare/server/testing";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { int, pick, random, weighted } from "./random.js";
import type { FaultMethod } from "@opencompshare/protocol";
import { FAULT_METHODS } from "./settings.js";
import { accounts, live, processes, say, unexpectedExits } from "./state.js";

export async function faults(store: Store, until: number): Promise<number> {
  let armed = 0;
  while (Date.now() < until) {
    await sleep(int(800, 2000));
    if (Date.now() >= until) break;
    const ids = accounts.flatMap((a) => [...a.own.keys()]);
    const mode = weighted<FaultSpec["mode"]>([
      [45, "fail"],
      [35, "slow"],
      [20, "hang"],
    ]);
    const spec: FaultSpec = {
      method: pick(FAULT_METHODS) as FaultMethod,
      mode,
      times: int(1, 2),
      ...(mode === "slow" ? { delayMs: int(300, 3000) } : {}),
      ...(random() < 0.6 && ids.length > 0 ? { instanceId: pick(ids) as string } : {}),
    };
    try {
      await armFault(store.db, spec);
      armed++;
    } catch (error) {
      say(`could not arm a fault: ${String(error)}`);
    }
  }
  return armed;
}

export function watchExit(proc: ServerProcess): void {
  void proc.exited.then((how) => {
    if (!live.killing && live.server === proc) unexpectedExits.push(`the server exited by itself (${String(how)}): ${proc.output().slice(-2000)}`);
  });
}

export async function runningOps(store: Store): Promise<number> {
  const row = await store.db.selectFrom("operations").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "=", "running").executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function restart(env: Record<string, string>, signal: "SIGKILL" | "SIGTERM", store: Store, label: string): Promise<{ exit: number | string | null }> {
  const old = live.server as ServerProcess;
  const inFlight = await runningOps(store).catch(() => -1);
  live.killing = true;
  live.server = undefined;
  old.child.kill(signal);
  const exit = await Promise.race([old.exited, sleep(15_000, "timeout" as const, { ref: false })]);
  if (exit === "timeout") {
    old.child.kill("SIGKILL");
    await old.exited;
  }
  live.killing = false;
  const next = await spawnServer(env);
  watchExit(next);
  processes.push(next);
  live.server = next;
  say(`${label}: ${signal} with ${inFlight} operations running (exit: ${String(exit)}); restarted on ${next.url}`);
  return { exit };
}
