/**
 * The qemu-ga client against a scripted agent on a real Unix socket: what the guest's kernel does
 * to a port nobody has open (it discards what the host writes), stale replies from calls that
 * timed out, and a 0xFF delimiter in the middle of a line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GuestAgent } from "../../packages/agent/src/backends/qemu/guest-agent.js";

interface Request {
  execute: string;
  arguments?: { id?: number };
}

/** A fake qemu-ga: `answer` decides what each request gets (nothing, when it returns undefined). */
function fakeAgent(path: string, answer: (req: Request, n: number) => string | undefined): Promise<{ server: Server; requests: Request[] }> {
  const requests: Request[] = [];
  const server = createServer((socket: Socket) => {
    let buf = "";
    socket.on("data", (chunk: Buffer) => {
      buf += chunk.toString("latin1").replace(/\xff/g, "");
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const req = JSON.parse(buf.slice(0, nl)) as Request;
        buf = buf.slice(nl + 1);
        requests.push(req);
        const out = answer(req, requests.length);
        if (out !== undefined) socket.write(Buffer.from(out, "latin1"));
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, requests })));
}

const syncReply = (req: Request): string => `\xff{"return": ${req.arguments?.id}}\n`;

describe("guest agent client", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "ocs-ga-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("sends the sync again until an agent answers: requests written while nobody listened are lost, not waited for", async () => {
    const path = join(dir, "late.sock");
    // The first two syncs vanish, as they do while the guest still boots.
    const { server, requests } = await fakeAgent(path, (req, n) => {
      if (req.execute === "guest-sync-delimited") return n <= 2 ? undefined : syncReply(req);
      return `{"return": {}}\n`;
    });
    const ga = new GuestAgent(path, { resyncMs: 50 });
    try {
      assert.equal(await ga.ping(5000), true);
      const syncs = requests.filter((r) => r.execute === "guest-sync-delimited");
      assert.equal(syncs.length, 3, "two lost, the third answered");
      assert.equal(new Set(syncs.map((r) => r.arguments?.id)).size, 3, "each sync has a new id");
      assert.equal(requests.at(-1)?.execute, "guest-ping");
    } finally {
      ga.close();
      server.close();
    }
  });

  it("only the answer to the latest sync counts: a late answer to an earlier one is skipped, and replies stay in order", async () => {
    const path = join(dir, "slow.sock");
    let held: Request | undefined;
    const { server } = await fakeAgent(path, (req) => {
      if (req.execute === "guest-sync-delimited") {
        // The first sync is answered only together with the second: both arrive, in order.
        if (!held) {
          held = req;
          return undefined;
        }
        return syncReply(held) + syncReply(req);
      }
      return `{"return": "pong-${req.execute}"}\n`;
    });
    const ga = new GuestAgent(path, { resyncMs: 50 });
    try {
      assert.equal(await ga.call("guest-info"), "pong-guest-info");
      assert.equal(await ga.call("guest-get-time"), "pong-guest-get-time");
    } finally {
      ga.close();
      server.close();
    }
  });

  it("stale bytes before the delimiter (a timed-out call's reply, half a line) are dropped", async () => {
    const path = join(dir, "stale.sock");
    const { server } = await fakeAgent(path, (req) => {
      if (req.execute === "guest-sync-delimited") return `{"return": {"stale": true}}\n{"retu` + syncReply(req);
      return `{"return": 42}\n`;
    });
    const ga = new GuestAgent(path, { resyncMs: 1000 });
    try {
      assert.equal(await ga.call("guest-get-time"), 42);
    } finally {
      ga.close();
      server.close();
    }
  });

  it("an agent that never answers: the call fails at its own timeout, naming the command", async () => {
    const path = join(dir, "mute.sock");
    const { server, requests } = await fakeAgent(path, () => undefined);
    const ga = new GuestAgent(path, { resyncMs: 20 });
    try {
      await assert.rejects(ga.call("guest-info", undefined, { timeoutMs: 2000 }), /guest agent guest-info: no answer within 2000 ms/);
      assert.ok(requests.length >= 2, "the sync was sent more than once");
      assert.ok(requests.every((r) => r.execute === "guest-sync-delimited"), "nothing but syncs before an answer");
    } finally {
      ga.close();
      server.close();
    }
  });
});
