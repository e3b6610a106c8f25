/**
 * Webhook rows and their delivery log. The delivery loop is in events/webhooks.ts; this file
 * only speaks SQL. What is read leaves as a record (numbers as numbers, the kinds parsed); writes
 * still name the columns. Every write of the loop is conditioned on holding the webhook's lease,
 * so a replica that lost it (or a webhook deleted meanwhile) changes nothing.
 */
import { sql } from "kysely";
import type { Db, WebhookDeliveryRow, WebhookRow } from "../schema.js";

/** A webhook as stored: numbers as numbers, its kinds parsed. */
export interface WebhookRecord {
  id: string;
  accountId: string;
  url: string;
  /** The signing secret, sealed with the master key. */
  secretSealed: string;
  /** The event kinds it wants; empty: every kind. */
  kinds: string[];
  /** `active`. */
  status: string;
  createdAt: number;
  /** The last event id delivered (or passed over). */
  cursor: number;
  /** When the next attempt may be made (0: now). */
  nextAttemptAt: number;
  /** Failed attempts at the event after the cursor, since the last success. */
  attempts: number;
  /** What the last attempt got: an HTTP status, `timeout`, `error`, `reset`; empty before any. */
  lastStatus: string;
  lastAttemptAt: number;
  /** The replica delivering it now, until `leaseUntil`. */
  leaseOwner: string | null;
  leaseUntil: number;
}

export function toWebhookRecord(r: WebhookRow): WebhookRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    url: r.url,
    secretSealed: r.secret_sealed,
    kinds: r.kinds ? (JSON.parse(r.kinds) as string[]) : [],
    status: r.status,
    createdAt: Number(r.created_at),
    cursor: Number(r.cursor),
    nextAttemptAt: Number(r.next_attempt_at),
    attempts: Number(r.attempts),
    lastStatus: r.last_status,
    lastAttemptAt: Number(r.last_attempt_at),
    leaseOwner: r.lease_owner,
    leaseUntil: Number(r.lease_until),
  };
}

/** One attempt of a webhook's, as its log has it. */
export interface WebhookDeliveryRecord {
  id: number;
  webhookId: string;
  eventId: number;
  /** `delivered`, `failed`, `reset`. */
  outcome: string;
  attempt: number;
  /** The HTTP status answered, 0 when none came. */
  statusCode: number;
  error: string;
  durationMs: number;
  at: number;
}

export function toWebhookDeliveryRecord(r: WebhookDeliveryRow): WebhookDeliveryRecord {
  return {
    id: Number(r.id),
    webhookId: r.webhook_id,
    eventId: Number(r.event_id),
    outcome: r.outcome,
    attempt: Number(r.attempt),
    statusCode: Number(r.status_code),
    error: r.error,
    durationMs: Number(r.duration_ms),
    at: Number(r.at),
  };
}

export interface NewWebhook {
  id: string;
  accountId: string;
  url: string;
  secretSealed: string;
  kinds: readonly string[];
  cursor: number;
  at: number;
}

export async function insertWebhook(db: Db, w: NewWebhook): Promise<void> {
  await db
    .insertInto("webhooks")
    .values({
      id: w.id,
      account_id: w.accountId,
      url: w.url,
      secret_sealed: w.secretSealed,
      kinds: w.kinds.length > 0 ? JSON.stringify(w.kinds) : "",
      status: "active",
      created_at: w.at,
      cursor: w.cursor,
      next_attempt_at: 0,
      attempts: 0,
      last_status: "",
      last_attempt_at: 0,
      lease_owner: null,
      lease_until: 0,
    })
    .execute();
}

export async function countWebhooks(db: Db, accountId: string): Promise<number> {
  const row = await db.selectFrom("webhooks").select((eb) => eb.fn.countAll().as("n")).where("account_id", "=", accountId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** An account's webhooks, oldest first (one, when `id` is given). */
export async function listWebhooks(db: Db, accountId: string, id: string | undefined, offset: number, limit: number): Promise<{ rows: WebhookRecord[]; total: number }> {
  let q = db.selectFrom("webhooks").where("account_id", "=", accountId);
  if (id !== undefined) q = q.where("id", "=", id);
  const total = await q.select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
  const rows = await q.selectAll().orderBy("created_at").orderBy("id").offset(offset).limit(limit).execute();
  return { rows: rows.map(toWebhookRecord), total: Number(total?.n ?? 0) };
}

export async function findWebhook(db: Db, accountId: string, id: string): Promise<WebhookRecord | undefined> {
  const row = await db.selectFrom("webhooks").selectAll().where("id", "=", id).where("account_id", "=", accountId).executeTakeFirst();
  return row && toWebhookRecord(row);
}

/** Deletes an account's webhook and its log; false when it has none of that id. */
export async function deleteWebhook(db: Db, accountId: string, id: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const res = await tx.deleteFrom("webhooks").where("id", "=", id).where("account_id", "=", accountId).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) return false;
    await tx.deleteFrom("webhook_deliveries").where("webhook_id", "=", id).execute();
    return true;
  });
}

export async function listDeliveries(db: Db, webhookId: string, offset: number, limit: number): Promise<{ rows: WebhookDeliveryRecord[]; total: number }> {
  const q = db.selectFrom("webhook_deliveries").where("webhook_id", "=", webhookId);
  const total = await q.select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
  const rows = await q.selectAll().orderBy("id", "desc").offset(offset).limit(limit).execute();
  return { rows: rows.map(toWebhookDeliveryRecord), total: Number(total?.n ?? 0) };
}

/**
 * Webhooks with something to do: active, due (not waiting out a backoff), behind `head`, and
 * not leased to another replica. Soonest due first.
 */
export async function dueWebhooks(db: Db, now: number, head: number, owner: string, limit: number): Promise<WebhookRecord[]> {
  const rows = await db
    .selectFrom("webhooks")
    .selectAll()
    .where("status", "=", "active")
    .where("next_attempt_at", "<=", now)
    .where("cursor", "<", head)
    .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_until", "<=", now), eb("lease_owner", "=", owner)]))
    .orderBy("next_attempt_at")
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(toWebhookRecord);
}

/** Takes (or renews) the lease of a webhook by compare-and-set: true when this owner holds it now. */
export async function claimLease(db: Db, id: string, owner: string, now: number, until: number): Promise<boolean> {
  const res = await db
    .updateTable("webhooks")
    .set({ lease_owner: owner, lease_until: until })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_until", "<=", now), eb("lease_owner", "=", owner)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function releaseLease(db: Db, id: string, owner: string): Promise<void> {
  await db.updateTable("webhooks").set({ lease_owner: null, lease_until: 0 }).where("id", "=", id).where("lease_owner", "=", owner).execute();
}

export interface Outcome {
  webhookId: string;
  owner: string;
  /** The webhook's row after the attempt. */
  set: Partial<Pick<WebhookRow, "cursor" | "attempts" | "next_attempt_at" | "last_status" | "last_attempt_at" | "lease_until">>;
  /** The attempt to log, if any. */
  delivery?: Omit<WebhookDeliveryRow, "id" | "webhook_id">;
}

/** Writes what an attempt changed, and logs it, if this owner still holds the lease; false otherwise (deleted, or taken over). */
export async function recordOutcome(db: Db, o: Outcome): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const res = await tx.updateTable("webhooks").set(o.set).where("id", "=", o.webhookId).where("lease_owner", "=", o.owner).executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    if (o.delivery) await tx.insertInto("webhook_deliveries").values({ ...o.delivery, webhook_id: o.webhookId }).execute();
    return true;
  });
}

/** Keeps the newest `keep` log rows of a webhook. */
export async function trimDeliveries(db: Db, webhookId: string, keep: number): Promise<void> {
  const nth = await db
    .selectFrom("webhook_deliveries")
    .select("id")
    .where("webhook_id", "=", webhookId)
    .orderBy("id", "desc")
    .offset(keep)
    .limit(1)
    .executeTakeFirst();
  if (nth) await db.deleteFrom("webhook_deliveries").where("webhook_id", "=", webhookId).where("id", "<=", nth.id).execute();
}

/** Deletes log rows older than `cutoff`, and rows of webhooks that no longer exist. */
export async function pruneDeliveries(db: Db, cutoff: number): Promise<number> {
  const old = await db.deleteFrom("webhook_deliveries").where("at", "<", cutoff).executeTakeFirst();
  const orphans = await db
    .deleteFrom("webhook_deliveries")
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom("webhooks").select(sql`1`.as("one")).whereRef("webhooks.id", "=", "webhook_deliveries.webhook_id"))))
    .executeTakeFirst();
  return Number(old.numDeletedRows) + Number(orphans.numDeletedRows);
}

/**
 * How far the furthest-behind active webhook is (for the metrics): the events of its account
 * after its cursor, and the age of the oldest of them.
 */
export async function webhookLag(db: Db, now: number): Promise<{ events: number; seconds: number }> {
  const rows = await db
    .selectFrom("webhooks as w")
    .innerJoin("events as e", (j) => j.onRef("e.account_id", "=", "w.account_id").onRef("e.id", ">", "w.cursor"))
    .select((eb) => ["w.id", eb.fn.countAll().as("n"), eb.fn.min("e.created_at").as("oldest")])
    .where("w.status", "=", "active")
    .groupBy("w.id")
    .execute();
  let events = 0;
  let seconds = 0;
  for (const r of rows) {
    events = Math.max(events, Number(r.n));
    if (r.oldest !== null) seconds = Math.max(seconds, (now - Number(r.oldest)) / 1000);
  }
  return { events, seconds };
}

/** How many due webhooks another replica holds the lease of (a pass's report). */
export async function leasedElsewhere(db: Db, now: number, head: number, owner: string): Promise<number> {
  const held = await db
    .selectFrom("webhooks")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("status", "=", "active")
    .where("next_attempt_at", "<=", now)
    .where("cursor", "<", head)
    .where("lease_owner", "is not", null)
    .where("lease_owner", "!=", owner)
    .where("lease_until", ">", now)
    .executeTakeFirst();
  return Number(held?.n ?? 0);
}
