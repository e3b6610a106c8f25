/**
 * What the CLI prints: aligned tables (wide characters too), the live line of --wait on a
 * terminal and plain lines elsewhere, and the concurrency limit of batches.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mapLimit } from "../../packages/cli/src/batch.js";
import { parseMemory } from "../../packages/cli/src/commands/instance.js";
import { displayWidth, formatElapsed, keyValues, Progress, table } from "../../packages/cli/src/output.js";

class FakeStream {
  chunks: string[] = [];
  constructor(readonly isTTY: boolean) {}
  write(text: string) {
    this.chunks.push(text);
    return true;
  }
  get text() {
    return this.chunks.join("");
  }
}

describe("table", () => {
  it("aligns columns, capitalises the header, trims trailing spaces", () => {
    const out = table(["UHostId", "State", "Name"], [["uhost-a", "Running", "x"], ["uhost-bbbb", "Stopped", ""]]);
    assert.equal(out, "UHOSTID     STATE    NAME\nuhost-a     Running  x\nuhost-bbbb  Stopped\n");
  });

  it("counts wide characters as two columns", () => {
    assert.equal(displayWidth("训练机"), 6);
    assert.equal(displayWidth("abc"), 3);
    const out = table(["Name", "State"], [["训练机", "Running"], ["demo-1", "Stopped"]]).split("\n");
    assert.equal(displayWidth(out[1]!.slice(0, out[1]!.indexOf("Running"))), displayWidth(out[2]!.slice(0, out[2]!.indexOf("Stopped"))));
  });

  it("keyValues aligns and leaves out empty values", () => {
    assert.equal(keyValues([["UHostId", "uhost-a"], ["SSH", ""], ["CPU", 16]]), "UHostId  uhost-a\nCPU      16\n");
  });
});

describe("Progress (the --wait display)", () => {
  it("on a terminal: one live line, a spinner, the state and the elapsed time, redrawn in place and cleared", () => {
    let now = 1000;
    const stream = new FakeStream(true);
    const p = new Progress(stream, "Running", { now: () => now, tickMs: 60_000 });
    p.update("uhost-a", "Rebooting");
    now += 2500;
    p.update("uhost-a", "Rebooting");
    now += 1000;
    p.update("uhost-a", "Running");
    p.stop();
    assert.equal(stream.chunks.length, 4);
    const CLEAR = "\r\x1b[2K";
    assert.ok(stream.chunks.every((c) => c.startsWith(CLEAR)), "each redraw returns to the start of the line and clears it");
    const drawn = stream.chunks.map((c) => c.slice(CLEAR.length));
    assert.match(drawn[0]!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] uhost-a {2}Rebooting → Running {2}0\.0s$/);
    assert.match(drawn[1]!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] uhost-a {2}Rebooting → Running {2}2\.5s$/);
    assert.match(drawn[2]!, /Running → Running {2}3\.5s$/);
    assert.notEqual(drawn[0]![0], drawn[1]![0], "the spinner turns");
    assert.equal(drawn[3], "", "the line is cleared at the end");
    assert.ok(!stream.text.includes("\n"), "never a new line");
  });

  it("on a terminal, for many instances: counts per state", () => {
    const stream = new FakeStream(true);
    const p = new Progress(stream, "Running", { now: () => 0, tickMs: 60_000 });
    p.update("uhost-a", "Rebooting");
    p.update("uhost-b", "Running");
    p.update("uhost-c", "Rebooting");
    assert.equal(p.line(), "3 instances: 2 Rebooting, 1 Running → Running  0.0s");
    p.stop();
  });

  it("on a narrow terminal: the live line is cut to fit, so that it can be redrawn in place", () => {
    const stream = Object.assign(new FakeStream(true), { columns: 20 });
    const p = new Progress(stream, "Running", { now: () => 0, tickMs: 60_000 });
    p.update("uhost-0123456789ab", "Rebooting");
    p.stop();
    const drawn = stream.chunks[0]!.slice("\r\x1b[2K".length);
    assert.equal(displayWidth(drawn), 19);
    assert.ok(drawn.endsWith("…"));
  });

  it("elsewhere: a plain line when a state changes, nothing in between", () => {
    let now = 0;
    const stream = new FakeStream(false);
    const p = new Progress(stream, "Stopped", { now: () => now });
    p.update("uhost-a", "Stopping");
    now = 400;
    p.update("uhost-a", "Stopping");
    now = 1200;
    p.update("uhost-a", "Stopped");
    p.update("uhost-b", undefined);
    p.update("uhost-c", "");
    p.stop();
    assert.equal(stream.text, "uhost-a: Stopping (0.0s)\nuhost-a: Stopped (1.2s)\nuhost-b: gone (1.2s)\nuhost-c: unknown (1.2s)\n");
  });

  it("formats elapsed time", () => {
    assert.equal(formatElapsed(3400), "3.4s");
    assert.equal(formatElapsed(65_000), "1m05s");
  });
});

describe("mapLimit (batches)", () => {
  it("runs at most `limit` at once, keeps the order, and settles each item", async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5 * (8 - n)));
      running--;
      if (n === 4) throw new Error("four");
      return n * 10;
    });
    assert.equal(most, 3);
    assert.deepEqual(
      results.map((r) => (r.ok ? r.value : (r.error as Error).message)),
      [10, 20, 30, "four", 50, 60, 70],
    );
  });
});

describe("--memory", () => {
  it("takes MB or a size in G/M", () => {
    assert.equal(parseMemory("65536"), 65536);
    assert.equal(parseMemory("64G"), 65536);
    assert.equal(parseMemory("64gb"), 65536);
    assert.equal(parseMemory("512M"), 512);
    assert.throws(() => parseMemory("lots"), /--memory/);
  });
});
