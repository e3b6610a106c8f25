/**
 * Custom images of container instances: `podman commit` of the container (running or stopped; it
 * is not paused, so it goes on), then `podman push` to the registry, then the local tag is let go
 * (the registry holds the image; any host pulls it). Each build is recorded durably in
 * `${stateDir}/container-builds/<imageId>.json`; a build a restarted agent finds unfinished is
 * run again from the start. Progress counts real steps (the commit, the push, letting the local
 * copy go); within a step it moves with time, estimated from the container's size, toward (never
 * onto) the step's end.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ImageProgress } from "@opencompshare/protocol";
import { writeDurably } from "../common/durable.js";
import { abortable, sleep } from "../common/waits.js";
import type { PodmanContext } from "./options.js";

export interface ContainerBuild {
  imageId: string;
  machineId: string;
  container: string;
  reference: string;
  state: "running" | "done" | "failed";
  error?: string;
  /** Steps done of `steps`: the commit, the push, letting the local copy go. */
  done: number;
  steps: number;
  /** Estimated length of the whole build, ms (from the container's size). */
  estimateMs: number;
  startedAt: number;
  finishedAt?: number;
}

/** What a step is estimated to take at least, ms. */
const STEP_MS = 500;
/** Bytes a second the estimate assumes a commit and a push move. */
const RATE = 100 * 1024 * 1024;

export class ContainerBuilds {
  private readonly dir: string;
  private readonly flights = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly ctx: PodmanContext) {
    this.dir = join(ctx.stateDir, "container-builds");
  }

  private file(imageId: string): string {
    return join(this.dir, `${imageId}.json`);
  }

  get(imageId: string): ContainerBuild | undefined {
    try {
      return JSON.parse(readFileSync(this.file(imageId), "utf8")) as ContainerBuild;
    } catch {
      return undefined;
    }
  }

  private save(b: ContainerBuild): void {
    mkdirSync(this.dir, { recursive: true });
    writeDurably(this.file(b.imageId), `${JSON.stringify(b, null, 2)}\n`);
  }

  /** Records and starts a build of `container` as `imageId` (its machine goes on). */
  async start(imageId: string, machineId: string, container: string, signal: AbortSignal): Promise<void> {
    const registry = this.ctx.registry;
    if (!registry) throw new Error("no registry is configured (OCS_REGISTRY): a container's custom image is pushed to one, so that every host can pull it");
    // What the commit writes and the push sends: the container's own layer (the image's are in the registry already).
    const size = await this.ctx.podman
      .run(["container", "inspect", "--size", "--format", "{{.SizeRw}}", container], signal)
      .then((s) => Number(s.trim()) || 0)
      .catch(() => 0);
    const build: ContainerBuild = {
      imageId,
      machineId,
      container,
      reference: registry.customReference(imageId),
      state: "running",
      done: 0,
      steps: 3,
      estimateMs: Math.round(STEP_MS * 3 + (2 * size * 1000) / RATE),
      startedAt: Date.now(),
    };
    this.save(build);
    this.run(build);
  }

  /** Builds a restarted agent finds unfinished run again. */
  resume(): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir).filter((n) => n.endsWith(".json"))) {
      const b = this.get(name.slice(0, -".json".length));
      if (b?.state === "running" && !this.flights.has(b.imageId)) this.run(b);
    }
  }

  private run(b: ContainerBuild): void {
    const flight = this.work(b)
      .catch((error: unknown) => {
        if (this.closed) return;
        const failed = { ...(this.get(b.imageId) ?? b), state: "failed" as const, error: String(error instanceof Error ? error.message : error), finishedAt: Date.now() };
        this.save(failed);
        this.ctx.log.error({ image: b.imageId, err: failed.error }, "custom image build failed");
      })
      .finally(() => this.flights.delete(b.imageId));
    this.flights.set(b.imageId, flight);
  }

  private async work(b: ContainerBuild): Promise<void> {
    const { podman, registry, log } = this.ctx;
    const signal = new AbortController().signal;
    log.info({ image: b.imageId, machine: b.machineId }, "committing the container");
    await podman.run(["commit", "--pause=false", "--quiet", b.container, b.reference], signal);
    let cur: ContainerBuild = { ...b, done: 1 };
    this.save(cur);
    await podman.run(["push", "--quiet", registry!.tlsFlag, b.reference], signal);
    cur = { ...cur, done: 2 };
    this.save(cur);
    await podman.run(["rmi", "--ignore", b.reference], signal).catch(() => undefined);
    this.ctx.log.info({ image: b.imageId, reference: b.reference, ms: Date.now() - b.startedAt }, "custom image pushed");
    this.save({ ...cur, done: cur.steps, state: "done", finishedAt: Date.now() });
  }

  /** Progress of a build: 100 once done; throws for a failed or unknown one. */
  progress(imageId: string): ImageProgress {
    const b = this.get(imageId);
    if (!b) throw new Error(`image ${imageId} is not being built on this host`);
    if (b.state === "failed") throw new Error(`image ${imageId} failed: ${b.error ?? "unknown"}`);
    const elapsed = (b.finishedAt ?? Date.now()) - b.startedAt;
    if (b.state === "done") return { percent: 100, totalMs: Math.max(1, elapsed), remainingMs: 0 };
    const totalMs = Math.max(b.estimateMs, elapsed + STEP_MS);
    const perStep = 100 / b.steps;
    // Within the current step, time moves the bar up to (never onto) the step's end.
    const within = Math.min(0.9, elapsed / totalMs) * perStep;
    const percent = Math.min(99, Math.floor(b.done * perStep + within));
    return { percent, totalMs, remainingMs: Math.max(0, totalMs - elapsed) };
  }

  /** Waits for the build, reporting progress while it runs. */
  async wait(imageId: string, signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    let last = -1;
    for (;;) {
      const b = this.get(imageId);
      if (!b) throw new Error(`image ${imageId} is not being built on this host`);
      const p = this.progress(imageId);
      if (p.percent > last || p.percent === 100) {
        last = p.percent;
        await onProgress?.(p);
      }
      if (p.percent === 100) return;
      const flight = this.flights.get(imageId);
      if (!flight && !this.closed) this.run(b);
      await abortable(Promise.race([this.flights.get(imageId) ?? Promise.resolve(), sleep(250)]), signal);
    }
  }

  /** Forgets a build (its image is deleted). */
  async forget(imageId: string): Promise<void> {
    await this.flights.get(imageId)?.catch(() => undefined);
    rmSync(this.file(imageId), { force: true });
  }

  close(): void {
    this.closed = true;
  }
}
