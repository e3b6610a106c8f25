/**
 * Accounts, their projects and their API keys (`accounts`, `projects`, `api_keys`): the one place
 * these tables are read and written. Rows leave as records; what a key is for, how a private key
 * is sealed and which keys the default account keeps is decided in `accounts/`.
 */
import { sql } from "kysely";
import { prepared, rowsOf } from "../prepared.js";
import type { Executor, KeyOrigin } from "../schema.js";

export type AccountStatus = "active" | "disabled";

export interface AccountRecord {
  id: string;
  name: string;
  status: AccountStatus;
}

export interface KeyRecord {
  publicKey: string;
  accountId: string;
  status: AccountStatus;
  origin: KeyOrigin;
  createdAt: number;
}

/** What decides whether an account may create instances, and how many (accounts/quota.ts). */
export interface AccountStanding {
  verified: boolean;
  /** The level an operator set (0-4); null: it follows `paidInCents`. */
  levelOverride: number | null;
  /** The account's own quota (a whitelisted account); 0: none. */
  instanceQuota: number;
  /** The sum of the account's top-ups (`topup` ledger entries), fen. */
  paidInCents: number;
}

/** An account with what an operator's list shows of it. */
export interface AccountSummary extends AccountRecord, AccountStanding {
  number: number;
  activeKeys: number;
  instances: number;
  createdAt: number;
}

export interface ProjectRecord {
  id: string;
  name: string;
  isDefault: boolean;
  createdAt: number;
}

// ---------------------------------------------------------------------------------------------
// Accounts.

/** An account by id or name. */
export async function findAccount(db: Executor, idOrName: string): Promise<AccountRecord | undefined> {
  return db
    .selectFrom("accounts")
    .select(["id", "name", "status"])
    .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
    .executeTakeFirst();
}

/** Whether an account of this name exists. */
export async function accountNamed(db: Executor, name: string): Promise<boolean> {
  return (await db.selectFrom("accounts").select("id").where("name", "=", name).executeTakeFirst()) !== undefined;
}

/** The next account number: one past the highest (from 10001). A racing replica's duplicate is refused by the unique index. */
export async function nextAccountNumber(db: Executor): Promise<number> {
  const last = await db.selectFrom("accounts").select((eb) => eb.fn.max("org_id").as("n")).executeTakeFirst();
  return Math.max(10000, Number(last?.n ?? 0)) + 1;
}

/** A new account and its default project. */
export async function insertAccount(
  db: Executor,
  a: { id: string; name: string; number: number; projectId: string; balanceCents: number; levelOverride: number | null; verified: boolean; now: number },
): Promise<void> {
  await db
    .insertInto("accounts")
    .values({
      id: a.id,
      name: a.name,
      created_at: a.now,
      org_id: a.number,
      instance_quota: 0,
      net_optimized: 0,
      balance_cents: a.balanceCents,
      level_override: a.levelOverride,
      verified: a.verified ? 1 : 0,
    })
    .execute();
  await db.insertInto("projects").values({ id: a.projectId, account_id: a.id, name: "default", is_default: 1, created_at: a.now }).execute();
}

/** An account's number. */
export async function accountNumber(db: Executor, accountId: string): Promise<number> {
  return Number((await db.selectFrom("accounts").select("org_id").where("id", "=", accountId).executeTakeFirstOrThrow()).org_id);
}

/** An account's name ("" when there is none). */
export async function accountName(db: Executor, accountId: string): Promise<string> {
  const row = await db.selectFrom("accounts").select("name").where("id", "=", accountId).executeTakeFirst();
  return row?.name ?? "";
}

/** An account's name; throws when there is no such account. */
export async function accountNameOrThrow(db: Executor, accountId: string): Promise<string> {
  return (await db.selectFrom("accounts").select("name").where("id", "=", accountId).executeTakeFirstOrThrow()).name;
}

/** The names of these accounts (null: none, skipped), by account id; an account that is gone is absent. */
export async function accountNames(db: Executor, accountIds: readonly (string | null)[]): Promise<Map<string, string>> {
  const ids = [...new Set(accountIds.filter((a): a is string => a !== null))];
  if (ids.length === 0) return new Map();
  const accounts = await db.selectFrom("accounts").select(["id", "name"]).where("id", "in", ids).execute();
  return new Map(accounts.map((a) => [a.id, a.name]));
}

/** The accounts of these numbers that exist. */
export async function accountsByNumber(db: Executor, numbers: readonly number[]): Promise<Array<{ id: string; number: number }>> {
  if (numbers.length === 0) return [];
  const rows = await db.selectFrom("accounts").select(["id", "org_id"]).where("org_id", "in", [...numbers]).execute();
  return rows.map((a) => ({ id: a.id, number: Number(a.org_id) }));
}

/** The account of this number, or null when there is none. */
export async function accountIdByNumber(db: Executor, number: number): Promise<string | null> {
  return (await db.selectFrom("accounts").select("id").where("org_id", "=", number).executeTakeFirst())?.id ?? null;
}

export async function setAccountStatus(db: Executor, accountId: string, status: AccountStatus): Promise<void> {
  await db.updateTable("accounts").set({ status }).where("id", "=", accountId).execute();
}

/** Every account, in number order, with its active keys and instances counted and its standing. */
export async function accountSummaries(db: Executor): Promise<AccountSummary[]> {
  const rows = await db
    .selectFrom("accounts as a")
    .select((eb) => [
      "a.id",
      "a.name",
      "a.org_id",
      "a.status",
      "a.created_at",
      "a.verified",
      "a.level_override",
      "a.instance_quota",
      eb.selectFrom("api_keys as k").select((k) => k.fn.countAll().as("n")).whereRef("k.account_id", "=", "a.id").where("k.status", "=", "active").as("keys"),
      eb.selectFrom("instances as i").select((i) => i.fn.countAll().as("n")).whereRef("i.account_id", "=", "a.id").as("instances"),
      eb
        .selectFrom("ledger as l")
        .select(sql<number | string | null>`sum(l.amount_cents)`.as("n"))
        .whereRef("l.account_id", "=", "a.id")
        .where("l.kind", "=", "topup")
        .as("paid_in"),
    ])
    .orderBy("a.org_id")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    number: Number(r.org_id),
    activeKeys: Number(r.keys ?? 0),
    instances: Number(r.instances ?? 0),
    createdAt: Number(r.created_at),
    verified: Number(r.verified) === 1,
    levelOverride: r.level_override === null ? null : Number(r.level_override),
    instanceQuota: Number(r.instance_quota),
    paidInCents: Number(r.paid_in ?? 0),
  }));
}

/** What decides an account's instance quota and whether it may create, or undefined when there is no such account. */
export async function accountStanding(db: Executor, accountId: string): Promise<AccountStanding | undefined> {
  const row = await db
    .selectFrom("accounts as a")
    .select((eb) => [
      "a.verified",
      "a.level_override",
      "a.instance_quota",
      eb
        .selectFrom("ledger as l")
        .select(sql<number | string | null>`sum(l.amount_cents)`.as("n"))
        .whereRef("l.account_id", "=", "a.id")
        .where("l.kind", "=", "topup")
        .as("paid_in"),
    ])
    .where("a.id", "=", accountId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    verified: Number(row.verified) === 1,
    levelOverride: row.level_override === null ? null : Number(row.level_override),
    instanceQuota: Number(row.instance_quota),
    paidInCents: Number(row.paid_in ?? 0),
  };
}

/** Sets the level an operator chose (0-4), or clears it (null: the level follows what the account paid in). */
export async function setLevelOverride(db: Executor, accountId: string, level: number | null): Promise<void> {
  await db.updateTable("accounts").set({ level_override: level }).where("id", "=", accountId).execute();
}

export async function setVerified(db: Executor, accountId: string, verified: boolean): Promise<void> {
  await db.updateTable("accounts").set({ verified: verified ? 1 : 0 }).where("id", "=", accountId).execute();
}

/** Sets the account's own instance quota (a whitelisted account), or clears it (0). */
export async function setInstanceQuota(db: Executor, accountId: string, quota: number): Promise<void> {
  await db.updateTable("accounts").set({ instance_quota: quota }).where("id", "=", accountId).execute();
}

// ---------------------------------------------------------------------------------------------
// Projects.

/** The project id: the given one if it is the account's, else the account's default; undefined when there is none. */
export async function projectOf(db: Executor, accountId: string, projectId: string | undefined): Promise<string | undefined> {
  let q = db.selectFrom("projects").select("id").where("account_id", "=", accountId);
  q = projectId ? q.where("id", "=", projectId) : q.where("is_default", "=", 1);
  return (await q.executeTakeFirst())?.id;
}

/** An account's projects, oldest first. */
export async function projectsOf(db: Executor, accountId: string): Promise<ProjectRecord[]> {
  const rows = await db.selectFrom("projects").selectAll().where("account_id", "=", accountId).orderBy("created_at").orderBy("id").execute();
  return rows.map((p) => ({ id: p.id, name: p.name, isDefault: Number(p.is_default) === 1, createdAt: Number(p.created_at) }));
}

/** How many instances each of an account's projects holds. */
export async function instancesPerProject(db: Executor, accountId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("instances")
    .select(["project_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where("account_id", "=", accountId)
    .groupBy("project_id")
    .execute();
  return new Map(rows.map((c) => [c.project_id, Number(c.n)]));
}

// ---------------------------------------------------------------------------------------------
// API keys.

export async function insertKey(db: Executor, k: { publicKey: string; accountId: string; privateKeySealed: string; origin: KeyOrigin; now: number }): Promise<void> {
  await db
    .insertInto("api_keys")
    .values({ public_key: k.publicKey, account_id: k.accountId, private_key_sealed: k.privateKeySealed, status: "active", created_at: k.now, origin: k.origin })
    .execute();
}

/** The account a key belongs to, or undefined when there is no such key. */
export async function keyAccount(db: Executor, publicKey: string): Promise<string | undefined> {
  return (await db.selectFrom("api_keys").select("account_id").where("public_key", "=", publicKey).executeTakeFirst())?.account_id;
}

/** The account of a key, with its name and status (to refuse enabling a key of a disabled account). */
export async function keyOwner(db: Executor, publicKey: string): Promise<{ name: string; status: AccountStatus } | undefined> {
  return db.selectFrom("api_keys as k").innerJoin("accounts as a", "a.id", "k.account_id").select(["a.name", "a.status"]).where("k.public_key", "=", publicKey).executeTakeFirst();
}

/** Sets a key's status; returns whether the key exists. */
export async function setKeyStatus(db: Executor, publicKey: string, status: AccountStatus): Promise<boolean> {
  const res = await db.updateTable("api_keys").set({ status }).where("public_key", "=", publicKey).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** A configured key given again: its private key, active, configured. */
export async function replaceKey(db: Executor, publicKey: string, privateKeySealed: string): Promise<void> {
  await db.updateTable("api_keys").set({ private_key_sealed: privateKeySealed, status: "active", origin: "configured" }).where("public_key", "=", publicKey).execute();
}

/** An account's keys, oldest first. */
export async function keysOf(db: Executor, accountId: string): Promise<KeyRecord[]> {
  const rows = await db
    .selectFrom("api_keys")
    .select(["public_key", "account_id", "status", "origin", "created_at"])
    .where("account_id", "=", accountId)
    .orderBy("created_at")
    .orderBy("public_key")
    .execute();
  return rows.map((r) => ({ publicKey: r.public_key, accountId: r.account_id, status: r.status, origin: r.origin, createdAt: Number(r.created_at) }));
}

/** Disables keys by their public keys. */
export async function disableKeys(db: Executor, publicKeys: readonly string[]): Promise<void> {
  if (publicKeys.length > 0) await db.updateTable("api_keys").set({ status: "disabled" }).where("public_key", "in", [...publicKeys]).execute();
}

/** Every request's first read: prepared once. */
const activeKey = prepared(1, (db, publicKey: string) =>
  db.selectFrom("api_keys").select(["account_id", "private_key_sealed"]).where("public_key", "=", publicKey).where("status", "=", "active"),
);

/** The active key's account and sealed private key, or undefined when unknown or disabled. */
export async function activeKeyOf(db: Executor, publicKey: string): Promise<{ accountId: string; privateKeySealed: string } | undefined> {
  const [row] = await rowsOf(activeKey(db, publicKey));
  return row ? { accountId: row.account_id, privateKeySealed: row.private_key_sealed } : undefined;
}

/** Any one stored key's sealed private key (the doctor checks the master key opens it), or undefined when none is stored. */
export async function anySealedKey(db: Executor): Promise<string | undefined> {
  return (await db.selectFrom("api_keys").select("private_key_sealed").limit(1).executeTakeFirst())?.private_key_sealed;
}

/** Takes the account's row lock until the transaction ends (PostgreSQL; SQLite's writer is alone anyway): a no-op write. */
export async function lockAccount(tx: Executor, accountId: string): Promise<void> {
  await tx.updateTable("accounts").set({ balance_cents: sql`balance_cents` }).where("id", "=", accountId).execute();
}

/** The account's own instance quota (0: none, its level's) and its network option. */
export async function accountLimits(db: Executor, accountId: string): Promise<{ instanceQuota: number; netOptimized: boolean } | undefined> {
  const row = await db.selectFrom("accounts").select(["instance_quota", "net_optimized"]).where("id", "=", accountId).executeTakeFirst();
  return row ? { instanceQuota: Number(row.instance_quota), netOptimized: Number(row.net_optimized) === 1 } : undefined;
}
