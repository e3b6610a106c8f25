/**
 * Custom images from machines' boot disks. Of a running machine: a QMP `drive-backup` with
 * `sync: full` (point-in-time at its start, the whole backing chain flattened) into the image's
 * folder, followed through `query-jobs`. Of a stopped one: `qemu-img convert`, run in the
 * machine's action queue so the machine cannot start while its disk is read. Either way the
 * build is recorded in build.json, a watcher completes it (image.json written last) whether or
 * not anyone waits, and progress is the copy's own.
 */
import type { ImageProgress } from "@opencompshare/protocol";
import type { BootImage } from "../backend.js";
import type { BuildRecord } from "./images.js";
import { readdirSync, rmSync } from "node:fs";
import type { BackendContext, MachineRuntime } from "./runtime.js";
import { sleep } from "../common/waits.js";

const GB = 1024 ** 3;
/** How often a build in flight is looked at. */
const POLL_MS = 250;

interface QmpJob {
  id: string;
  type: string;
  status: string;
  "current-progress": number;
  "total-progress": number;
  error?: string;
}

/** The custom image builds of a host: starting, following, completing and cancelling them. */
export class ImageBuilds {
  /**
   * The highest percent seen per image (progress never goes back), with the total it gave when it
   * was seen: elapsed time at that moment over the fraction done. Kept until the next look, so two
   * questions between looks get the same total, and the time a look is stale never skews it.
   */
  private readonly seen = new Map<string, { percent: number; totalMs?: number }>();
  /** Watchers in flight, per image. */
  private readonly watchers = new Map<string, Promise<void>>();
  /** Offline copies in flight, per image (abort to cancel). */
  private readonly copies = new Map<string, AbortController>();
  private closed = false;

  constructor(
    private readonly ctx: BackendContext,
    private readonly runtimeOf: (machineId: string) => MachineRuntime | undefined,
  ) {}

  /** Starts the copy of a running machine's boot disk (QMP drive-backup). */
  async startOnline(rt: MachineRuntime, imageId: string, source: BootImage, signal: AbortSignal): Promise<void> {
    const jobId = `ocs-image-${imageId}`;
    const record: BuildRecord = { imageId, kind: "online", machineId: rt.id, sourceImageId: source.id, jobId, state: "running", startedAt: Date.now() };
    this.ctx.images.saveBuild(record);
    this.seen.set(imageId, { percent: 0 });
    const qmp = await rt.qmp(signal);
    try {
      await qmp.execute(
        "drive-backup",
        {
          "job-id": jobId,
          device: "boot0",
          target: this.ctx.images.partialDisk(imageId),
          format: "qcow2",
          sync: "full",
          "auto-dismiss": false,
          ...(this.ctx.imageCopyRate > 0 ? { speed: Math.round(this.ctx.imageCopyRate) } : {}),
        },
        { signal },
      );
    } catch (error) {
      this.fail(record, `drive-backup: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    this.ctx.log.info({ machine: rt.id, image: imageId, job: jobId }, "image copy started (drive-backup)");
    this.watch(imageId);
  }

  /** Records the copy of a stopped machine's boot disk and queues it on the machine (qemu-img convert). */
  startOffline(rt: MachineRuntime, imageId: string, source: BootImage): void {
    const record: BuildRecord = { imageId, kind: "offline", machineId: rt.id, sourceImageId: source.id, state: "running", startedAt: Date.now() };
    this.ctx.images.saveBuild(record);
    this.seen.set(imageId, { percent: 0 });
    this.queueOfflineCopy(rt, record);
    this.watch(imageId);
  }

  private queueOfflineCopy(rt: MachineRuntime, record: BuildRecord): void {
    const controller = new AbortController();
    this.copies.set(record.imageId, controller);
    void rt.queue.detach({
      key: `image-copy:${record.imageId}`,
      work: async (signal) => {
        const both = AbortSignal.any([signal, controller.signal]);
        if (rt.pid()) throw new Error("the machine was started before its disk was copied");
        const partial = this.ctx.images.partialDisk(record.imageId);
        rmSync(partial, { force: true });
        this.ctx.log.info({ machine: rt.id, image: record.imageId }, "image copy started (qemu-img convert)");
        try {
          await this.ctx.qemuImg.convert(rt.dir.bootDisk, partial, (p) => this.bump(record, Math.min(99, p)), both, this.ctx.imageCopyRate);
          await this.complete(record);
        } catch (error) {
          // Closing the backend is an agent going away: the next one starts the copy again.
          if (!this.closed && this.ctx.images.build(record.imageId)?.state === "running") this.fail(record, error instanceof Error ? error.message : String(error));
        } finally {
          this.copies.delete(record.imageId);
        }
      },
    });
  }

  /** Picks up the builds a previous agent left in flight. */
  resume(): void {
    for (const image of this.inFlight()) {
      if (image.kind === "offline") {
        const rt = this.runtimeOf(image.machineId);
        if (!rt) {
          this.fail(image, `machine ${image.machineId} is gone`);
          continue;
        }
        this.queueOfflineCopy(rt, image);
      }
      this.watch(image.imageId);
    }
  }

  /** The builds recorded as running. */
  inFlight(): BuildRecord[] {
    let folders: string[];
    try {
      folders = readdirSync(this.ctx.images.dir);
    } catch {
      return [];
    }
    return folders.map((id) => this.ctx.images.build(id)).filter((b): b is BuildRecord => b?.state === "running");
  }

  /** Ensures a watcher follows the build to its end. */
  watch(imageId: string): Promise<void> {
    let w = this.watchers.get(imageId);
    if (!w) {
      w = this.follow(imageId).finally(() => this.watchers.delete(imageId));
      w.catch(() => undefined);
      this.watchers.set(imageId, w);
    }
    return w;
  }

  private async follow(imageId: string): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const record = this.ctx.images.build(imageId);
      if (!record || record.state !== "running") return;
      if (record.kind === "online") await this.checkOnline(record);
      await sleep(POLL_MS);
    }
  }

  /** One look at an online build: progress, and completion once the job has concluded. */
  private async checkOnline(record: BuildRecord): Promise<void> {
    const rt = this.runtimeOf(record.machineId);
    if (!rt?.pid()) {
      this.fail(record, `machine ${record.machineId} stopped before its disk was copied`);
      return;
    }
    let jobs: QmpJob[];
    try {
      jobs = await (await rt.qmp()).execute<QmpJob[]>("query-jobs", undefined, { timeoutMs: 5000 });
    } catch {
      return; // QMP busy or reconnecting: look again
    }
    const job = jobs.find((j) => j.id === record.jobId);
    if (!job) {
      this.fail(record, "the copy job is gone (QEMU restarted?)");
      return;
    }
    if (job["total-progress"] > 0) this.bump(record, Math.min(99, (job["current-progress"] / job["total-progress"]) * 100));
    if (job.status !== "concluded") return;
    const qmp = await rt.qmp();
    await qmp.execute("job-dismiss", { id: record.jobId }).catch(() => undefined);
    if (job.error) {
      this.fail(record, `drive-backup: ${job.error}`);
      return;
    }
    await this.complete(record);
  }

  /** Finishes a build whose copy is done: image.json written, build.json done. */
  private async complete(record: BuildRecord): Promise<void> {
    const source = this.ctx.images.get(record.sourceImageId);
    if (!source) {
      this.fail(record, `source image ${record.sourceImageId} is gone`);
      return;
    }
    const info = await this.ctx.qemuImg.info(this.ctx.images.partialDisk(record.imageId));
    this.ctx.images.finish(record.imageId, source, Math.ceil(info.virtualSize / GB));
    this.ctx.images.saveBuild({ ...record, state: "done", finishedAt: Date.now() });
    this.bump(record, 100);
    this.ctx.log.info({ image: record.imageId, machine: record.machineId, ms: Date.now() - record.startedAt }, "image complete");
  }

  private fail(record: BuildRecord, error: string): void {
    rmSync(this.ctx.images.partialDisk(record.imageId), { force: true });
    this.ctx.images.saveBuild({ ...record, state: "failed", error, finishedAt: Date.now() });
    this.ctx.log.warn({ image: record.imageId, machine: record.machineId, error }, "image build failed");
  }

  private bump(record: BuildRecord, seen: number): void {
    const percent = Math.round(seen * 10) / 10;
    const last = this.seen.get(record.imageId);
    if (last && last.percent >= percent) return;
    const elapsed = Math.max(1, Date.now() - record.startedAt);
    this.seen.set(record.imageId, { percent, totalMs: percent > 0 ? Math.round((elapsed * 100) / percent) : undefined });
  }

  /** How far the build of `imageId` has come; throws for an unknown or failed image. */
  progress(imageId: string): ImageProgress {
    const record = this.ctx.images.build(imageId);
    if (!record) {
      if (this.ctx.images.get(imageId)) return { percent: 100, totalMs: 1, remainingMs: 0 };
      throw new Error(`image ${imageId} is unknown on this host`);
    }
    if (record.state === "failed") throw new Error(`image ${imageId} failed: ${record.error ?? "unknown error"}`);
    if (record.state === "done") return { percent: 100, totalMs: Math.max(1, (record.finishedAt ?? record.startedAt) - record.startedAt), remainingMs: 0 };
    const seen = this.seen.get(imageId);
    const percent = Math.min(99, seen?.percent ?? 0);
    const elapsed = Math.max(1, Date.now() - record.startedAt);
    // Past its estimate the build is late: its total is at least the time it has taken.
    const totalMs = seen?.totalMs !== undefined ? Math.max(seen.totalMs, elapsed) : elapsed + 60_000;
    return { percent, totalMs, remainingMs: Math.max(0, totalMs - elapsed) };
  }

  /** Waits for the build to end, reporting progress; rejects when it failed. */
  async wait(imageId: string, signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    for (;;) {
      const p = this.progress(imageId);
      if (onProgress) await onProgress(p);
      if (p.percent >= 100 && p.remainingMs === 0) return;
      this.watch(imageId);
      await sleep(POLL_MS, signal);
    }
  }

  /** Cancels a build in flight (job-cancel, or the copy killed) before its image is removed. */
  async cancel(imageId: string): Promise<void> {
    const record = this.ctx.images.build(imageId);
    this.copies.get(imageId)?.abort(new Error("image deleted"));
    if (record?.state === "running" && record.kind === "online") {
      const rt = this.runtimeOf(record.machineId);
      const qmp = rt?.pid() ? await rt.qmp().catch(() => undefined) : undefined;
      await qmp?.execute("job-cancel", { id: record.jobId }).catch(() => undefined);
      for (let i = 0; i < 50 && qmp; i++) {
        const jobs = await qmp.execute<QmpJob[]>("query-jobs").catch(() => [] as QmpJob[]);
        const job = jobs.find((j) => j.id === record.jobId);
        if (!job) break;
        if (job.status === "concluded") {
          await qmp.execute("job-dismiss", { id: record.jobId }).catch(() => undefined);
          break;
        }
        await sleep(100);
      }
    }
    this.seen.delete(imageId);
  }

  close(): void {
    this.closed = true;
    for (const c of this.copies.values()) c.abort(new Error("backend closed"));
  }
}
