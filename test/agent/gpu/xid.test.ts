/** Xid events: parsing kmsg, dmesg and journal lines; the incremental watcher. */
import assert from "node:assert/strict";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { describeXid, FATAL_XIDS, isFatalXid, parseXidLine, parseXids, XidWatcher } from "../../../packages/agent/src/gpu/index.js";
import { fixture, tempDir } from "./fakes.js";

describe("parsing", () => {
  it("a /dev/kmsg record", () => {
    const line = "6,1234,5678901,-;NVRM: Xid (PCI:0000:01:00): 79, pid=1934, GPU has fallen off the bus.";
    assert.deepEqual(parseXidLine(line), { pciAddress: "0000:01:00.0", code: 79, message: "GPU has fallen off the bus.", raw: line });
  });

  it("a dmesg line", () => {
    const line =
      "[  123.456] NVRM: Xid (PCI:0000:3b:00): 48, An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 0, subpartition 0.";
    const event = parseXidLine(line);
    assert.equal(event?.pciAddress, "0000:3b:00.0");
    assert.equal(event?.code, 48);
    assert.equal(event?.message, "An uncorrectable double bit error (DBE) has been detected on GPU in the framebuffer at partition 0, subpartition 0.");
  });

  it("a journal line, an old driver's line without PCI:, and pid/name prefixes", () => {
    assert.deepEqual(parseXidLine("Oct 01 13:00:00 host kernel: NVRM: Xid (PCI:0000:06:00): 13, pid='<unknown>', name=<unknown>, Graphics Exception"), {
      pciAddress: "0000:06:00.0",
      code: 13,
      message: "Graphics Exception",
      raw: "Oct 01 13:00:00 host kernel: NVRM: Xid (PCI:0000:06:00): 13, pid='<unknown>', name=<unknown>, Graphics Exception",
    });
    assert.equal(parseXidLine("[ 269.517039] NVRM: Xid (0000:01:00): 3, C 00000005 SC 00000007")?.pciAddress, "0000:01:00.0");
    assert.equal(parseXidLine("NVRM: Xid (PCI:0000:AB:00): 31")?.message, "");
  });

  it("other lines are not Xids", () => {
    assert.equal(parseXidLine("3,1290,98765511,-;NVRM: GPU 0000:5d:00.0: GPU has fallen off the bus."), null);
    assert.equal(parseXidLine("[ 1101.774020] e1000e 0000:00:1f.6 eno1: NIC Link is Up"), null);
    assert.equal(parseXidLine(""), null);
  });

  it("the kmsg fixture: two Xids, continuation lines skipped", async () => {
    const events = parseXids(await readFile(fixture("kmsg.txt"), "utf8"));
    assert.deepEqual(
      events.map((e) => [e.pciAddress, e.code, e.message.slice(0, 26)]),
      [
        ["0000:18:00.0", 13, "Graphics Exception: ESR 0x"],
        ["0000:5d:00.0", 79, "GPU has fallen off the bus"],
      ],
    );
  });

  it("the dmesg fixture: four Xids on two GPUs", async () => {
    const events = parseXids(await readFile(fixture("dmesg.txt"), "utf8"));
    assert.deepEqual(
      events.map((e) => [e.pciAddress, e.code]),
      [
        ["0000:3b:00.0", 48],
        ["0000:3b:00.0", 63],
        ["0000:86:00.0", 31],
        ["0000:86:00.0", 43],
      ],
    );
    assert.equal(events[1]?.message, "Row Remapper: New row marked for remapping, reset gpu to activate.");
  });

  it("classifies: the fatal set, each with a reason; 13, 31, 43 informational", () => {
    for (const code of [79, 48, 74, 63, 64, 92, 94, 95, 119, 120]) {
      assert.ok(isFatalXid(code), String(code));
      assert.ok((FATAL_XIDS.get(code) ?? "").length > 20, String(code));
    }
    for (const code of [13, 31, 43, 45, 8]) assert.ok(!isFatalXid(code), String(code));
    assert.match(describeXid(79), /fallen off the bus/);
    assert.match(describeXid(13), /application/);
    assert.match(describeXid(999), /informational/);
  });
});

describe("XidWatcher", () => {
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => {
    dir = await tempDir("xid");
  });
  after(async () => dir.remove());

  it("skips what was there before the first poll, then reads appended lines incrementally", async () => {
    const path = join(dir.path, "kmsg-incremental");
    await writeFile(path, await readFile(fixture("kmsg.txt"), "utf8"));
    let now = 1_000;
    const watcher = new XidWatcher({ path, clock: () => now });
    assert.deepEqual(await watcher.poll(), [], "the log before the agent started is not read");
    assert.equal(watcher.status.available, true);

    await appendFile(path, "4,1301,99000000,-;NVRM: Xid (PCI:0000:2a:00): 13, pid=1, name=a, Graphics Exception\n");
    now = 2_000;
    const first = await watcher.poll();
    assert.deepEqual(
      first.map((e) => [e.pciAddress, e.code, e.seenAt]),
      [["0000:2a:00.0", 13, 2_000]],
    );
    assert.deepEqual(await watcher.poll(), [], "nothing new, nothing read twice");

    // A line written in two pieces is read once, whole.
    await appendFile(path, "4,1302,99000100,-;NVRM: Xid (PCI:0000:2a:00): 7");
    assert.deepEqual(await watcher.poll(), []);
    await appendFile(path, "9, GPU has fallen off the bus.\n SUBSYSTEM=pci\n");
    now = 3_000;
    const second = await watcher.poll();
    assert.deepEqual(
      second.map((e) => [e.code, e.message]),
      [[79, "GPU has fallen off the bus."]],
    );
    assert.deepEqual(
      watcher.eventsFor("00000000:2A:00.0").map((e) => e.code),
      [13, 79],
    );
    assert.deepEqual(
      watcher.fatalFor("0000:2a:00.0").map((e) => e.code),
      [79],
    );
    assert.deepEqual(watcher.eventsFor("0000:18:00.0"), [], "events before the first poll were not kept");
    await watcher.close();
  });

  it("readExisting reads what the source already holds", async () => {
    const watcher = new XidWatcher({ path: fixture("dmesg.txt"), readExisting: true });
    assert.equal((await watcher.poll()).length, 4);
    assert.deepEqual(watcher.addresses().sort(), ["0000:3b:00.0", "0000:86:00.0"]);
  });

  it("keeps fatal events after the recent list has rolled over", async () => {
    const path = join(dir.path, "kmsg-flood");
    await writeFile(path, "");
    const watcher = new XidWatcher({ path, maxEventsPerGpu: 5 });
    await watcher.poll();
    await appendFile(path, "NVRM: Xid (PCI:0000:01:00): 48, DBE\n");
    const lines = Array.from({ length: 50 }, (_, i) => `NVRM: Xid (PCI:0000:01:00): 13, pid=${i}, Graphics Exception\n`).join("");
    await appendFile(path, lines);
    await watcher.poll();
    const events = watcher.eventsFor("0000:01:00.0");
    assert.equal(events.length, 6, "5 recent and the sticky 48");
    assert.deepEqual(
      events.map((e) => e.code),
      [48, 13, 13, 13, 13, 13],
    );
  });

  it("starts over when the file is truncated (rotated)", async () => {
    const path = join(dir.path, "kmsg-rotate");
    await writeFile(path, "old line\nanother old line\n");
    const watcher = new XidWatcher({ path });
    await watcher.poll();
    await writeFile(path, "NVRM: Xid (PCI:0000:01:00): 94, Contained\n");
    assert.deepEqual(
      (await watcher.poll()).map((e) => e.code),
      [94],
    );
  });

  it("tolerates a missing source, and reads it from its start once it appears", async () => {
    const path = join(dir.path, "not-yet");
    const watcher = new XidWatcher({ path });
    assert.deepEqual(await watcher.poll(), []);
    assert.equal(watcher.status.available, false);
    assert.match(watcher.status.error ?? "", /^ENOENT/);
    await writeFile(path, "NVRM: Xid (PCI:0000:01:00): 79, GPU has fallen off the bus.\n");
    assert.deepEqual(
      (await watcher.poll()).map((e) => e.code),
      [79],
    );
    assert.equal(watcher.status.available, true);
  });

  it("tolerates an unreadable source", async () => {
    const path = join(dir.path, "a-directory");
    await mkdir(path);
    const watcher = new XidWatcher({ path });
    assert.deepEqual(await watcher.poll(), []);
    assert.equal(watcher.status.available, false);
    assert.match(watcher.status.error ?? "", /EISDIR/);
  });

  it("reads the real /dev/kmsg (a character device) when it can, and never throws", async () => {
    const watcher = new XidWatcher();
    assert.equal(watcher.path, "/dev/kmsg");
    assert.ok(Array.isArray(await watcher.poll()));
    assert.ok(Array.isArray(await watcher.poll()));
    await watcher.close();
  });

  it("ingest() takes text from elsewhere (a journal reader)", () => {
    const watcher = new XidWatcher({ path: join(dir.path, "unused"), clock: () => 42 });
    const events = watcher.ingest("Oct 01 13:00:00 host kernel: NVRM: Xid (PCI:0000:06:00): 95, Uncontained\nnoise\n");
    assert.deepEqual(
      events.map((e) => [e.pciAddress, e.code, e.seenAt]),
      [["0000:06:00.0", 95, 42]],
    );
  });
});
