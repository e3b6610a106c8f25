/**
 * SIGTERM with an agent and SSE clients connected (issue 27, defect 4): one `ocs serve` with
 * OCS_DRIVER=agent on a database of its own on the suite's PostgreSQL, a host added, the host's
 * agent long-polling on a kept-alive connection (one poll after another, as `ocs agent` does), and
 * two clients on the event stream (GET /events). Then SIGTERM: the held long-poll is answered at
 * once (HTTP 200, no commands; the agent polls again and finds the server gone), both streams end,
 * and the process exits 0 within OCS_SHUTDOWN_GRACE_S and a margin, its log saying `stopped`.
 * The `Connection` header of each answer is printed. (test/cli/shutdown.test.ts adds a request
 * that never finishes, cut when the grace runs out.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { KillablePostgres } from "../../scripts/embedded-postgres.js";
import { ocs } from "../cli/run-ocs.js";
import { signedParams } from "../helpers/client.js";
import { longPoll, type PollAnswer } from "../helpers/long-poll.js";
import { DEFAULT_KEYS } from "../helpers/server.js";
import { check, say, secs } from "./checks.js";
import { freshDatabase } from "./database.js";
import { FROM_SOURCE, GRACE_S, STOP_BOUND_MS, alive, checkStopped, spawnReplica, terminate, type Stopped } from "./processes.js";

export const SHUTDOWN = "SIGTERM with an agent and SSE clients connected";

const STREAMS = 2;
/** The most long-polls the agent loop makes (each is held up to 25 s; the loop ends when the server is gone). */
const MAX_POLLS = 20;

/** An event stream on GET /events; resolves when the server ends it (or with the reason it failed). */
async function openStream(url: string): Promise<{ status: number; ended: Promise<{ at: number; how: string }> }> {
  const qs = new URLSearchParams(Object.entries(signedParams("StreamEvents", { Expires: Math.floor(Date.now() / 1000) + 600 }, DEFAULT_KEYS)).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${url}/events?${qs.toString()}`, { signal: AbortSignal.timeout(60_000) });
  const ended = (async () => {
    if (!res.body) return { at: Date.now(), how: "no body" };
    const reader = res.body.getReader();
    try {
      for (let i = 0; i < 100_000; i++) if ((await reader.read()).done) return { at: Date.now(), how: "ended" };
      return { at: Date.now(), how: "too many chunks" };
    } catch (error) {
      return { at: Date.now(), how: `failed: ${String(error)}` };
    }
  })();
  return { status: res.status, ended };
}

export async function shutdownScenario(server: KillablePostgres): Promise<void> {
  const dbUrl = await freshDatabase(server, "ocs_faults_shutdown");
  const dir = mkdtempSync(join(tmpdir(), "ocs-faults-shutdown-"));
  const env = { OCS_DATA_DIR: dir, OCS_DATABASE_URL: dbUrl, OCS_MASTER_KEY: "a".repeat(64), OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey, OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey };
  const replica = await spawnReplica("shutdown-server", { ...env, OCS_DRIVER: "agent", OCS_LOG_LEVEL: "warn" });
  const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  let stopped: Stopped[] = [];
  try {
    const added = await ocs(["host", "add", "faults-host-2"], { ...env, NODE_OPTIONS: FROM_SOURCE });
    if (added.code !== 0) throw new Error(`ocs host add: ${added.stderr}`);
    const { Token: token, Host: hostId } = JSON.parse(added.stdout) as { Token: string; Host: string };

    // The agent: one long-poll after another on one kept-alive connection, as `ocs agent` does: it
    // polls again as soon as it is answered, until a poll fails (the server gone), bounded in count and time.
    const answers: PollAnswer[] = [];
    let pollEnd = "";
    const loopUntil = Date.now() + 60_000;
    const agentLoop = (async () => {
      for (let i = 0; i < MAX_POLLS && Date.now() < loopUntil; i++) {
        const answer = await longPoll(replica.url, token, hostId, keepAlive).catch((error: unknown) => {
          pollEnd = `${String(error)}${error instanceof Error && error.cause ? ` (${String(error.cause)})` : ""}`;
          return undefined;
        });
        if (!answer) return;
        answers.push(answer);
      }
      pollEnd = `stopped after ${MAX_POLLS} polls or 60 s`;
    })();
    const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(replica.url)));
    await sleep(1000); // the long-poll is held, the streams are open
    const held = answers.length;
    say(`ocs serve on ${replica.url}: the agent's long-poll held (${held} answered before), ${streams.length} event streams open (HTTP ${streams.map((s) => s.status).join(", ")}); SIGTERM`);

    const sent = Date.now();
    const stopping = terminate([{ label: "ocs serve (a long-poll held, two event streams open)", ...replica }]);
    const ends = await Promise.all(streams.map((s) => Promise.race([s.ended, sleep(STOP_BOUND_MS + 5000).then(() => ({ at: Date.now(), how: "still open" }))])));
    stopped = await stopping;
    await Promise.race([agentLoop, sleep(5000)]);

    // The held poll's answer, and what the agent's polls met after it: every answer while closing says `Connection: close`.
    const first = answers[held];
    const after = answers.slice(held);
    check(
      `[${SHUTDOWN}] the held long-poll was answered at once (HTTP 200, no commands, Connection: close) within OCS_SHUTDOWN_GRACE_S (${GRACE_S} s), and no poll after SIGTERM got a command`,
      first !== undefined &&
        first.status === 200 &&
        first.commands.length === 0 &&
        first.connection === "close" &&
        first.at - sent < GRACE_S * 1000 &&
        after.every((a) => a.commands.length === 0 && a.connection === "close"),
      [
        first ? `answered ${secs(first.at - sent)} after SIGTERM: HTTP ${first.status}, ${first.commands.length} commands, Connection: ${first.connection ?? "(none)"}` : "not answered",
        ...after.slice(1).map((a, i) => `poll ${i + 2} after SIGTERM: HTTP ${a.status} at ${secs(a.at - sent)}, ${a.commands.length} commands, Connection: ${a.connection ?? "(none)"}`),
        `then: ${pollEnd || "still polling"}`,
      ].join("\n"),
    );
    check(
      `[${SHUTDOWN}] every event stream ended, within OCS_SHUTDOWN_GRACE_S`,
      streams.every((s) => s.status === 200) && ends.every((e) => e.how === "ended" && e.at - sent < GRACE_S * 1000),
      ends.map((e, i) => `stream ${i + 1}: ${e.how} ${secs(e.at - sent)} after SIGTERM`).join("\n"),
    );
    check(`[${SHUTDOWN}] the log says it stopped`, /ocs: stopped/.test(replica.output()), replica.output().trim().split("\n").slice(-3).join("\n"));
  } finally {
    if (alive(replica)) stopped = await terminate([{ label: "ocs serve", ...replica }]);
    keepAlive.destroy();
    checkStopped(SHUTDOWN, stopped);
    rmSync(dir, { recursive: true, force: true });
  }
}
