/**
 * The event fan-out of one process: one reader follows the event log in id order and hands each
 * event to the subscribers of its account. A subscriber that resumes (Last-Event-ID) first reads
 * its account's missed events, then joins the live feed; the log is the same on every replica,
 * so a stream resumes anywhere.
 *
 * The reader wakes on PostgreSQL's NOTIFY (the payload is only an id; rows are read by id) and
 * after each reconnect of its listening connection; on SQLite, where this process is the only
 * writer, it polls while anyone listens. On PostgreSQL an id can become visible before a lower
 * one (two transactions commit out of order): the reader stops at the gap until every
 * transaction that could still commit the missing id has ended, so no event is skipped
 * (store/repositories/events.ts, xidNow).
 */
import type { InstanceEvent, ResetNotice } from "@opencompshare/protocol";
import type { Logger } from "pino";
import type { Listening, Store } from "../store/store.js";
import {
  accountEvents,
  eventsAfter,
  lastEventId,
  prunedThrough,
  toEvent,
  xidNow,
  xidsEnded,
  type EventRecord,
} from "../store/repositories/events.js";

export const EVENTS_CHANNEL = "ocs_events";
const BATCH = 1000;
/** A gap that outlives this is skipped all the same: a transaction held open that long is stuck. */
const MAX_GAP_WAIT_MS = 10_000;

export interface Subscriber {
  accountId: string;
  /** Only this instance's events, when given. */
  instanceId?: string | undefined;
  /** Called with each batch of events, in id order. */
  deliver(events: InstanceEvent[]): void;
  /** Called, before any event, when the position asked for is past retention: the stream goes on from the head. */
  reset(notice: ResetNotice): void;
}

export interface Subscription {
  close(): void;
}

interface Live extends Subscriber {
  lastId: number;
  live: boolean;
}

interface Gap {
  /** A transaction id taken after the read that found the gap. */
  xid: string;
  /** The highest id that read saw: the missing ids at or below it are settled once every transaction below `xid` has ended. */
  through: number;
  since: number;
}

export interface HubOptions {
  store: Store;
  log: Logger;
  /** SQLite: how often to read while anyone listens. */
  pollMs?: number;
}

export class EventHub {
  private cursor = 0;
  private started = false;
  private readonly subscribers = new Map<string, Set<Live>>();
  /** Told the new head after each read that moved it (the webhooks' wake-up). */
  private readonly watchers = new Set<(head: number) => void>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private gap: Gap | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listening: Listening | undefined;
  private closed = false;

  constructor(private readonly opts: HubOptions) {}

  private get postgres(): boolean {
    return this.opts.store.engine === "postgres";
  }

  /** Starts following the log from its head. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.cursor = await lastEventId(this.opts.store.db);
    const { listen } = this.opts.store;
    if (this.postgres && listen) {
      this.listening = listen(EVENTS_CHANNEL, { notified: () => this.wake(), connected: () => this.wake() });
    }
  }

  /**
   * Subscribes from after `after` (the Last-Event-ID), or from now. Missed events are delivered
   * before this returns; later ones as they come.
   */
  async subscribe(sub: Subscriber, after?: number): Promise<Subscription> {
    await this.start();
    // SQLite has one writer, this process: the head is settled, read up to it first.
    if (!this.postgres) await this.pump();
    const live: Live = { ...sub, lastId: this.cursor, live: false };
    if (after !== undefined) {
      const pruned = await prunedThrough(this.opts.store.db);
      if (after < pruned) {
        // The events up to `pruned` are gone: the stream goes on after them, or from the head.
        live.lastId = Math.max(this.cursor, pruned);
        sub.reset({ PrunedThrough: pruned, ResumeAfter: live.lastId });
      } else live.lastId = after;
    }
    this.add(live);
    try {
      // Catch up to the reader's position; the reader delivers only past it, to live subscribers.
      while (live.lastId < this.cursor && !this.closed) {
        const target = this.cursor;
        const rows = await accountEvents(this.opts.store.db, sub.accountId, live.lastId, target, BATCH);
        const mine = rows.map(toEvent).filter((e) => matches(live, e));
        if (mine.length > 0) sub.deliver(mine);
        live.lastId = rows.length === BATCH ? (rows[rows.length - 1]?.id ?? target) : target;
      }
    } catch (error) {
      this.remove(live);
      throw error;
    }
    live.live = true;
    this.schedule();
    return { close: () => this.remove(live) };
  }

  /**
   * Calls `onAdvance` with the new head whenever the reader moves past new events; on SQLite
   * the reader polls while anyone watches.
   */
  watch(onAdvance: (head: number) => void): Subscription {
    this.watchers.add(onAdvance);
    this.start().then(
      () => this.schedule(),
      (error: unknown) => this.opts.log.error({ err: error }, "starting the event reader failed"),
    );
    return { close: () => void this.watchers.delete(onAdvance) };
  }

  /**
   * Reads the log now and answers the reader's position: every event up to it is visible, and no
   * lower id can still appear (a gap is waited for, as for the streams). Readers of the log by
   * account (the webhooks) read up to it and never past.
   */
  async settledHead(): Promise<number> {
    await this.start();
    if (this.pumping) await this.pumping;
    if (!this.closed) {
      this.wake();
      await this.pumping;
    }
    return this.cursor;
  }

  /**
   * Follows the log from its head again, after the whole log was replaced (a snapshot restored,
   * or the state reset in testing mode): the streams open go on from the new head.
   */
  async rewind(): Promise<void> {
    if (this.pumping) await this.pumping;
    this.cursor = await lastEventId(this.opts.store.db);
    this.gap = undefined;
    for (const set of this.subscribers.values()) for (const live of set) live.lastId = this.cursor;
  }

  /** Reads the log now (a write of this process, or a test). */
  wake(): void {
    if (this.closed || !this.started) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      } else this.schedule();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.listening?.close();
    await this.pumping;
    this.subscribers.clear();
    this.watchers.clear();
  }

  private add(live: Live): void {
    let set = this.subscribers.get(live.accountId);
    if (!set) this.subscribers.set(live.accountId, (set = new Set()));
    set.add(live);
  }

  private remove(live: Live): void {
    const set = this.subscribers.get(live.accountId);
    set?.delete(live);
    if (set?.size === 0) this.subscribers.delete(live.accountId);
  }

  /** The next read: soon while a gap is open, on SQLite while anyone listens; else on NOTIFY. */
  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const pollMs = this.opts.pollMs ?? 100;
    if (this.gap) this.timer = setTimeout(() => this.wake(), 50);
    else if (!this.postgres && (this.subscribers.size > 0 || this.watchers.size > 0)) this.timer = setTimeout(() => this.wake(), pollMs);
  }

  private async pump(): Promise<void> {
    const { db } = this.opts.store;
    try {
      for (;;) {
        // Whether the open gap has settled is asked before the read: a transaction that commits
        // between the read and the question would otherwise be skipped, its row unread.
        const settled = this.postgres ? await this.settledThrough() : Number.POSITIVE_INFINITY;
        const rows = await eventsAfter(db, this.cursor, BATCH);
        if (rows.length === 0) {
          if (this.gap && this.gap.through <= settled) this.gap = undefined;
          return;
        }
        const ready: EventRecord[] = [];
        let expect = this.cursor + 1;
        for (const row of rows) {
          const id = row.id;
          // Ids up to `settled` that are missing never come (rolled back); past it, wait for them.
          if (id !== expect && id - 1 > settled) break;
          ready.push(row);
          expect = id + 1;
        }
        if (ready.length > 0) {
          this.cursor = expect - 1;
          this.dispatch(ready);
          for (const watcher of this.watchers) watcher(this.cursor);
        }
        if (this.gap && (this.gap.through <= this.cursor || this.gap.through <= settled)) this.gap = undefined;
        if (ready.length < rows.length) {
          // A new gap: take a transaction id now (after the read); a timer re-reads until every
          // transaction below it has ended.
          if (!this.gap) this.gap = { xid: await xidNow(db), through: rows[rows.length - 1]?.id ?? this.cursor, since: Date.now() };
          return;
        }
        if (rows.length < BATCH) return;
      }
    } catch (error) {
      if (!this.closed) this.opts.log.error({ err: error }, "reading the event log failed");
    }
  }

  /**
   * PostgreSQL: the highest id below which a missing id is known never to come: the open gap's
   * `through` once every transaction in flight when it was seen has ended, else the cursor.
   */
  private async settledThrough(): Promise<number> {
    const gap = this.gap;
    if (!gap) return this.cursor;
    if (Date.now() - gap.since > MAX_GAP_WAIT_MS) {
      this.opts.log.warn({ through: gap.through }, "event ids missing for too long; skipped");
      return gap.through;
    }
    return (await xidsEnded(this.opts.store.db, gap.xid)) ? gap.through : this.cursor;
  }

  private dispatch(rows: EventRecord[]): void {
    const byAccount = new Map<string, InstanceEvent[]>();
    for (const row of rows) {
      let list = byAccount.get(row.accountId);
      if (!list) byAccount.set(row.accountId, (list = []));
      list.push(toEvent(row));
    }
    for (const [account, list] of byAccount) {
      for (const sub of this.subscribers.get(account) ?? []) {
        if (!sub.live) continue;
        const mine = list.filter((e) => e.EventId > sub.lastId && matches(sub, e));
        sub.lastId = Math.max(sub.lastId, list[list.length - 1]?.EventId ?? 0);
        if (mine.length > 0) sub.deliver(mine);
      }
    }
  }
}

function matches(sub: Live, e: InstanceEvent): boolean {
  return sub.instanceId === undefined || sub.instanceId === e.UHostId;
}
