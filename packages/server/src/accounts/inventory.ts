/** What an operator lists and switches off: the accounts, and the keys of one (private keys masked). */
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

const seconds = (ms: number): number => Math.floor(Number(ms) / 1000);
export const MASKED = "********";

export async function listAccounts(db: Db): Promise<AccountView[]> {
  const rows = await db
    .selectFrom("accounts as a")
    .select((eb) => [
      "a.id",
      "a.name",
      "a.org_id",
      "a.status",
      "a.created_at",
      eb.selectFrom("api_keys as k").select((k) => k.fn.countAll().as("n")).whereRef("k.account_id", "=", "a.id").where("k.status", "=", "active").as("keys"),
      eb.selectFrom("instances as i").select((i) => i.fn.countAll().as("n")).whereRef("i.account_id", "=", "a.id").as("instances"),
    ])
    .orderBy("a.org_id")
    .execute();
  return rows.map((r) => ({
    AccountId: r.id,
    Name: r.name,
    AccountNumber: Number(r.org_id),
    Status: r.status,
    ActiveKeys: Number(r.keys ?? 0),
    Instances: Number(r.instances ?? 0),
    CreateTime: seconds(r.created_at),
  }));
}

export async function listKeys(db: Db, account: string): Promise<KeyView[]> {
  const found = await findAccount(db, account);
  if (!found) throw new AccountError(`no account ${account}`);
  const rows = await db.selectFrom("api_keys").select(["public_key", "status", "origin", "created_at"]).where("account_id", "=", found.id).orderBy("created_at").orderBy("public_key").execute();
  return rows.map((r) => ({ PublicKey: r.public_key, PrivateKey: MASKED, Status: r.status, Origin: r.origin, CreateTime: seconds(r.created_at) }));
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
    await tx.updateTable("accounts").set({ status }).where("id", "=", found.id).execute();
    let disabled: string[] = [];
    if (status === "disabled") {
      disabled = (await tx.selectFrom("api_keys").select("public_key").where("account_id", "=", found.id).where("status", "=", "active").execute()).map((r) => r.public_key);
      await tx.updateTable("api_keys").set({ status: "disabled" }).where("account_id", "=", found.id).execute();
    }
    return { AccountId: found.id, Status: status, DisabledKeys: disabled };
  });
}
