/**
 * Images: a snapshot leaves the machine as it was; buildImage reports its progress up to 100 (from 0, or from where a copy already started is),
 * is joined when in flight and safe to call again; deleteImage is idempotent.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Conformance, ImageProgress } from "./context.js";
import { flush, STEP_MS, track } from "./time.js";

export function describeImages(c: Conformance): void {
  const { never, newId, run, withoutTime, status, stopped, running } = c;

  describe("snapshot", () => {
    it("of a running machine: the machine goes on running, with no reboot", async () => {
      const id = await running();
      const before = await status(id);
      await run(c.driver.snapshot(id, `img-${id}`, never()));
      assert.deepEqual(await status(id), before);
    });

    it("of a stopped machine: it stays stopped", async () => {
      const id = await stopped();
      await run(c.driver.snapshot(id, `img-${id}`, never()));
      assert.equal((await status(id)).power, "stopped");
    });
  });

  describe("buildImage / imageProgress / deleteImage", () => {
    async function snapshotted(): Promise<string> {
      const id = await running();
      const imageId = `img-${id}`;
      await run(c.driver.snapshot(id, imageId, never()));
      return imageId;
    }

    it("reports progress from where the copy is to 100 through onProgress and imageProgress", async () => {
      const imageId = await snapshotted();
      // The QEMU backend starts the copy with the snapshot, so it may be past 0 by now; a driver that
      // starts it only with buildImage does not know the image yet, and its first report is then 0.
      const before = await withoutTime(c.driver.imageProgress(imageId, never()), "imageProgress").catch(() => ({ percent: 0 }));
      assert.ok(before.percent < 100, "the copy of a whole boot disk is not done the moment it starts");
      const reported: ImageProgress[] = [];
      const build = track(
        c.driver.buildImage(imageId, never(), async (p) => {
          reported.push(p);
        }),
      );
      await flush();
      assert.ok(reported.length >= 1, "onProgress should be called before any clock time passes");
      assert.ok((reported[0]?.percent ?? -1) >= before.percent, "the first report is not behind the build");
      assert.ok((reported[0]?.percent ?? 100) < 100, "the first report comes before the build is done");
      const sampled: ImageProgress[] = [];
      while (!build.done) {
        sampled.push(await withoutTime(c.driver.imageProgress(imageId, never()), "imageProgress"));
        await c.time.pass(STEP_MS * 10);
        await flush();
      }
      await build.promise;
      const final = await withoutTime(c.driver.imageProgress(imageId, never()), "imageProgress");
      assert.equal(final.percent, 100);
      assert.equal(final.remainingMs, 0);
      assert.ok(final.totalMs > 0);
      const last = reported[reported.length - 1];
      assert.equal(last?.percent, 100);
      assert.equal(last?.remainingMs, 0);
      for (const series of [reported, sampled]) {
        for (const p of series) {
          assert.ok(p.percent >= 0 && p.percent <= 100, `percent ${p.percent} out of 0–100`);
          assert.ok(p.remainingMs >= 0 && p.remainingMs <= p.totalMs, `remaining ${p.remainingMs} of ${p.totalMs}`);
        }
        for (let i = 1; i < series.length; i++) {
          assert.ok((series[i]?.percent ?? 0) >= (series[i - 1]?.percent ?? 0), "progress never goes back");
        }
      }
      assert.ok(
        sampled.some((p) => p.percent > 0 && p.percent < 100),
        "imageProgress should show the build part way",
      );
      assert.ok(reported.length >= 3, "onProgress should be called along the way, not only at 0 and 100");
    });

    it("joins a build in flight and is safe to call again once complete", async () => {
      const imageId = await snapshotted();
      const first = track(c.driver.buildImage(imageId, never()));
      await flush();
      await c.time.pass(STEP_MS * 20);
      await flush();
      const seen: ImageProgress[] = [];
      const second = track(
        c.driver.buildImage(imageId, never(), async (p) => {
          seen.push(p);
        }),
      );
      await flush();
      const total = (await withoutTime(c.driver.imageProgress(imageId, never()), "imageProgress")).totalMs;
      assert.ok((seen[0]?.percent ?? 0) > 0, "the second call should report the build in flight, not start over");
      // The same build: its total (an estimate, for a real copy) agrees within a tenth.
      const seenTotal = seen[0]?.totalMs ?? 0;
      assert.ok(Math.abs(seenTotal - total) <= total / 10, `the build's total: ${seenTotal} ms, then ${total} ms`);
      await run(first);
      await run(second);
      assert.equal((await withoutTime(c.driver.imageProgress(imageId, never()), "imageProgress")).percent, 100);
      const again: ImageProgress[] = [];
      await run(
        c.driver.buildImage(imageId, never(), async (p) => {
          again.push(p);
        }),
      );
      assert.equal(again[again.length - 1]?.percent, 100);
      assert.equal((await withoutTime(c.driver.imageProgress(imageId, never()), "imageProgress")).percent, 100);
    });

    it("deleteImage removes the image and is idempotent", async () => {
      const imageId = await snapshotted();
      await run(c.driver.buildImage(imageId, never()));
      await run(c.driver.deleteImage(imageId, never()));
      await assert.rejects(withoutTime(c.driver.imageProgress(imageId, never()), "imageProgress of a deleted image"));
      await run(c.driver.deleteImage(imageId, never()));
      await run(c.driver.deleteImage(`never-built-${newId()}`, never()));
    });
  });
}
