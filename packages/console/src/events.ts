/**
 * The live view of the account's instances: one Describe, then the event stream at
 * /console/events (EventSource). When the stream fails, the page polls Describe instead: every
 * 3 s while an instance is in a transitional state, every 60 s otherwise, and tries the stream
 * again after a while. A Describe that started before an event arrived does not undo the event.
 */
import { EventKinds, type InstanceEvent } from "@opencompshare/protocol/web";
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { TRANSITIONAL, type Instance } from "./model.js";

export type { InstanceEvent };

/** What listeners hear: an event of the stream, or a poll's tick (the page re-read Describe). */
export type LiveEvent = InstanceEvent | { Kind: "poll"; UHostId: "" };

export const FAST_POLL_MS = 3000;
export const SLOW_POLL_MS = 60_000;
const STREAM_RETRY_MS = 30_000;
const PAGE = 100;

export type Mode = "connecting" | "stream" | "polling";

export class Live {
  instances = new Map<string, Instance>();
  /** Locks seen on the stream, by instance: who holds it, since and until (Unix seconds). */
  locks = new Map<string, { operationId: string; since: number; until: number }>();
  loaded = false;
  mode: Mode = "connecting";
  error = "";
  private listeners = new Set<() => void>();
  private eventListeners = new Set<(e: LiveEvent) => void>();
  private versions = new Map<string, number>();
  private source: EventSource | undefined;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private pollDue = 0;
  /** Events heard so far, and the last operations heard to end (instance, Action, at which count). */
  heard = 0;
  private ends: { id: string; action: string; at: number }[] = [];

  start(): void {
    this.stopped = false;
    void this.refresh();
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.source?.close();
    this.source = undefined;
    clearTimeout(this.pollTimer);
    clearTimeout(this.retryTimer);
  }

  subscribe(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  onEvent(f: (e: LiveEvent) => void): () => void {
    this.eventListeners.add(f);
    return () => this.eventListeners.delete(f);
  }

  list(): Instance[] {
    return [...this.instances.values()].sort((a, b) => b.CreateTime - a.CreateTime || a.UHostId.localeCompare(b.UHostId));
  }

  private changed(): void {
    // Polling slowly, and something started changing: poll sooner.
    if (this.mode === "polling" && this.pollDue - Date.now() > this.nextPollMs()) this.schedulePoll();
    for (const f of this.listeners) f();
  }

  private bump(id: string): void {
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
  }

  /** Merges a Describe answer, keeping what events changed since `seen` was taken. */
  private merge(set: Instance[], seen: Map<string, number>, complete: boolean): void {
    const ids = new Set(set.map((i) => i.UHostId));
    for (const inst of set) {
      const prev = this.instances.get(inst.UHostId);
      if (prev && (this.versions.get(inst.UHostId) ?? 0) !== (seen.get(inst.UHostId) ?? 0)) {
        this.instances.set(inst.UHostId, { ...inst, State: prev.State, Name: prev.Name });
      } else this.instances.set(inst.UHostId, inst);
    }
    if (complete) {
      for (const id of [...this.instances.keys()]) {
        if (!ids.has(id) && (this.versions.get(id) ?? 0) === (seen.get(id) ?? 0)) this.instances.delete(id);
      }
    }
  }

  /** Reads every instance of the account again. */
  async refresh(): Promise<void> {
    const seen = new Map(this.versions);
    try {
      const all: Instance[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const r = await call<{ TotalCount: number; UHostSet: Instance[] }>("DescribeCompShareInstance", { Limit: PAGE, Offset: offset });
        all.push(...r.UHostSet);
        if (r.UHostSet.length < PAGE || all.length >= r.TotalCount) break;
      }
      this.merge(all, seen, true);
      this.loaded = true;
      this.error = "";
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
    this.changed();
  }

  /** Reads one instance again (after a create, a rename, an event about an unknown one). */
  async refreshOne(id: string): Promise<void> {
    const seen = new Map(this.versions);
    try {
      const r = await call<{ UHostSet: Instance[] }>("DescribeCompShareInstance", { UHostIds: [id] });
      if (r.UHostSet.length === 0) {
        if ((this.versions.get(id) ?? 0) === (seen.get(id) ?? 0)) this.instances.delete(id);
      } else this.merge(r.UHostSet, seen, false);
    } catch {
      // the next event or poll will tell
    }
    this.changed();
  }

  /** Sets what the page already knows (an accepted rename) without waiting for a Describe. */
  patch(id: string, fields: Partial<Instance>): void {
    const prev = this.instances.get(id);
    if (!prev) return;
    this.bump(id);
    this.instances.set(id, { ...prev, ...fields });
    this.changed();
  }

  /** Whether an operation `action` on instance `id` was heard to end after `heard` events (an answer can come after the end). */
  endedSince(heard: number, id: string, action: string): boolean {
    return this.ends.some((x) => x.at > heard && x.id === id && x.action === action);
  }

  private apply(e: InstanceEvent): void {
    const id = e.UHostId;
    const known = this.instances.get(id);
    this.heard++;
    if ((e.Kind === "operation.succeeded" || e.Kind === "operation.failed") && e.Action) {
      this.ends = [...this.ends.slice(-31), { id, action: e.Action, at: this.heard }];
    }
    switch (e.Kind) {
      case "instance.created":
      case "instance.state":
        this.bump(id);
        if (known && e.State !== undefined) this.instances.set(id, { ...known, State: e.State });
        else void this.refreshOne(id);
        if (e.State === "Running" || e.State === "Stopped") void this.refreshOne(id);
        break;
      case "instance.released":
        this.bump(id);
        this.instances.delete(id);
        break;
      case "lock.taken":
        if (e.OperationId) this.locks.set(id, { operationId: e.OperationId, since: e.Time, until: e.ExpireTime ?? 0 });
        break;
      case "lock.released":
        if (this.locks.get(id)?.operationId === e.OperationId) this.locks.delete(id);
        break;
      default:
        break;
    }
    for (const f of this.eventListeners) f(e);
    this.changed();
  }

  private connect(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const es = new EventSource("/console/events");
    this.source = es;
    es.onopen = () => {
      this.mode = "stream";
      clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
      void this.refresh();
    };
    es.onerror = () => {
      if (this.stopped) return;
      this.fallBack();
      if (es.readyState === EventSource.CLOSED) {
        this.retryTimer = setTimeout(() => this.connect(), STREAM_RETRY_MS);
      }
    };
    const handle = (m: MessageEvent<string>) => {
      try {
        this.apply(JSON.parse(m.data) as InstanceEvent);
      } catch {
        // not an event of ours
      }
    };
    for (const kind of EventKinds) es.addEventListener(kind, handle as EventListener);
    es.addEventListener("reset", () => void this.refresh());
  }

  private fallBack(): void {
    if (this.mode === "polling") return;
    this.mode = "polling";
    this.schedulePoll();
    this.changed();
  }

  /** The next poll: soon while something is changing, rarely otherwise. */
  nextPollMs(): number {
    return this.list().some((i) => TRANSITIONAL.has(i.State)) ? FAST_POLL_MS : SLOW_POLL_MS;
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    const ms = this.nextPollMs();
    this.pollDue = Date.now() + ms;
    this.pollTimer = setTimeout(async () => {
      if (this.stopped || this.mode !== "polling") return;
      await this.refresh();
      for (const f of this.eventListeners) f({ Kind: "poll", UHostId: "" });
      if (this.mode === "polling") this.schedulePoll();
    }, ms);
  }
}

/** Re-renders the component when the live view changes. */
export function useLive(live: Live): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const off = live.subscribe(() => setTick((n) => n + 1));
    // A change between the first render and this subscription is not missed.
    setTick((n) => n + 1);
    return off;
  }, [live]);
}
