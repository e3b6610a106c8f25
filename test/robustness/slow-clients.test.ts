/**
 * Slow clients over raw sockets: some send their headers a byte at a time, some send a body a
 * byte at a time and never finish. While they dribble, normal requests are still answered: one
 * stalled connection holds no worker and no lock. The server's own timeouts (headersTimeout,
 * requestTimeout in http/server.ts) close such sockets eventually; that is not waited for here.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { signedParams } from "../helpers/client.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { formOf, NO_RATE_LIMIT } from "./support.js";

interface Dribbler {
  socket: Socket;
  /** Bytes the server sent back, if any. */
  received: () => string;
  stop(): void;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes `head` at once, then one byte of `tail` every `everyMs`, forever (cycling) until stopped. */
async function dribble(port: number, head: string, tail: string, everyMs: number): Promise<Dribbler> {
  const socket = await open(port);
  let received = "";
  socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
  // The server may close the socket in the end; its errors are not the test's business.
  socket.on("error", () => undefined);
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    if (socket.writable) socket.write(tail[i++ % tail.length] as string);
  }, everyMs);
  return {
    socket,
    received: () => received,
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe("slow clients do not block the others", () => {
  let s: TestServer;
  let port: number;
  const dribblers: Dribbler[] = [];
  before(async () => {
    s = await startServer({ env: { ...NO_RATE_LIMIT, OCS_LOG_LEVEL: "warn" } });
    port = Number(new URL(s.url).port);
  });
  after(async () => {
    for (const d of dribblers) d.stop();
    await s.close();
  });

  const describeOk = async (): Promise<void> => {
    const res = await s.call("DescribeCompShareInstance", { ...REGION, Limit: 5 });
    assert.equal(res.status, 200);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  };

  it("while 100 sockets dribble headers or a body, 40 normal requests are answered, a create included", async () => {
    const host = `Host: 127.0.0.1:${port}\r\n`;
    for (let i = 0; i < 50; i++) {
      // Headers that never end: a header line grows a byte at a time.
      dribblers.push(await dribble(port, `POST / HTTP/1.1\r\n${host}X-Slow: `, "abcdefghij", 50));
      // Complete headers, then a body that never reaches its declared length.
      dribblers.push(
        await dribble(port, `POST / HTTP/1.1\r\n${host}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\nAction=Describe`, "x", 50),
      );
    }
    // Let every socket send a few bytes first, so that each is mid-request.
    await sleep(300);
    for (let round = 0; round < 8; round++) await Promise.all(Array.from({ length: 5 }, describeOk));
    const created = await s.call("CreateCompShareInstance", CREATE);
    assert.equal(created.body.RetCode, 0, JSON.stringify(created.body));
    // No slow socket got an answer to a request it has not finished.
    for (const d of dribblers) assert.equal(d.received().startsWith("HTTP/1.1 200"), false, d.received());
  });

  it("a client that sends a whole signed request a few bytes at a time gets its answer", async () => {
    const body = formOf(signedParams("DescribeCompShareInstance", { ...REGION }, s.keys));
    const request = `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    const socket = await open(port);
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString("utf8")));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    for (let i = 0; i < request.length; i += 8) {
      socket.write(request.slice(i, i + 8));
      await sleep(5);
    }
    // Meanwhile the others are served.
    await describeOk();
    await closed;
    assert.match(received, /^HTTP\/1\.1 200 /);
    assert.match(received, /x-ucloud-request-uuid: [0-9a-f-]{36}/i);
    const json = JSON.parse(received.slice(received.indexOf("\r\n\r\n") + 4)) as { RetCode: number; Action: string };
    assert.equal(json.RetCode, 0);
    assert.equal(json.Action, "DescribeCompShareInstanceResponse");
  });

  it("slow clients that go away are not internal errors, and the server goes on serving", async () => {
    for (const d of dribblers.splice(0)) d.stop();
    // Let the server see the closes.
    await sleep(200);
    await describeOk();
    const errors = s.logs.filter((l) => l.includes('"internal error"') || l.includes("unhandled error"));
    assert.deepEqual(errors, []);
  });
});
