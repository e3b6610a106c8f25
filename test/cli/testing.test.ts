/**
 * `ocs testing` through the real binary against a real `ocs serve` in testing mode: faults armed,
 * listed (table and --json), caught and cleared; the clock moved by exactly each duration;
 * snapshots saved, listed, restored and deleted with the state they hold; a reset; another
 * account's keys refused (299). And a server not in testing mode: every command fails with
 * RetCode 161 shown and the way to turn it on, and `ocs serve` warns only in testing mode.
 */
import assert from "node:assert/strict";
import type { Fault } from "@opencompshare/protocol";
import { after, before, describe, it } from "node:test";
import { CompShareClient } from "@opencompshare/sdk";
import { formatDuration, parseDuration } from "../../packages/cli/src/commands/testing/clock.js";
import { TESTING_WARNING } from "../../packages/cli/src/commands/serve.js";
import { poll } from "../helpers/process.js";
import { ocs, rows, type Run } from "./run-ocs.js";
import { startTestingServer, type TestingServer } from "./testing-server.js";

interface Clock {
  Time: number;
  TimeMs: number;
  OffsetSeconds: number;
}

const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
const usage = (r: Run, message: RegExp) => {
  assert.equal(r.code, 2, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, "");
};
/** The `Key  value` line of a key/value view. */
const field = (stdout: string, key: string) => new RegExp(`^${key} +(.+)$`, "m").exec(stdout)?.[1];

describe("ocs testing durations", () => {
  it("reads seconds and whole units, largest first; prints them back the same way", () => {
    const cases: Array<[string, number]> = [["90", 90], ["0.5", 0.5], ["90s", 90], ["15m", 900], ["2h", 7200], ["7d", 604_800], ["7d1h", 608_400], ["1h30m15s", 5415]];
    for (const [text, seconds] of cases) assert.equal(parseDuration(text), seconds, text);
    assert.equal(formatDuration(608_400), "7d1h");
    assert.equal(formatDuration(5415), "1h30m15s");
    assert.equal(formatDuration(0), "0s");
    for (const bad of ["", "1x", "1h7d", "7d7d", "-5", "1.5h", "h", "0", "0s", "7 d", "99999999999"]) assert.throws(() => parseDuration(bad), /DURATION must be/, bad);
  });
});

describe("ocs testing, on a server in testing mode", () => {
  let t: TestingServer;
  let client: CompShareClient;
  const run = (...args: string[]) => ocs(["testing", ...args], t.env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await run(...args, "--json");
    ok(r);
    return JSON.parse(r.stdout) as T;
  };
  const faults = async () => (await json<{ TotalCount: number; FaultSet: Fault[] }>("fault", "list")).FaultSet;
  const offset = async () => (await json<Clock>("clock", "show")).OffsetSeconds;
  const snapshots = async () => (await json<{ SnapshotSet: Array<{ Name: string; Size: number }> }>("snapshot", "list")).SnapshotSet.map((s) => s.Name);
  const instances = async () => (await client.describeCompShareInstance({ Limit: 100 })).UHostSet.map((i) => i.UHostId);
  /** A Running instance, created and waited for through `ocs instance create --wait`. */
  const running = async (): Promise<string> => {
    const r = await ocs(["instance", "create", "--gpu-type", "4090", "--image", "compshareImage-ubuntu2204", "--charge-type", "Postpay", "--wait", "-o", "json"], t.env);
    ok(r);
    return (JSON.parse(r.stdout) as { UHostIds: string[] }).UHostIds[0]!;
  };

  before(async () => {
    t = await startTestingServer("testing", true);
    client = new CompShareClient({ publicKey: t.env.UCLOUD_PUBLIC_KEY!, privateKey: t.env.UCLOUD_PRIVATE_KEY!, baseUrl: t.server.url });
  });
  after(async () => {
    await t.close();
  });

  it("ocs serve says that testing mode is on", async () => {
    await poll(async () => t.server.output().includes("ocs: the console:"));
    assert.ok(t.server.output().includes(`ocs: ${TESTING_WARNING}\n`), t.server.output());
  });

  it("fault arm prints the FaultId; list shows each fault (a table, --json); clear clears one, then all", async () => {
    const first = await run("fault", "arm", "--method", "reboot", "--mode", "fail", "--instance", "uhost-none", "--times", "2", "--message", "boom");
    ok(first);
    const failId = first.stdout.trim();
    assert.match(failId, /^flt-[0-9a-z-]+$/);
    const second = await json<{ FaultId: string }>("fault", "arm", "--method", "powerOn", "--mode", "slow", "--delay-ms", "1500");
    assert.match(second.FaultId, /^flt-/);
    assert.notEqual(second.FaultId, failId);

    const table = await run("fault", "list");
    ok(table);
    assert.match(table.stdout, /^FAULTID +METHOD +MODE +INSTANCE +FIRED +REMAINING +DELAYMS +MESSAGE +CREATED$/m);
    const [a, b] = rows(table.stdout);
    assert.deepEqual(a?.slice(0, 8), [failId, "reboot", "fail", "uhost-none", "0/2", "2", "-", "boom"]);
    assert.deepEqual(b?.slice(0, 8), [second.FaultId, "powerOn", "slow", "any", "0/1", "1", "1500", "-"]);
    const listed = await faults();
    assert.deepEqual(
      listed.map((f) => [f.FaultId, f.Method, f.Mode, f.UHostId, f.Times, f.Remaining, f.Fired, f.DelayMs, f.Message]),
      [
        [failId, "reboot", "fail", "uhost-none", 2, 2, 0, 0, "boom"],
        [second.FaultId, "powerOn", "slow", "", 1, 1, 0, 1500, ""],
      ],
    );

    const one = await run("fault", "clear", failId);
    ok(one);
    assert.equal(one.stdout, "cleared 1 fault\n");
    assert.deepEqual((await faults()).map((f) => f.FaultId), [second.FaultId]);
    const again = await run("fault", "clear", failId);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`^ocs: ParamsNotAvailable \\(RetCode 230\\): .*no fault ${failId}`, "m"));
    await json("fault", "arm", "--method", "snapshot", "--mode", "hang");
    const all = await run("fault", "clear");
    ok(all);
    assert.equal(all.stdout, "cleared 2 faults\n");
    assert.deepEqual(await faults(), []);
    assert.deepEqual(rows((await run("fault", "list")).stdout), []);
  });

  it("a fault armed on an instance catches its reboot: the operation fails with its message, and it is listed as fired", async () => {
    const id = await running();
    const armed = await run("fault", "arm", "--method", "reboot", "--mode", "fail", "--instance", id, "--message", "the reboot was refused");
    ok(armed);
    ok(await ocs(["instance", "reboot", id], t.env));
    await poll(async () => (await client.describeCompShareFaults()).FaultSet[0]?.Fired === 1);
    const [f] = await faults();
    assert.deepEqual([f?.FaultId, f?.Fired, f?.Remaining], [armed.stdout.trim(), 1, 0]);
    await poll(async () => (await client.describeCompShareInstanceOperations({ UHostId: id, Limit: 100 })).OperationSet.some((o) => o.Status === "Failed"));
    const ops = (await client.describeCompShareInstanceOperations({ UHostId: id, Limit: 100 })).OperationSet;
    assert.match(ops.find((o) => o.Status === "Failed")?.ErrorMessage ?? "", /the reboot was refused/);
    ok(await run("fault", "clear"));
  });

  it("clock advance moves the offset forward by exactly the duration, and prints the new time and what fell due", async () => {
    const before = await json<Clock>("clock", "show");
    assert.equal(new Date(before.TimeMs).toISOString().slice(0, 19), new Date(before.Time * 1000).toISOString().slice(0, 19));
    const r = await run("clock", "advance", "7d1h");
    ok(r);
    const now = await json<Clock>("clock", "show");
    assert.equal(now.OffsetSeconds, before.OffsetSeconds + 608_400);
    const shown = field(r.stdout, "Time");
    assert.match(shown ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(shown!) - before.TimeMs >= 608_400_000, `${shown} is 7d1h after ${new Date(before.TimeMs).toISOString()}`);
    assert.equal(field(r.stdout, "Offset"), `+${before.OffsetSeconds + 608_400} s (${formatDuration(before.OffsetSeconds + 608_400)} ahead of the real clock)`);
    for (const key of ["Billed", "Renewed", "PolicySteps", "ScheduledStops", "OperationsSettled"]) assert.match(field(r.stdout, key) ?? "", /^\d+ \(/, key);

    let expected = now.OffsetSeconds;
    for (const [text, seconds] of [["90s", 90], ["15m", 900], ["2h", 7200], ["45", 45]] as const) {
      const step = await json<Clock & { Billed: number }>("clock", "advance", text);
      expected += seconds;
      assert.equal(step.OffsetSeconds, expected, text);
      assert.equal(typeof step.Billed, "number");
    }
    assert.equal(await offset(), expected);
  });

  it("clock advance refuses a duration it does not know, or none, with exit 2; the clock does not move", async () => {
    const was = await offset();
    usage(await run("clock", "advance", "7days"), /DURATION must be seconds \(90, 0\.5\) or whole units, largest first: 90s, 15m, 2h, 7d, 7d1h/);
    usage(await run("clock", "advance", "1h7d"), /DURATION must be/);
    usage(await run("clock", "advance", "0"), /DURATION must be more than 0/);
    usage(await run("clock", "advance"), /missing DURATION/);
    usage(await run("clock", "advance", "-5"), /unknown option -5/);
    usage(await run("clock", "rewind", "5"), /unknown command "testing clock rewind": one of show, advance/);
    assert.equal(await offset(), was);
  });

  it("snapshot save, list, restore and delete: the instances, faults and clock saved come back", async () => {
    ok(await run("reset"));
    const empty = await run("snapshot", "save", "empty");
    ok(empty);
    assert.match(empty.stdout, /^saved empty: [\d.]+ (B|KB|MB) at \S+ \(server time\), in \d+ ms\n$/);
    const id = await running();
    const faultId = (await run("fault", "arm", "--method", "powerOff", "--mode", "fail")).stdout.trim();
    await json("clock", "advance", "1h");
    ok(await run("snapshot", "save", "one"));
    const table = await run("snapshot", "list");
    ok(table);
    assert.match(table.stdout, /^NAME +CREATED +SIZE$/m);
    assert.deepEqual(rows(table.stdout).map((r) => r[0]), ["empty", "one"]);
    assert.ok((await json<{ SnapshotSet: Array<{ Size: number }> }>("snapshot", "list")).SnapshotSet.every((s) => s.Size > 0));

    const taken = await run("snapshot", "save", "one");
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /\(RetCode \d+\)/);
    ok(await run("snapshot", "save", "one", "--overwrite"));

    const back = await run("snapshot", "restore", "empty");
    ok(back);
    assert.match(back.stdout, /^restored empty: the server's time is \S+; in \d+ ms\n$/);
    assert.deepEqual(await instances(), []);
    assert.deepEqual(await faults(), []);
    assert.equal(await offset(), 0);

    ok(await run("snapshot", "restore", "one"));
    assert.deepEqual(await instances(), [id]);
    assert.deepEqual((await faults()).map((f) => f.FaultId), [faultId]);
    assert.equal(await offset(), 3600);

    const gone = await run("snapshot", "delete", "empty");
    ok(gone);
    assert.equal(gone.stdout, "deleted empty\n");
    assert.deepEqual(await snapshots(), ["one"]);
    const missing = await run("snapshot", "restore", "empty");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\(RetCode \d+\)/);
    const bad = await run("snapshot", "save", "../up");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\(RetCode \d+\)/);
    usage(await run("snapshot", "save"), /missing NAME/);
    usage(await run("snapshot", "list", "--overwrite"), /--overwrite applies to `ocs testing snapshot save`/);
  });

  it("reset returns to a fresh server: no instance, fault or offset; the operator's keys still answer; snapshots are kept", async () => {
    await running();
    ok(await run("fault", "arm", "--method", "reboot", "--mode", "hang"));
    await json("clock", "advance", "2h");
    const kept = await snapshots();
    const r = await run("reset");
    ok(r);
    assert.match(r.stdout, /^reset: a fresh server; the operator keeps its ids, keys and initial balance; snapshots are kept; the server's time is \S+ \(offset 0\); in \d+ ms\n$/);
    assert.deepEqual(await instances(), []);
    assert.deepEqual(await faults(), []);
    assert.equal(await offset(), 0);
    assert.deepEqual(await snapshots(), kept);
    const bills = await ocs(["bills", "--json"], t.env);
    ok(bills);
    assert.equal((JSON.parse(bills.stdout) as { Balance: number }).Balance, 1_000_000);
  });

  it("another account's keys are refused with RetCode 299, and told why", async () => {
    const created = await ocs(["account", "create", "neighbour"], t.serverEnv);
    ok(created);
    const keys = JSON.parse(created.stdout) as { PublicKey: string; PrivateKey: string };
    const r = await ocs(["testing", "clock", "show"], { ...t.env, UCLOUD_PUBLIC_KEY: keys.PublicKey, UCLOUD_PRIVATE_KEY: keys.PrivateKey });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\(RetCode 299\)/);
    assert.match(r.stderr, /only the keys of the server's operator/);
  });
});

describe("ocs testing, on a server not in testing mode", () => {
  let t: TestingServer;
  before(async () => {
    t = await startTestingServer("not-testing", false);
  });
  after(async () => {
    await t.close();
  });

  it("every command fails with RetCode 161 shown, and says how to turn testing mode on", async () => {
    const commands = [
      ["clock", "show"],
      ["clock", "advance", "7d"],
      ["fault", "arm", "--method", "reboot", "--mode", "fail"],
      ["fault", "list"],
      ["fault", "clear"],
      ["snapshot", "save", "s1"],
      ["snapshot", "restore", "s1"],
      ["snapshot", "list"],
      ["snapshot", "delete", "s1"],
      ["reset"],
    ];
    for (const args of commands) {
      const r = await ocs(["testing", ...args], t.env);
      assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, /^ocs: ActionNotFound \(RetCode 161\): /m, args.join(" "));
      assert.match(r.stderr, /only on a server in testing mode: start it with OCS_TESTING=1/, args.join(" "));
      assert.equal(r.stdout, "");
    }
  });

  it("ocs serve prints no testing-mode warning", async () => {
    await poll(async () => t.server.output().includes("ocs: the console:"));
    assert.ok(!t.server.output().includes("testing mode"), t.server.output());
  });
});
