/**
 * The money (`ledger`, and `accounts.balance_cents`), and the billing marks of an instance
 * (`billed_until`, `arrears_since`, a prepaid period's `expire_time`): the one place they are read
 * and written. Rows leave as records (numbers, not bigint strings); what is billed, renewed and
 * paid, and when, is decided in `policies/ledger.ts`, which also holds each transaction's bounds.
 */
import { sql } from "kysely";
import type { StoredDisk } from "./disks.js";
import type { Executor, InstanceRow, LedgerRow } from "../schema.js";

/** One line of the ledger: an order (`hour`, `renew`) or a change of the balance (`topup`, `set`). Amounts in fen. */
export interface LedgerEntry {
  /** Deterministic for orders (`hour:<instance>:<start>`, `renew:<instance>:<expiry>`). */
  id: string;
  accountId: string;
  instanceId: string | null;
  /** `hour`, `renew`, `topup` or `set`. */
  kind: string;
  /** Negative for charges, positive for top-ups. */
  amountCents: number;
  status: "paid" | "unpaid";
  periodStart: number;
  periodEnd: number;
  balanceAfterCents: number;
  note: string;
  createdAt: number;
  paidAt: number | null;
}

/** What billing and renewal read of an instance. */
export interface BillableInstance {
  id: string;
  accountId: string;
  state: string;
  chargeType: string;
  gpuType: string;
  gpu: number;
  imageId: string;
  /** The boot disk's size (GB), 0 without one. */
  bootDiskGb: number;
  /** Started in no-GPU mode (it holds its account's no-GPU slot). */
  inNoGpuSlot: boolean;
  startTime: number;
  stopTime: number;
  /** Pay-as-you-go: the end of the last hour an order was made for. */
  billedUntil: number;
  /** Prepaid: the end of the paid period (0: none). */
  expireTime: number;
  policyKey: string;
  policyStep: string;
}

const toEntry = (r: LedgerRow): LedgerEntry => ({
  id: r.id,
  accountId: r.account_id,
  instanceId: r.instance_id,
  kind: r.kind,
  amountCents: Number(r.amount_cents),
  status: r.status,
  periodStart: Number(r.period_start),
  periodEnd: Number(r.period_end),
  balanceAfterCents: Number(r.balance_after_cents),
  note: r.note,
  createdAt: Number(r.created_at),
  paidAt: r.paid_at === null ? null : Number(r.paid_at),
});

const toBillable = (r: InstanceRow): BillableInstance => ({
  id: r.id,
  accountId: r.account_id,
  state: r.state,
  chargeType: r.charge_type,
  gpuType: r.gpu_type,
  gpu: Number(r.gpu),
  imageId: r.image_id,
  bootDiskGb: (JSON.parse(r.disks) as StoredDisk[]).find((d) => d.IsBoot)?.Size ?? 0,
  inNoGpuSlot: r.no_gpu_slot !== null,
  startTime: Number(r.start_time),
  stopTime: Number(r.stop_time),
  billedUntil: Number(r.billed_until),
  expireTime: Number(r.expire_time),
  policyKey: r.policy_key,
  policyStep: r.policy_step,
});

// ---------------------------------------------------------------------------------------------
// Balances.

/** The account's balance in fen (0 for no such account). */
export async function balanceCents(db: Executor, accountId: string): Promise<number> {
  const row = await db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirst();
  return Number(row?.balance_cents ?? 0);
}

/** Takes `cents` from the balance if it covers them; returns the balance after, or undefined. */
export async function debit(tx: Executor, accountId: string, cents: number): Promise<number | undefined> {
  const done = await tx
    .updateTable("accounts")
    .set({ balance_cents: sql`balance_cents - ${cents}` })
    .where("id", "=", accountId)
    .where("balance_cents", ">=", cents)
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1) return undefined;
  return balanceCents(tx, accountId);
}

export async function setBalance(tx: Executor, accountId: string, cents: number): Promise<void> {
  await tx.updateTable("accounts").set({ balance_cents: cents }).where("id", "=", accountId).execute();
}

// ---------------------------------------------------------------------------------------------
// The ledger.

/** What is unpaid, in fen (a positive number), of an account or of an instance. */
export async function unpaidCents(db: Executor, filter: { accountId?: string; instanceId?: string }): Promise<number> {
  let q = db.selectFrom("ledger").select((eb) => eb.fn.sum<number>("amount_cents").as("n")).where("status", "=", "unpaid");
  if (filter.accountId) q = q.where("account_id", "=", filter.accountId);
  if (filter.instanceId) q = q.where("instance_id", "=", filter.instanceId);
  const row = await q.executeTakeFirst();
  return -Number(row?.n ?? 0) || 0;
}

export async function insertEntry(tx: Executor, e: LedgerEntry): Promise<void> {
  await insertEntryIfNew(tx, e, false);
}

/**
 * Inserts the entry unless one with its id exists; true when inserted. On PostgreSQL a concurrent
 * transaction inserting the same id makes this one wait for it, then insert nothing: a charge with
 * a deterministic id is written once, however many replicas race for it.
 */
export async function insertEntryIfNew(tx: Executor, e: LedgerEntry, skipExisting = true): Promise<boolean> {
  const insert = tx
    .insertInto("ledger")
    .values({
      id: e.id,
      account_id: e.accountId,
      instance_id: e.instanceId,
      kind: e.kind,
      amount_cents: e.amountCents,
      status: e.status,
      period_start: e.periodStart,
      period_end: e.periodEnd,
      balance_after_cents: e.balanceAfterCents,
      note: e.note,
      created_at: e.createdAt,
      paid_at: e.paidAt,
    });
  const done = await (skipExisting ? insert.onConflict((oc) => oc.column("id").doNothing()) : insert).executeTakeFirst();
  return Number(done.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Whether an entry with this id exists (charges and credits with deterministic ids happen once). */
export async function hasEntry(tx: Executor, id: string): Promise<boolean> {
  return (await tx.selectFrom("ledger").select("id").where("id", "=", id).executeTakeFirst()) !== undefined;
}

/** An account's opening balance, as its first entry (a grant: it is not a payment, and does not raise the account's level). */
export async function recordOpening(tx: Executor, accountId: string, cents: number, now: number): Promise<void> {
  await insertEntry(tx, {
    id: `opening:${accountId}`,
    accountId,
    instanceId: null,
    kind: "opening",
    amountCents: cents,
    status: "paid",
    periodStart: now,
    periodEnd: now,
    balanceAfterCents: cents,
    note: "opening balance",
    createdAt: now,
    paidAt: now,
  });
}

/** The sum of the account's paid entries, in fen: what its balance must be. */
export async function paidSumCents(db: Executor, accountId: string): Promise<number> {
  const row = await db.selectFrom("ledger").select((eb) => eb.fn.sum<number>("amount_cents").as("n")).where("account_id", "=", accountId).where("status", "=", "paid").executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Every account's balance and the sum of its paid entries, in fen. */
export async function balancesAndPaidSums(db: Executor): Promise<Array<{ accountId: string; balanceCents: number; paidSumCents: number }>> {
  const rows = await db
    .selectFrom("accounts")
    .leftJoin("ledger", (j) => j.onRef("ledger.account_id", "=", "accounts.id").on("ledger.status", "=", "paid"))
    .select(["accounts.id as id", "accounts.balance_cents as balance", (eb) => eb.fn.sum<number>("ledger.amount_cents").as("paid")])
    .groupBy(["accounts.id", "accounts.balance_cents"])
    .execute();
  return rows.map((r) => ({ accountId: r.id, balanceCents: Number(r.balance), paidSumCents: Number(r.paid ?? 0) }));
}

/** Prepaid instances (`chargeTypes`) with no `buy` entry: made without their first period's charge. */
export async function prepaidWithoutPurchase(db: Executor, chargeTypes: readonly string[]): Promise<string[]> {
  const rows = await db
    .selectFrom("instances")
    .select("instances.id")
    .where("instances.charge_type", "in", [...chargeTypes])
    .where((eb) => eb.not(eb.exists(eb.selectFrom("ledger").select("ledger.id").whereRef("ledger.instance_id", "=", "instances.id").where("ledger.kind", "=", "buy"))))
    .execute();
  return rows.map((r) => r.id);
}

/** A data disk as billing reads it. */
export interface BillableDisk {
  id: string;
  accountId: string;
  sizeGb: number;
  chargeType: string;
  createdAt: number;
  billedUntil: number;
  /** Prepaid: the end of the paid period (0: none). */
  expireTime: number;
}

const toBillableDisk = (r: { id: string; account_id: string; size_gb: number; charge_type: string; created_at: number; billed_until: number; expire_time: number }): BillableDisk => ({
  id: r.id,
  accountId: r.account_id,
  sizeGb: Number(r.size_gb),
  chargeType: r.charge_type,
  createdAt: Number(r.created_at),
  billedUntil: Number(r.billed_until),
  expireTime: Number(r.expire_time),
});

const DISK_BILLING = ["id", "account_id", "size_gb", "charge_type", "created_at", "billed_until", "expire_time"] as const;

/** Data disks billed by the hour (`chargeTypes`), attached or not, that still exist: at most `limit`. */
export async function hourlyDisks(db: Executor, chargeTypes: readonly string[], limit: number): Promise<BillableDisk[]> {
  const rows = await db.selectFrom("disks").select(DISK_BILLING).where("charge_type", "in", [...chargeTypes]).where("status", "!=", "Deleted").limit(limit).execute();
  return rows.map(toBillableDisk);
}

/** Claims the disk's hours up to `end` if it was billed up to `claimedFrom`. */
export const claimDiskBilledUntil = (tx: Executor, id: string, claimedFrom: number, end: number): Promise<boolean> => claimBilled(tx, "disks", id, claimedFrom, end);

/** Prepaid data disks whose period ended by `now` and that still exist: at most `limit`. */
export async function dueDiskRenewals(db: Executor, now: number, limit: number): Promise<BillableDisk[]> {
  const rows = await db.selectFrom("disks").select(DISK_BILLING).where("expire_time", ">", 0).where("expire_time", "<=", now).where("status", "!=", "Deleted").limit(limit).execute();
  return rows.map(toBillableDisk);
}

/** Claims the renewal of the disk's period that ended at `oldExpiry`. */
export const claimDiskRenewal = (tx: Executor, id: string, oldExpiry: number, next: NextPeriod): Promise<boolean> => claimPeriod(tx, "disks", id, oldExpiry, next);

/** Each account's custom images, in GB (what image storage bills): accounts with none are left out. */
export async function customImageGbByAccount(db: Executor): Promise<Array<{ accountId: string; gb: number }>> {
  const rows = await db
    .selectFrom("images")
    .select(["account_id", (eb) => eb.fn.sum<number>("size").as("gb")])
    .where("type", "=", "Custom")
    .where("account_id", "is not", null)
    .where("status", "=", "Available")
    .groupBy("account_id")
    .execute();
  return rows.map((r) => ({ accountId: String(r.account_id), gb: Number(r.gb) }));
}

/** The account's unpaid orders, oldest first. */
export async function unpaidOrdersOf(tx: Executor, accountId: string): Promise<LedgerEntry[]> {
  const rows = await tx
    .selectFrom("ledger")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("status", "=", "unpaid")
    .orderBy("created_at")
    .orderBy("period_start")
    .execute();
  return rows.map(toEntry);
}

/** An unpaid order paid now, leaving the balance at `balanceAfterCents`. */
export async function markPaid(tx: Executor, id: string, now: number, balanceAfterCents: number): Promise<void> {
  await tx.updateTable("ledger").set({ status: "paid", paid_at: now, balance_after_cents: balanceAfterCents }).where("id", "=", id).execute();
}

/** Whether the instance has an unpaid order. */
export async function hasUnpaid(tx: Executor, instanceId: string): Promise<boolean> {
  return (await tx.selectFrom("ledger").select("id").where("instance_id", "=", instanceId).where("status", "=", "unpaid").executeTakeFirst()) !== undefined;
}

/** The account's latest entries, newest first. */
export async function ledgerEntries(db: Executor, accountId: string, limit: number): Promise<LedgerEntry[]> {
  const rows = await db.selectFrom("ledger").selectAll().where("account_id", "=", accountId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
  return rows.map(toEntry);
}

// ---------------------------------------------------------------------------------------------
// What billing reads and marks of instances.

/** An image's price per hour (0 for none). */
export async function imagePricePerHour(db: Executor, imageId: string): Promise<number> {
  const row = await db.selectFrom("images").select("price").where("id", "=", imageId).executeTakeFirst();
  return Number(row?.price ?? 0);
}

/** Instances billed by the hour (`chargeTypes`) that have started and are not being reclaimed: at most `limit`. */
export async function hourlyBilled(db: Executor, chargeTypes: readonly string[], limit: number): Promise<BillableInstance[]> {
  const rows = await db
    .selectFrom("instances")
    .selectAll()
    .where("charge_type", "in", [...chargeTypes])
    .where("start_time", ">", 0)
    .where("recycling", "=", 0)
    .limit(limit)
    .execute();
  return rows.map(toBillable);
}

/** Billed resources: instances and data disks carry the same billing marks. */
type Billed = "instances" | "disks";

/** Claims the hours up to `end` if the resource was billed up to `claimedFrom`: two passes never bill an hour twice. */
async function claimBilled(tx: Executor, table: Billed, id: string, claimedFrom: number, end: number): Promise<boolean> {
  // Both tables have the columns; the cast picks one for the query builder's types.
  const claimed = await tx.updateTable(table as "disks").set({ billed_until: end }).where("id", "=", id).where("billed_until", "=", claimedFrom).executeTakeFirst();
  return Number(claimed.numUpdatedRows) === 1;
}

/** Claims the billing of the hours up to `end` if the instance was billed up to `claimedFrom`. */
export const claimBilledUntil = (tx: Executor, id: string, claimedFrom: number, end: number): Promise<boolean> => claimBilled(tx, "instances", id, claimedFrom, end);

/** The instance's arrears start at `since`, unless they have started already. */
export async function markArrears(tx: Executor, id: string, since: number): Promise<void> {
  await tx.updateTable("instances").set({ arrears_since: since }).where("id", "=", id).where("arrears_since", "=", 0).execute();
}

/** The ids of the account's instances in arrears. */
export async function instancesInArrears(tx: Executor, accountId: string): Promise<string[]> {
  const rows = await tx.selectFrom("instances").select("id").where("account_id", "=", accountId).where("arrears_since", ">", 0).execute();
  return rows.map((r) => r.id);
}

/** The instance is out of arrears. */
export async function clearArrears(tx: Executor, id: string): Promise<void> {
  await tx.updateTable("instances").set({ arrears_since: 0 }).where("id", "=", id).execute();
}

/** Prepaid instances set to renew whose period ended by `now`, not being reclaimed: at most `limit`. */
export async function dueRenewals(db: Executor, now: number, limit: number): Promise<BillableInstance[]> {
  const rows = await db
    .selectFrom("instances")
    .selectAll()
    .where("expire_time", ">", 0)
    .where("expire_time", "<=", now)
    .where("auto_renew", "=", "Yes")
    .where("recycling", "=", 0)
    .limit(limit)
    .execute();
  return rows.map(toBillable);
}

/** A prepaid resource's next period [periodStart, expireTime), paid `paidAmount` (CNY). */
export interface NextPeriod {
  expireTime: number;
  periodStart: number;
  paidAmount: number;
}

/** Claims the renewal of the instance's period that ended at `oldExpiry`. */
export const claimRenewal = (tx: Executor, id: string, oldExpiry: number, next: NextPeriod): Promise<boolean> => claimPeriod(tx, "instances", id, oldExpiry, next);

/** Claims the renewal of a resource's period that ended at `oldExpiry` (a compare-and-set on ExpireTime). */
async function claimPeriod(tx: Executor, table: Billed, id: string, oldExpiry: number, next: NextPeriod): Promise<boolean> {
  const claimed = await tx
    .updateTable(table as "disks")
    .set({ expire_time: next.expireTime, period_start: next.periodStart, paid_amount: next.paidAmount })
    .where("id", "=", id)
    .where("expire_time", "=", oldExpiry)
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) === 1;
}

// ---------------------------------------------------------------------------------------------
// Bills: the ledger as the account reads it (DescribeCompShareBills).

/** What DescribeCompShareBills narrows the account's entries to; times in ms, `status` as stored. */
export interface BillFilter {
  accountId: string;
  /** Entries written at or after this time. */
  from?: number;
  /** Entries written before this time. */
  to?: number;
  /** The instance, disk or image billed. */
  resourceId?: string;
  kind?: string;
  status?: "paid" | "unpaid";
}

/** The account's entries matching `filter`, newest first (`offset`, `limit`), and how many match. */
export async function listBills(db: Executor, filter: BillFilter, offset: number, limit: number): Promise<{ rows: LedgerEntry[]; total: number }> {
  let q = db.selectFrom("ledger").where("account_id", "=", filter.accountId);
  if (filter.from !== undefined) q = q.where("created_at", ">=", filter.from);
  if (filter.to !== undefined) q = q.where("created_at", "<", filter.to);
  if (filter.resourceId !== undefined) q = q.where("instance_id", "=", filter.resourceId);
  if (filter.kind !== undefined) q = q.where("kind", "=", filter.kind);
  if (filter.status !== undefined) q = q.where("status", "=", filter.status);
  const counted = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirst();
  const rows = await q.selectAll().orderBy("created_at", "desc").orderBy("period_start", "desc").orderBy("id", "desc").offset(offset).limit(limit).execute();
  return { rows: rows.map(toEntry), total: Number(counted?.n ?? 0) };
}
