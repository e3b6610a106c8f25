/**
 * `ocs webhook` against a real server process, its delivery loop running on the real clock:
 * create prints the secret once, a local receiver gets the account's events signed, list and
 * deliveries show them, delete ends them; the usage errors.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { CompShareClient } from "@opencompshare/sdk";
import { poll } from "../helpers/process.js";
import { CREATE } from "../helpers/server.js";
import { startLiveServer, type LiveServer } from "./live-server.js";
import { ocs, rows } from "./run-ocs.js";

describe("ocs webhook", () => {
  let live: LiveServer | undefined;
  let env: Record<string, string> = {};
  let client: CompShareClient;
  const received: Array<{ headers: IncomingHttpHeaders; raw: string }> = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  let url = "";

  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    live = await startLiveServer("webhook");
    ({ env, client } = live);
  });
  after(async () => {
    await live?.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it("create, deliveries as they happen, list, deliveries, delete", async () => {
    const created = await ocs(["webhook", "create", url, "--kinds", "instance.created,instance.state"], env);
    assert.equal(created.code, 0, created.stderr);
    const id = /WebhookId\s+(whk-[0-9a-f]+)/.exec(created.stdout)?.[1];
    const secret = /Secret\s+(whsec_[0-9a-f]+)/.exec(created.stdout)?.[1];
    assert.ok(id && secret, created.stdout);
    assert.match(created.stderr, /shown only now/);

    const { UHostIds } = await client.createCompShareInstance(CREATE);
    const uhost = UHostIds[0] as string;
    await poll(async () => received.some((r) => r.raw.includes('"State":"Running"')), 50, 400);
    const kinds = received.map((r) => r.headers["x-ocs-event-kind"]);
    assert.deepEqual([...new Set(kinds)].sort(), ["instance.created", "instance.state"]);
    for (const r of received) {
      const sig: string = "sha256=" + createHmac("sha256", secret).update(`${String(r.headers["x-ocs-timestamp"])}.${r.raw}`).digest("hex");
      assert.equal(r.headers["x-ocs-signature"], sig);
      assert.equal((JSON.parse(r.raw) as { UHostId: string }).UHostId, uhost);
    }

    const list = await ocs(["webhook", "list"], env);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(!list.stdout.includes(secret), "no secret in the list");
    const [row] = rows(list.stdout);
    assert.equal(row?.[0], id);
    assert.equal(row?.[1], url);
    assert.equal(row?.[2], "instance.created,instance.state");
    assert.equal(row?.[3], "Active");

    const log = await ocs(["webhook", "deliveries", id, "-o", "json"], env);
    assert.equal(log.code, 0, log.stderr);
    const set = (JSON.parse(log.stdout) as { DeliverySet: Array<{ Outcome: string; StatusCode: number }> }).DeliverySet;
    assert.ok(set.length >= received.length - 1 && set.every((d) => d.Outcome === "delivered" && d.StatusCode === 200), log.stdout);
    const table = await ocs(["webhook", "deliveries", id], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /delivered/);

    const del = await ocs(["webhook", "delete", id], env);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, new RegExp(`${id}\\s+deleted`));
    const again = await ocs(["webhook", "delete", id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /230/);
  });

  it("an unknown kind is a usage error; a bad URL is the server's 230", async () => {
    const kind = await ocs(["webhook", "create", "https://example.com/", "--kinds", "instance.exploded"], env);
    assert.equal(kind.code, 2);
    assert.match(kind.stderr, /unknown event kind/);
    const ftp = await ocs(["webhook", "create", "ftp://example.com/"], env);
    assert.equal(ftp.code, 1);
    assert.match(ftp.stderr, /230.*http and https/);
    const none = await ocs(["webhook", "create"], env);
    assert.equal(none.code, 2);
  });
});
