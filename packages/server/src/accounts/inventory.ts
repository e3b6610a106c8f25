/** What an operator lists and switches off: the accounts, and the keys of one (private keys masked). */
import { accountSummaries, disableKeys, keysOf, setAccountStatus as writeAccountStatus } from "../store/repositories/accounts.js";
import type { Db } from "../store/schema.js";
import { AccountError, findAccount } from "./accounts.js";

export interface AccountView {
  AccountId: string;
  Name: string;
  AccountNumber: number;
  Status: "active" | "disabled";
  ActiveKeys: number;
  Instances: number;
  CreateTime: number;
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

export async function listAccounts(db: Db): Promise<AccountView[]> {
  return (await accountSummaries(db)).map((a) => ({
    AccountId: a.id,
    Name: a.name,
    AccountNumber: a.number,
    Status: a.status,
    ActiveKeys: a.activeKeys,
    Instances: a.instances,
    CreateTime: seconds(a.createdAt),
  }));
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
