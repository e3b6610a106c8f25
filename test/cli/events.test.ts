/** `ocs events --follow` against a real server process: an instance's life as lines, as JSON, and the usage errors. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { CompShareClient } from "@opencompshare/sdk";
import { poll } from "../helpers/process.js";
import { CREATE } from "../helpers/server.js";
import { startLiveServer, type LiveServer } from "./live-server.js";
import { ocs } from "./run-ocs.js";

describe("ocs events", () => {
  let live: LiveServer | undefined;
  let env: Record<string, string> = {};
  let id = "";
  let client: CompShareClient;
  before(async () => {
    live = await startLiveServer("events");
    ({ env, client } = live);
    const { UHostIds } = await client.createCompShareInstance(CREATE);
    id = UHostIds[0] as string;
    await poll(async () => (await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0]?.State === "Running", 50, 400);
  });
  after(async () => {
    await live?.close();
  });

  it("--follow --after 0 --count N prints the first N events kept, one line each, and exits 0", async () => {
    const r = await ocs(["events", "--follow", "--after", "0", "--count", "4", "--uhost", id], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n").map((l) => l.split("\t"));
    assert.equal(lines.length, 4);
    assert.deepEqual(
      lines.map((l) => l[2]),
      ["instance.created", "lock.taken", "operation.accepted", "operation.phase"],
    );
    assert.ok(lines.every((l) => l[3] === id));
    assert.match(lines[0]?.[4] ?? "", /^Initializing/);
    const ids = lines.map((l) => Number(l[0]));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  });

  it("-o json prints one event per line, with its state changes", async () => {
    // As many as the create wrote, read through the SDK first.
    let n = 0;
    for await (const e of client.events({ after: 0, uhostId: id })) {
      n++;
      if (e.Kind === "operation.succeeded") break;
    }
    const r = await ocs(["events", "-f", "--after", "0", "--uhost", id, "--count", String(n), "-o", "json"], env);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { Kind: string; State?: string; UHostId: string });
    assert.ok(events.some((e) => e.Kind === "instance.state" && e.State === "Running"), r.stdout);
    assert.ok(events.every((e) => e.UHostId === id));
  });

  it("without --follow, or with a bad --after, is a usage error (exit 2); a wrong key is refused (exit 1)", async () => {
    const noFollow = await ocs(["events"], env);
    assert.equal(noFollow.code, 2);
    assert.match(noFollow.stderr, /--follow/);
    const badAfter = await ocs(["events", "--follow", "--after", "x"], env);
    assert.equal(badAfter.code, 2);
    const wrongKey = await ocs(["events", "--follow"], { ...env, UCLOUD_PRIVATE_KEY: "wrong" });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /171/);
  });
});
