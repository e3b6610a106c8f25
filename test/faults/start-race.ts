/**
 * Three replicas started at once on a fresh database (issue 27: one of three exited with
 * `hosts_pkey` in 13 of 17 trials before the fix). In each round a new database on the suite's
 * PostgreSQL, three free ports taken first, then three `ocs serve` spawned in the same tick; all
 * three must serve (`GET /readyz` 200, an API call answered RetCode 0) and none may exit, watched
 * for a few seconds after the last came up. test/replicas/first-start.test.ts runs ten rounds of
 * this; here two are enough.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { KillablePostgres } from "../../scripts/embedded-postgres.js";
import { freePort, type ServerProcess } from "../helpers/process.js";
import { DEFAULT_KEYS, REGION } from "../helpers/server.js";
import { Api } from "./api.js";
import { check, describeError, say, secs } from "./checks.js";
import { freshDatabase } from "./database.js";
import { checkStopped, spawnReplica, terminate } from "./processes.js";

export const START_RACE = "three replicas started at once on a fresh database";

const ROUNDS = 2;
const REPLICAS = 3;
/** How long the replicas are watched, once all serve, for one that exits. */
const WATCH_MS = 3000;

async function round(server: KillablePostgres, n: number): Promise<void> {
  const dbUrl = await freshDatabase(server, `ocs_faults_start_${n}`);
  const dirs = Array.from({ length: REPLICAS }, () => mkdtempSync(join(tmpdir(), "ocs-faults-start-")));
  const ports: number[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    let port = await freePort();
    for (let k = 0; k < 10 && ports.includes(port); k++) port = await freePort();
    ports.push(port);
  }
  const exits: string[] = [];
  const spawnedAt = Date.now();
  // The three spawns happen in this one tick: spawnServer starts its child before it first awaits.
  const started = await Promise.allSettled(
    dirs.map((dir, i) =>
      spawnReplica(
        `start-round-${n}-replica-${i + 1}`,
        { OCS_DATA_DIR: dir, OCS_DATABASE_URL: dbUrl, OCS_MASTER_KEY: "a".repeat(64), OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey, OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey, OCS_LOG_LEVEL: "warn" },
        ports[i],
      ).then((r) => {
        void r.exited.then((how) => exits.push(`replica ${i + 1} exited (${String(how)})`));
        return r;
      }),
    ),
  );
  const up = started.filter((s): s is PromiseFulfilledResult<ServerProcess> => s.status === "fulfilled").map((s) => s.value);
  const upAt = Date.now();
  try {
    const failures = started.flatMap((s, i) => (s.status === "rejected" ? [`replica ${i + 1}: ${describeError(s.reason).slice(0, 600)}`] : []));
    say(`round ${n}: ${up.length} of ${REPLICAS} replicas answered /healthz ${secs(upAt - spawnedAt)} after the spawn`);
    await sleep(WATCH_MS);
    const api = new Api();
    const ready = await Promise.all(
      up.map(async (r) => {
        const readyz = await fetch(`${r.url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then((res) => res.status, () => 0);
        const answer = await api.call(r, "DescribeCompShareInstance", REGION, 10_000);
        return { readyz, retCode: answer.retCode };
      }),
    );
    check(
      `[${START_RACE}] round ${n}: all ${REPLICAS} serve (GET /readyz 200, DescribeCompShareInstance RetCode 0) and none exited`,
      failures.length === 0 && up.length === REPLICAS && ready.every((x) => x.readyz === 200 && x.retCode === 0) && exits.length === 0,
      [
        `up ${secs(upAt - spawnedAt)} after the spawn; watched ${secs(WATCH_MS)} more`,
        ...ready.map((x, i) => `replica ${i + 1}: /readyz ${x.readyz || "no answer"}, RetCode ${String(x.retCode)}`),
        ...failures,
        ...exits,
      ].join("\n"),
    );
  } finally {
    checkStopped(`${START_RACE}, round ${n}`, await terminate(up.map((r, i) => ({ label: `replica ${i + 1}`, ...r }))));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export async function startRaceScenario(server: KillablePostgres): Promise<void> {
  for (let n = 1; n <= ROUNDS; n++) await round(server, n);
}
