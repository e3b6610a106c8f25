/**
 * What an operator lists and switches: the accounts (with their level, verification and instance
 * limit), the keys of one (private keys masked), an account's status, level, verification and own
 * quota.
 */
import {
  accountStanding,
  accountSummaries,
  disableKeys,
  keysOf,
  setAccountStatus as writeAccountStatus,
  setInstanceQuota,
  setLevelOverride,
  setVerified,
} from "../store/repositories/accounts.js";
import type { Db } from "../store/schema.js";
import { AccountError, findAccount } from "./accounts.js";
import { instanceLimit, type InstanceLimit, type Level, type QuotaSettings } from "./quota.js";

export type AccountView = {
  AccountId: string;
  Name: string;
  AccountNumber: number;
  Status: "active" | "disabled";
  ActiveKeys: number;
  Instances: number;
  CreateTime: number;
} & StandingView;

/** An account's level, verification and instance limit, as the operator's commands print them. */
export interface StandingView {
  Level: Level;
  /** `operator`: set with `ocs account level`; `payments`: earned by its top-ups. */
  LevelFrom: InstanceLimit["levelFrom"];
  /** What its top-ups add up to, CNY. */
  PaidIn: number;
  Verified: boolean;
  /** The most instances it may have. */
  InstanceLimit: number;
  /** `level`, `account` (its own quota: whitelisted) or `server` (OCS_INSTANCE_QUOTA). */
  LimitFrom: InstanceLimit["limitFrom"];
}

export interface KeyView {
  PublicKey: string;
  /** Never the private key: only that there is one, sealed. */
  PrivateKey: string;
  Status: "active" | "disabled";
  Origin: string;
  CreateTime: number;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
export const MASKED = "********";

function standingView(a: { verified: boolean; levelOverride: number | null; instanceQuota: number; paidInCents: number }, settings: QuotaSettings): StandingView {
  const limit = instanceLimit(a, settings);
  return {
    Level: limit.level,
    LevelFrom: limit.levelFrom,
    PaidIn: Math.round(a.paidInCents) / 100,
    Verified: a.verified,
    InstanceLimit: limit.limit,
    LimitFrom: limit.limitFrom,
  };
}

export async function listAccounts(db: Db, settings: QuotaSettings): Promise<AccountView[]> {
  return (await accountSummaries(db)).map((a) => ({
    AccountId: a.id,
    Name: a.name,
    AccountNumber: a.number,
    Status: a.status,
    ActiveKeys: a.activeKeys,
    Instances: a.instances,
    CreateTime: seconds(a.createdAt),
    ...standingView(a, settings),
  }));
}

/** A change of an account's standing; answers the account and its standing after it. */
export type StandingChange = { level: Level | "auto" } | { verified: boolean } | { instanceQuota: number };

/**
 * Sets an account's level (a number: the operator's; `auto`: its top-ups decide), verifies it or
 * takes its verification back, or sets its own instance quota (0: none, its level's).
 */
export async function changeStanding(db: Db, account: string, change: StandingChange, settings: QuotaSettings): Promise<{ AccountId: string; Name: string } & StandingView> {
  const found = await findAccount(db, account);
  if (!found) throw new AccountError(`no account ${account}`);
  if ("level" in change) await setLevelOverride(db, found.id, change.level === "auto" ? null : change.level);
  else if ("verified" in change) await setVerified(db, found.id, change.verified);
  else await setInstanceQuota(db, found.id, change.instanceQuota);
  const standing = await accountStanding(db, found.id);
  if (!standing) throw new AccountError(`no account ${account}`);
  return { AccountId: found.id, Name: found.name, ...standingView(standing, settings) };
}

export async function listKeys(db: Db, account: string): Promise<KeyView[]> {
  const found = await findAccount(db, account);
  if (!found) throw new AccountError(`no account ${account}`);
  return (await keysOf(db, found.id)).map((k) => ({ PublicKey: k.publicKey, PrivateKey: MASKED, Status: k.status, Origin: k.origin, CreateTime: seconds(k.createdAt) }));
}

/**
 * Disables an account and every key it has (the next request with one is refused with 172, and
 * its console sessions end), or enables the account again. Enabling leaves its keys disabled:
 * the operator enables the ones to keep with `ocs key enable`.
 */
export async function setAccountStatus(db: Db, account: string, status: "active" | "disabled"): Promise<{ AccountId: string; Status: string; DisabledKeys: string[] }> {
  const found = await findAccount(db, account);
  if (!found) throw new AccountError(`no account ${account}`);
  return db.transaction().execute(async (tx) => {
    await writeAccountStatus(tx, found.id, status);
    let disabled: string[] = [];
    if (status === "disabled") {
      const keys = await keysOf(tx, found.id);
      disabled = keys.filter((k) => k.status === "active").map((k) => k.publicKey);
      await disableKeys(tx, keys.map((k) => k.publicKey));
    }
    return { AccountId: found.id, Status: status, DisabledKeys: disabled };
  });
}
