/**
 * Webhook delivery: each active webhook is given its account's events after its cursor, in id
 * order, one POST at a time. The body is the event as the stream's `data` has it; the headers
 * name the event, its kind and the webhook, and sign `<timestamp>.<body>` with HMAC-SHA256 under
 * the webhook's secret. The cursor moves only after a 2xx, so delivery is at least once and in
 * order: a receiver dedupes by event id. A failure waits 1 s, then 2 s, 4 s, … at most 5 min
 * (on the injectable clock) before the same event is tried again. Every attempt is logged in
 * webhook_deliveries, whose size is bounded.
 *
 * Replicas share the webhooks: a replica delivers a webhook only while it holds its lease, taken
 * by compare-and-set with a TTL and renewed with each success; every write of an attempt is
 * conditioned on still holding it. A cursor past retention skips to the oldest event kept and
 * logs a `reset`.
 *
 * Events are read up to the hub's settled head (events/hub.ts): on PostgreSQL a lower id can
 * commit after a higher one, and a cursor moved past a gap would skip it for good.
 */
import { createHmac, randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { performance } from "node:perf_hooks";
import { WEBHOOK_HEADERS } from "@opencompshare/protocol";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { Sealer } from "../security/secrets.js";
import { accountEvents, prunedThrough, toEvent, type EventRecord } from "../store/repositories/events.js";
import { claimLease, dueWebhooks, leasedElsewhere, pruneDeliveries, recordOutcome, releaseLease, trimDeliveries, type WebhookRecord } from "../store/repositories/webhooks.js";
import type { Db } from "../store/schema.js";
import type { EventHub, Subscription } from "./hub.js";

/** The first retry waits this long; each further one twice as long, up to MAX_BACKOFF_MS. */
export const FIRST_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 5 * 60_000;
const BATCH = 100;
/** Events one webhook is given in one pass at most, so that one busy webhook does not hold a pass. */
const PER_PASS = 1000;
/** Webhooks delivered at once by one replica. */
const PARALLEL = 4;
/** Webhooks one pass looks at. */
const PER_SCAN = 200;
/** A receiver's answer is read up to this many bytes, then the connection is closed. */
const MAX_ANSWER = 64 * 1024;

/** The wait before attempt `attempts + 1`, after `attempts` failures in a row. */
export function backoffMs(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(attempts - 1, 30));
}

/** `sha256=` and the hex HMAC-SHA256 under `secret` of `<timestamp>.<body>`: the X-Ocs-Signature header. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** A new webhook secret: 32 random bytes, hex, after `whsec_`. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("hex")}`;

export interface WebhookOptions {
  db: Db;
  clock: Clock;
  sealer: Sealer;
  hub: EventHub;
  log: Logger;
  /** This replica, as lease owner. */
  owner: string;
  /** Each POST gets this long for an answer (real time). Default 10 s. */
  timeoutMs?: number;
  /** The lease's TTL; renewed with each success. Default 60 s. */
  leaseMs?: number;
  /** The timer of the loop, besides the hub's wake-up. Default 1 s. */
  intervalMs?: number;
  /** Log rows kept per webhook. Default 1000. */
  keepDeliveries?: number;
  /** Log rows older than this are deleted. Default a week. */
  deliveriesRetentionMs?: number;
}

export interface PassReport {
  /** Webhooks this pass leased and worked on. */
  webhooks: number;
  delivered: number;
  failed: number;
  resets: number;
  /** Webhooks with work that another replica's lease kept from this one. */
  leasedElsewhere: number;
}

interface Answer {
  status: number;
  error: string;
}

export class Webhooks {
  private closed = false;
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;
  private watching: Subscription | undefined;
  private wakeUp: AbortController | undefined;
  private pending = false;
  private chain: Promise<unknown> = Promise.resolve();
  private lastPrune = 0;

  constructor(private readonly opts: WebhookOptions) {}

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? 10_000;
  }
  private get leaseMs(): number {
    return this.opts.leaseMs ?? 60_000;
  }

  /** Starts the loop: a pass now, on each new event, and on the timer. */
  start(): void {
    if (this.loop || this.closed) return;
    this.watching = this.opts.hub.watch(() => this.wake());
    this.loop = this.run();
  }

  /** Asks the loop for a pass now. */
  wake(): void {
    this.pending = true;
    this.wakeUp?.abort();
  }

  /**
   * One delivery pass: every due webhook is given what it has not had, up to the head or to a
   * failure. Passes of this process run one after the other.
   */
  pass(): Promise<PassReport> {
    const next = this.chain.then(() => this.onePass());
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Deletes old log rows. */
  prune(): Promise<number> {
    return pruneDeliveries(this.opts.db, this.opts.clock.now() - (this.opts.deliveriesRetentionMs ?? 7 * 86_400_000));
  }

  /** Stops the loop and aborts the POSTs in flight (they are not logged; the next pass, here or elsewhere, sends them again). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.wakeUp?.abort();
    this.watching?.close();
    await this.loop;
    await this.chain;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      this.pending = false;
      await this.pass().catch((error: unknown) => this.opts.log.error({ err: error }, "webhook delivery pass failed"));
      const now = this.opts.clock.now();
      if (now - this.lastPrune >= 3_600_000) {
        this.lastPrune = now;
        await this.prune().catch((error: unknown) => this.opts.log.error({ err: error }, "pruning webhook deliveries failed"));
      }
      if (this.closed) return;
      if (this.pending) continue;
      const wake = new AbortController();
      this.wakeUp = wake;
      try {
        await this.opts.clock.sleep(this.opts.intervalMs ?? 1000, wake.signal);
      } catch {
        // Woken: a new event, or close.
      }
      this.wakeUp = undefined;
    }
  }

  private async onePass(): Promise<PassReport> {
    const report: PassReport = { webhooks: 0, delivered: 0, failed: 0, resets: 0, leasedElsewhere: 0 };
    if (this.closed) return report;
    const { db, clock, hub, owner } = this.opts;
    const head = await hub.settledHead();
    const due = await dueWebhooks(db, clock.now(), head, owner, PER_SCAN);
    // More than one pass takes: the loop goes on at once rather than after its timer.
    if (due.length === PER_SCAN) this.pending = true;
    const queue = [...due];
    const worker = async () => {
      for (let w = queue.shift(); w && !this.closed; w = queue.shift()) {
        try {
          await this.deliver(w, head, report);
        } catch (error) {
          if (!this.closed) this.opts.log.error({ err: error, webhook: w.id }, "webhook delivery failed");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    // Leases held elsewhere: not in `due`; counted for the report only.
    const now = clock.now();
    report.leasedElsewhere = await leasedElsewhere(db, now, head, owner);
    return report;
  }

  /** Gives one webhook its events after its cursor, up to `head`, while it holds the lease. */
  private async deliver(w: WebhookRecord, head: number, report: PassReport): Promise<void> {
    const { db, clock, owner } = this.opts;
    if (!(await claimLease(db, w.id, owner, clock.now(), clock.now() + this.leaseMs))) {
      report.leasedElsewhere++;
      return;
    }
    report.webhooks++;
    let logged = false;
    try {
      let cursor = w.cursor;
      let attempts = w.attempts;
      const pruned = await prunedThrough(db);
      if (cursor < pruned) {
        // The events after the cursor up to `pruned` are gone: go on from the oldest kept.
        const at = clock.now();
        const ok = await recordOutcome(db, {
          webhookId: w.id,
          owner,
          set: { cursor: pruned, attempts: 0, next_attempt_at: 0, last_status: "reset", last_attempt_at: at, lease_until: at + this.leaseMs },
          delivery: { event_id: pruned, outcome: "reset", attempt: 0, status_code: 0, error: `events after ${cursor} up to ${pruned} are past retention`, duration_ms: 0, at },
        });
        if (!ok) return;
        logged = true;
        report.resets++;
        this.opts.log.warn({ webhook: w.id, from: cursor, to: pruned }, "webhook cursor past retention: reset");
        cursor = pruned;
        attempts = 0;
      }
      const kinds = w.kinds.length > 0 ? new Set(w.kinds) : undefined;
      const secret = this.opts.sealer.open(w.secretSealed);
      let given = 0;
      for (;;) {
        if (this.closed || cursor >= head) break;
        if (given >= PER_PASS) {
          // The rest in the next pass, at once: other webhooks get their turn meanwhile.
          this.pending = true;
          break;
        }
        const rows = await accountEvents(db, w.accountId, cursor, head, BATCH);
        for (const row of rows) {
          if (kinds && !kinds.has(row.kind)) continue;
          const answer = await this.post(w, row, secret);
          if (!answer) return; // closing
          logged = true;
          const at = clock.now();
          const ok = answer.status >= 200 && answer.status < 300;
          const attempt = attempts + 1;
          const delivery = {
            event_id: row.id,
            outcome: ok ? "delivered" : "failed",
            attempt,
            status_code: answer.status,
            error: answer.error,
            duration_ms: Math.round(answer.duration),
            at,
          };
          const lastStatus = answer.status > 0 ? String(answer.status) : answer.timedOut ? "timeout" : "error";
          if (ok) {
            const held = await recordOutcome(db, {
              webhookId: w.id,
              owner,
              set: { cursor: row.id, attempts: 0, next_attempt_at: 0, last_status: lastStatus, last_attempt_at: at, lease_until: at + this.leaseMs },
              delivery,
            });
            if (!held) return;
            cursor = row.id;
            attempts = 0;
            given++;
            report.delivered++;
          } else {
            const nextAt = at + backoffMs(attempt);
            await recordOutcome(db, {
              webhookId: w.id,
              owner,
              set: { attempts: attempt, next_attempt_at: nextAt, last_status: lastStatus, last_attempt_at: at },
              delivery,
            });
            report.failed++;
            this.opts.log.warn(
              { webhook: w.id, event: row.id, attempt, status: answer.status || undefined, error: answer.error || undefined, retryInMs: nextAt - at },
              "webhook delivery failed; will retry",
            );
            return;
          }
        }
        // Past the account's events up to here: other accounts' ids, kinds it does not want.
        const through = rows.length < BATCH ? head : (rows[rows.length - 1]?.id ?? head);
        if (through > cursor) {
          const held = await recordOutcome(db, { webhookId: w.id, owner, set: { cursor: through } });
          if (!held) return;
          cursor = through;
        }
      }
    } finally {
      await releaseLease(db, w.id, owner).catch(() => undefined);
      if (logged) await trimDeliveries(db, w.id, this.opts.keepDeliveries ?? 1000).catch(() => undefined);
    }
  }

  /** POSTs one event; undefined when the loop is closing. */
  private async post(w: WebhookRecord, row: EventRecord, secret: string): Promise<(Answer & { duration: number; timedOut: boolean }) | undefined> {
    const event = toEvent(row);
    const body = JSON.stringify(event);
    const timestamp = String(Math.floor(this.opts.clock.now() / 1000));
    const headers = {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(body)),
      "User-Agent": "opencompshare-webhooks/1",
      [WEBHOOK_HEADERS.eventId]: String(event.EventId),
      [WEBHOOK_HEADERS.eventKind]: event.Kind,
      [WEBHOOK_HEADERS.webhookId]: w.id,
      [WEBHOOK_HEADERS.timestamp]: timestamp,
      [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, body),
    };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([this.stop.signal, timeout]);
    const started = performance.now();
    try {
      const status = await send(w.url, headers, body, signal);
      return { status, error: status >= 200 && status < 300 ? "" : `HTTP ${status}`, duration: performance.now() - started, timedOut: false };
    } catch (error) {
      if (this.stop.signal.aborted) return undefined;
      const timedOut = timeout.aborted;
      const message = timedOut ? `no answer within ${this.timeoutMs} ms` : describe(error);
      return { status: 0, error: message, duration: performance.now() - started, timedOut };
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return (code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message).slice(0, 500);
  }
  return String(error).slice(0, 500);
}

/** One POST on a connection of its own (no pool: nothing lingers after close). Resolves with the status once the answer is read. */
function send(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = request(target, { method: "POST", headers, agent: false, signal }, (res: IncomingMessage) => {
      let read = 0;
      const status = res.statusCode ?? 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER) {
          res.destroy();
          resolve(status);
        }
      });
      res.on("end", () => resolve(status));
      res.on("error", () => resolve(status));
      res.on("close", () => resolve(status));
    });
    req.on("error", reject);
    req.end(body);
  });
}
