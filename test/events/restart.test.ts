/**
 * Resuming the event stream across a hard kill of the server: a client reads some events and
 * remembers the last id; more happens (some before the kill, a reboot cut off by it, more after
 * the restart); the server process is killed with SIGKILL and started again on the same database
 * (SQLite file, or PostgreSQL with OCS_TEST_DB=postgres); the stream resumed with Last-Event-ID
 * gets every later event exactly once, in order, and exactly the events that a fresh stream from
 * 0 lists after that id. Time is real here (two processes), so the simulated boot is short;
 * nothing asserts on durations.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NetworkError, type CompShareClient, type InstanceEvent, type StreamItem } from "@opencompshare/sdk";
import { crashableServer } from "../helpers/crash.js";
import { poll } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS } from "../helpers/server.js";
import { clientOf, read } from "./helpers.js";

const events = (items: StreamItem[]): InstanceEvent[] => items.filter((i): i is InstanceEvent => i.Kind !== "reset");
const ids = (items: StreamItem[]): number[] => events(items).map((e) => e.EventId);

describe("the event stream across a kill -9 and a restart", () => {
  const crash = crashableServer("ocs-events-restart", { OCS_SIM_BOOT_MS: "1000" });

  const state = async (client: CompShareClient, id: string) => (await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0]?.State;
  const create = async (client: CompShareClient) => (await client.createCompShareInstance(CREATE)).UHostIds[0] as string;
  const untilRunning = (client: CompShareClient, id: string) => poll(async () => (await state(client, id)) === "Running", 50, 600);

  it("resumes after the last id read: every later event once, in order, none missing", async () => {
    let server = await crash.start();
    let client = clientOf(server.url, DEFAULT_KEYS);

    // Read some events, and remember where the reading stopped.
    const first = read(client, { after: 0 });
    const a = await create(client);
    await untilRunning(client, a);
    await first.until((items) => events(items).some((e) => e.Kind === "instance.state" && e.UHostId === a && e.State === "Running"), "a Running");
    await first.close();
    const read1 = ids(first.items);
    assert.ok(read1.length >= 3, JSON.stringify(read1));
    const lastId = read1.at(-1) as number;

    // Another client keeps its stream open through all of it: the SDK reconnects by itself
    // (same address: the restart takes the same port) and resumes after the last event it got.
    const live = read(client, { after: lastId });

    // More happens that the first client does not read: a second instance, then a reboot cut off by the kill.
    const b = await create(client);
    await untilRunning(client, b);
    await client.rebootCompShareInstance({ UHostId: a });
    assert.equal(await state(client, a), "Rebooting");

    assert.equal(await crash.kill9(), "SIGKILL");

    // While it is down nothing can be read.
    await assert.rejects(
      (async () => {
        for await (const item of client.events({ after: lastId, reconnect: false })) void item;
      })(),
      (e: unknown) => e instanceof NetworkError,
    );

    // The same database again; recovery finishes the reboot; more happens after the restart.
    server = await crash.start(Number(new URL(server.url).port));
    client = clientOf(server.url, DEFAULT_KEYS);
    await untilRunning(client, a);
    const c = await create(client);
    await untilRunning(client, c);

    // The whole log still kept, up to the last operation's end: that is the newest event.
    const full = read(client, { after: 0 });
    const ended = (items: StreamItem[], id: string, action: string) => {
      const op = events(items).find((e) => e.Kind === "operation.accepted" && e.UHostId === id && e.Action === action)?.OperationId;
      return op !== undefined && events(items).some((e) => e.Kind === "operation.succeeded" && e.OperationId === op);
    };
    const settled = (items: StreamItem[]) =>
      ended(items, c, "CreateCompShareInstance") &&
      ended(items, a, "RebootCompShareInstance") &&
      events(items).some((e) => e.Kind === "lock.released" && e.UHostId === c);
    await full.until(settled, "the end of the last operations");

    const resumed = read(client, { after: lastId });
    const head = Math.max(...ids(full.items));
    await resumed.until((items) => ids(items).some((id) => id >= head), `event ${head} on the resumed stream`);
    // Its backoff grows while the server is down: it may take a few seconds to come back.
    await live.until((items) => ids(items).some((id) => id >= head), `event ${head} on the stream kept open`, 1600);
    await Promise.all([full.close(), resumed.close(), live.close()]);

    const all = ids(full.items);
    assert.deepEqual(all, [...all].sort((x, y) => x - y), "the full log in increasing order");
    assert.equal(new Set(all).size, all.length, "the full log has each event once");
    assert.deepEqual(
      all.filter((id) => id <= lastId),
      read1,
      "the first reading was the head of the log",
    );

    const got = ids(resumed.items).filter((id) => id <= head);
    const want = all.filter((id) => id > lastId);
    assert.ok(want.length > 0);
    assert.deepEqual(got, want, "every event after the last id read, once, in order, none missing");
    assert.deepEqual(
      ids(live.items).filter((id) => id <= head),
      want,
      "the stream kept open across the kill: the same events, once each, in order",
    );

    // What it covers: events written before the kill, by the recovery, and after the restart.
    const kinds = new Set(events(resumed.items).map((e) => `${e.Kind} ${e.UHostId}`));
    assert.ok(kinds.has(`instance.created ${b}`), "before the kill");
    assert.ok(kinds.has(`operation.resumed ${a}`), "the recovery of the reboot cut off");
    assert.ok(kinds.has(`instance.created ${c}`), "after the restart");
    assert.ok(
      events(resumed.items).some((e) => e.Kind === "instance.state" && e.UHostId === a && e.State === "Running" && e.EventId > lastId),
      "the rebooted instance Running again",
    );
  });
});
