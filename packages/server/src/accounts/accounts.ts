/**
 * Accounts, their projects and their API key pairs. Private keys are sealed at rest and opened
 * only to verify a signature.
 */
import { recordOpening } from "../store/repositories/ledger.js";
import { randomBytes } from "node:crypto";
import { ApiError } from "@opencompshare/protocol";
import type { Sealer } from "../security/secrets.js";
import * as repo from "../store/repositories/accounts.js";
import type { Db, Executor, KeyOrigin } from "../store/schema.js";
import type { Level } from "./quota.js";

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

/** How a new account starts: its level (a number is an operator's setting; `auto` follows its payments) and whether it is verified. */
export interface AccountStart {
  level: Level | "auto";
  verified: boolean;
}

/** `ocs account create`'s start: verified and at Level 1, the level of an account that has topped up. */
export const CREATED_ACCOUNT: AccountStart = { level: 1, verified: true };

export async function createAccount(
  db: Db,
  sealer: Sealer,
  name: string,
  now: number,
  balanceCents = 0,
  first: FirstKey = { origin: "created" },
  start: AccountStart = CREATED_ACCOUNT,
): Promise<Credentials> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name)) {
    throw new AccountError("account name: 1 to 64 of letters, digits, _ . @ -, starting with a letter or digit");
  }
  return db.transaction().execute(async (tx) => {
    if (await repo.accountNamed(tx, name)) throw new AccountError(`account ${name} exists already`);
    const accountId = id("acc");
    const projectId = id("org");
    // Account numbers count up from 10001; the unique index refuses a duplicate from a racing replica.
    const orgId = await repo.nextAccountNumber(tx);
    const levelOverride = start.level === "auto" ? null : start.level;
    await repo.insertAccount(tx, { id: accountId, name, number: orgId, projectId, balanceCents, levelOverride, verified: start.verified, now });
    // The opening balance is a ledger entry too: a balance is always the sum of its paid entries.
    if (balanceCents !== 0) await recordOpening(tx, accountId, balanceCents, now);
    const key = await insertKey(tx, sealer, accountId, now, first.origin, first.publicKey && first.privateKey ? { publicKey: first.publicKey, privateKey: first.privateKey } : undefined);
    return { AccountId: accountId, AccountNumber: orgId, ProjectId: projectId, PublicKey: key.PublicKey, PrivateKey: key.PrivateKey };
  });
}

/** Resolves an account by id or name. */
export async function findAccount(db: Executor, idOrName: string): Promise<repo.AccountRecord | undefined> {
  return repo.findAccount(db, idOrName);
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
  await repo.insertKey(db, { publicKey, accountId, privateKeySealed: sealer.seal(privateKey), origin, now });
  return { AccountId: accountId, PublicKey: publicKey, PrivateKey: privateKey };
}

export async function setKeyStatus(db: Db, publicKey: string, status: "active" | "disabled"): Promise<void> {
  if (status === "active") {
    const owner = await repo.keyOwner(db, publicKey);
    if (owner?.status === "disabled") throw new AccountError(`the key's account ${owner.name} is disabled: \`ocs account enable ${owner.name}\` first`);
  }
  if (!(await repo.setKeyStatus(db, publicKey, status))) throw new AccountError(`key ${publicKey} does not exist`);
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

/**
 * The active key's owner and private key, or undefined when unknown or disabled. The row is read
 * on every request, so a disabled key is refused from the next request on; only the decryption
 * is remembered (by the sealer).
 */
export async function lookupKey(db: Executor, sealer: Sealer, publicKey: string): Promise<KeyOwner | undefined> {
  const key = await repo.activeKeyOf(db, publicKey);
  if (!key) return undefined;
  // The sealer remembers what it opened, by the sealed text, which changes whenever the key does.
  return { accountId: key.accountId, privateKey: sealer.open(key.privateKeySealed) };
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
  const found = await repo.projectOf(db, accountId, projectId);
  if (!found) {
    throw projectId
      ? new ApiError("ProjectNotExists", `project ${projectId} does not exist`)
      : new ApiError("ProjectNotExists", "the account has no default project");
  }
  return found;
}
