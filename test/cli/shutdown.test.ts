/**
 * SIGTERM is a bounded, clean stop (issue 27, defect 4). `ocs serve` with the agent driver, a
 * host long-polling on a kept-alive connection, an event stream open and a request whose body
 * never finishes: the long-poll is answered at once (no commands, `Connection: close`), the
 * stream ends, the stalled request is cut when the grace runs out, and the process exits 0,
 * leaving the data directory to the next server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent as HttpAgent } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { signedParams } from "../helpers/client.js";
import { longPoll, type PollAnswer } from "../helpers/long-poll.js";
import { DEFAULT_KEYS } from "../helpers/server.js";
import { OCS_BIN, spawnServer, type ServerProcess } from "../helpers/process.js";
import { spawn } from "node:child_process";

const GRACE_S = 5;

function ocs(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [OCS_BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout }));
  });
}

describe("ocs serve stops within its grace on SIGTERM", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocs-shutdown-"));
  const env = { OCS_DATA_DIR: dir, OCS_DRIVER: "agent", OCS_LOG_LEVEL: "warn", OCS_SHUTDOWN_GRACE_S: String(GRACE_S), OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey, OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey };
  const servers: ServerProcess[] = [];
  after(() => {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers the long-poll and the stream at once, cuts a stalled request after the grace, exits 0 and frees the data directory", async () => {
    assert.equal((await ocs(["migrate"], env)).code, 0);
    const added = await ocs(["host", "add", "gpu-host-1"], env);
    assert.equal(added.code, 0);
    const { Token: token, Host: hostId } = JSON.parse(added.stdout) as { Token: string; Host: string };
    const server = await spawnServer(env);
    servers.push(server);

    // The agent: one long-poll after another on one kept-alive connection, as `ocs agent` does.
    const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const answers: PollAnswer[] = [];
    let polling = true;
    const agentLoop = (async () => {
      while (polling) {
        const answer = await longPoll(server.url, token, hostId, keepAlive).catch(() => undefined);
        if (!answer) return;
        answers.push(answer);
      }
    })();

    // An event stream, open until the server ends it.
    const qs = new URLSearchParams(Object.entries(signedParams("StreamEvents", { Expires: Math.floor(Date.now() / 1000) + 600 }, DEFAULT_KEYS)).map(([k, v]): [string, string] => [k, String(v)]));
    const stream = await fetch(`${server.url}/events?${qs.toString()}`);
    assert.equal(stream.status, 200);
    const streamEnded = (async () => {
      const reader = stream.body!.getReader();
      for (;;) if ((await reader.read()).done) return Date.now();
    })();

    // A request whose body never comes: in flight until the grace runs out.
    const stalled = connect(Number(new URL(server.url).port), "127.0.0.1");
    await new Promise<void>((resolve) => stalled.once("connect", () => resolve()));
    stalled.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=");
    const stalledClosed = new Promise<number>((resolve) => stalled.once("close", () => resolve(Date.now())));
    stalled.on("error", () => undefined);

    await new Promise((r) => setTimeout(r, 500)); // the first long-poll is held
    const sent = Date.now();
    server.child.kill("SIGTERM");

    const code = await server.exited;
    const exitedAt = Date.now();
    polling = false;
    await agentLoop;
    keepAlive.destroy();

    assert.equal(code, 0, server.output());
    // The long-poll held when SIGTERM came: answered at once, and its kept-alive connection ends with it.
    const held = answers.find((a) => a.at >= sent);
    assert.ok(held, "the held long-poll was answered");
    assert.equal(held.status, 200);
    assert.deepEqual(held.commands, []);
    assert.equal(held.connection, "close", "the held long-poll's answer ends its kept-alive connection");
    assert.ok(held.at - sent < GRACE_S * 1000, `the long-poll was answered ${held.at - sent} ms after SIGTERM, before the grace`);
    assert.ok(answers.every((a) => a === held || a.at < sent || a.connection === "close"), "every answer while closing says Connection: close");
    assert.ok((await streamEnded) - sent < GRACE_S * 1000, "the stream ended before the grace");
    // The stalled request held the close until the grace cut it, and not much longer.
    const cut = (await stalledClosed) - sent;
    assert.ok(cut >= GRACE_S * 1000 - 100, `the stalled request was given the grace (cut after ${cut} ms)`);
    assert.ok(exitedAt - sent < GRACE_S * 1000 + 10_000, `exited ${exitedAt - sent} ms after SIGTERM`);
    assert.match(server.output(), /ocs: stopped/);

    // The data directory is free: the next server takes it.
    const next = await spawnServer(env);
    servers.push(next);
    next.child.kill("SIGTERM");
    assert.equal(await next.exited, 0, next.output());
  });
});
