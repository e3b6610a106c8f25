/**
 * Accounts, their projects and their API key pairs. Private keys are sealed at rest and opened
 * only to verify a signature.
 */
import { randomBytes } from "node:crypto";
import { ApiError } from "@opencompshare/protocol";
import type { Sealer } from "../security/secrets.js";
import { prepared, rowsOf } from "../store/prepared.js";
import type { Db, Executor, KeyOrigin } from "../store/schema.js";

export interface Credentials {
  AccountId: string;
  /** The account's number: what another account shares images with (ModifyCompShareImageShareAccount). */
  AccountNumber: number;
  ProjectId: string;
  PublicKey: string;
  PrivateKey: string;
}

export interface KeyPair {
  AccountId: string;
  PublicKey: string;
  PrivateKey: string;
}

const id = (prefix: string, bytes = 6): string => `${prefix}-${randomBytes(bytes).toString("hex")}`;
/** A new public key: base64url, never starting with "-" or "_" (on a command line, "-…" reads as an option). */
function newPublicKey(): string {
  for (;;) {
    const key = randomBytes(24).toString("base64url");
    if (/^[A-Za-z0-9]/.test(key)) return key;
  }
}
const newPrivateKey = (): string => randomBytes(20).toString("hex");

export class AccountError extends Error {}

/** The first key pair of a new account: a new random one (`created`), or the one given. */
interface FirstKey {
  publicKey?: string;
  privateKey?: string;
  origin: KeyOrigin;
}

export async function createAccount(db: Db, sealer: Sealer, name: string, now: number, balanceCents = 0, first: FirstKey = { origin: "created" }): Promise<Credentials> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name)) {
    throw new AccountError("account name: 1 to 64 of letters, digits, _ . @ -, starting with a letter or digit");
  }
  return db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom("accounts").select("id").where("name", "=", name).executeTakeFirst();
    if (existing) throw new AccountError(`account ${name} exists already`);
    const accountId = id("acc");
    const projectId = id("org");
    // Account numbers count up from 10001; the unique index refuses a duplicate from a racing replica.
    const last = await tx.selectFrom("accounts").select((eb) => eb.fn.max("org_id").as("n")).executeTakeFirst();
    const orgId = Math.max(10000, Number(last?.n ?? 0)) + 1;
    await tx.insertInto("accounts").values({ id: accountId, name, created_at: now, org_id: orgId, instance_quota: 0, net_optimized: 0, balance_cents: balanceCents }).execute();
    await tx.insertInto("projects").values({ id: projectId, account_id: accountId, name: "default", is_default: 1, created_at: now }).execute();
    const key = await insertKey(tx, sealer, accountId, now, first.origin, first.publicKey && first.privateKey ? { publicKey: first.publicKey, privateKey: first.privateKey } : undefined);
    return { AccountId: accountId, AccountNumber: orgId, ProjectId: projectId, PublicKey: key.PublicKey, PrivateKey: key.PrivateKey };
  });
}

/** Resolves an account by id or name. */
export async function findAccount(db: Executor, idOrName: string): Promise<{ id: string; name: string; status: "active" | "disabled" } | undefined> {
  return db
    .selectFrom("accounts")
    .select(["id", "name", "status"])
    .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
    .executeTakeFirst();
}

export async function createKey(db: Db, sealer: Sealer, account: string, now: number): Promise<KeyPair> {
  const found = await findAccount(db, account);
  if (!found) throw new AccountError(`account ${account} does not exist`);
  if (found.status === "disabled") throw new AccountError(`account ${found.name} is disabled: \`ocs account enable ${found.name}\` first`);
  return insertKey(db, sealer, found.id, now, "created");
}

/** Adds a key pair to an account: the one given, else a new random one. */
export async function insertKey(
  db: Executor,
  sealer: Sealer,
  accountId: string,
  now: number,
  origin: KeyOrigin,
  pair: { publicKey: string; privateKey: string } = { publicKey: newPublicKey(), privateKey: newPrivateKey() },
): Promise<KeyPair> {
  const { publicKey, privateKey } = pair;
  await db
    .insertInto("api_keys")
    .values({ public_key: publicKey, account_id: accountId, private_key_sealed: sealer.seal(privateKey), status: "active", created_at: now, origin })
    .execute();
  return { AccountId: accountId, PublicKey: publicKey, PrivateKey: privateKey };
}

export async function setKeyStatus(db: Db, publicKey: string, status: "active" | "disabled"): Promise<void> {
  if (status === "active") {
    const owner = await db.selectFrom("api_keys as k").innerJoin("accounts as a", "a.id", "k.account_id").select(["a.name", "a.status"]).where("k.public_key", "=", publicKey).executeTakeFirst();
    if (owner?.status === "disabled") throw new AccountError(`the key's account ${owner.name} is disabled: \`ocs account enable ${owner.name}\` first`);
  }
  const res = await db.updateTable("api_keys").set({ status }).where("public_key", "=", publicKey).executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new AccountError(`key ${publicKey} does not exist`);
}

export interface KeyOwner {
  accountId: string;
  privateKey: string;
}

/** A bounded memo: cleared whole when full, which is rare and harmless. */
function memo<K, V>(limit: number) {
  const map = new Map<K, V>();
  return {
    get: (key: K) => map.get(key),
    set(key: K, value: V) {
      if (map.size >= limit) map.clear();
      map.set(key, value);
    },
  };
}

/** Every request's first read: prepared once. */
const activeKey = prepared(1, (db, publicKey: string) =>
  db.selectFrom("api_keys").select(["account_id", "private_key_sealed"]).where("public_key", "=", publicKey).where("status", "=", "active"),
);

/**
 * The active key's owner and private key, or undefined when unknown or disabled. The row is read
 * on every request, so a disabled key is refused from the next request on; only the decryption
 * is remembered (by the sealer).
 */
export async function lookupKey(db: Executor, sealer: Sealer, publicKey: string): Promise<KeyOwner | undefined> {
  const [row] = await rowsOf(activeKey(db, publicKey));
  if (!row) return undefined;
  // The sealer remembers what it opened, by the sealed text, which changes whenever the key does.
  return { accountId: row.account_id, privateKey: sealer.open(row.private_key_sealed) };
}

/** Projects found, by account and the ProjectId asked for: projects never move or disappear. */
const knownProjects = memo<string, string>(10_000);

/** The project a request acts in: the given one if it is the account's, else the default. */
export async function resolveProject(db: Executor, accountId: string, projectId: string | undefined): Promise<string> {
  const key = `${accountId}\u0000${projectId ?? ""}`;
  const known = knownProjects.get(key);
  if (known) return known;
  const found = await findProject(db, accountId, projectId);
  knownProjects.set(key, found);
  return found;
}

async function findProject(db: Executor, accountId: string, projectId: string | undefined): Promise<string> {
  let q = db.selectFrom("projects").select("id").where("account_id", "=", accountId);
  q = projectId ? q.where("id", "=", projectId) : q.where("is_default", "=", 1);
  const row = await q.executeTakeFirst();
  if (!row) {
    throw projectId
      ? new ApiError("ProjectNotExists", `project ${projectId} does not exist`)
      : new ApiError("ProjectNotExists", "the account has no default project");
  }
  return row.id;
}
