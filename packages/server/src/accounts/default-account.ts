/**
 * The default account, and the one key pair the configuration gives it.
 *
 * - With OCS_PUBLIC_KEY/OCS_PRIVATE_KEY, that pair is the account's configured key: active, with
 *   that private key.
 * - Without them, the account has a generated pair, made once and written to
 *   default-credentials.json.
 *
 * Either way, the account's other generated or configured keys are retired (disabled) at the
 * start: changing the configured pair, or going from the generated pair to a configured one or
 * back, leaves exactly one of them valid. Keys made with `ocs key create` are the operator's and
 * stay as they are.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sealer } from "../security/secrets.js";
import type { Db } from "../store/schema.js";
import { AccountError, createAccount, findAccount, insertKey, type Credentials } from "./accounts.js";

export const DEFAULT_ACCOUNT = "default";

export interface DefaultAccount {
  /** The pair made by this start (to show once and write to default-credentials.json). */
  created?: Credentials;
  /** The public keys this start disabled. */
  retired: string[];
}

export async function ensureDefaultAccount(
  db: Db,
  sealer: Sealer,
  pair: { publicKey: string; privateKey: string } | undefined,
  now: number,
  balanceCents = 0,
): Promise<DefaultAccount> {
  let account = await findAccount(db, DEFAULT_ACCOUNT);
  let created: Credentials | undefined;
  if (!account) {
    const first = pair ? { ...pair, origin: "configured" as const } : { origin: "generated" as const };
    const made = await createAccount(db, sealer, DEFAULT_ACCOUNT, now, balanceCents, first);
    if (!pair) created = made;
    account = { id: made.AccountId, name: DEFAULT_ACCOUNT, status: "active" };
  }
  const accountId = account.id;
  let keep: string;
  if (pair) {
    const existing = await db.selectFrom("api_keys").select(["account_id"]).where("public_key", "=", pair.publicKey).executeTakeFirst();
    if (existing && existing.account_id !== accountId) throw new AccountError("OCS_PUBLIC_KEY belongs to another account");
    if (existing) {
      await db
        .updateTable("api_keys")
        .set({ private_key_sealed: sealer.seal(pair.privateKey), status: "active", origin: "configured" })
        .where("public_key", "=", pair.publicKey)
        .execute();
    } else {
      await insertKey(db, sealer, accountId, now, "configured", pair);
    }
    keep = pair.publicKey;
  } else {
    const generated = await db
      .selectFrom("api_keys")
      .select("public_key")
      .where("account_id", "=", accountId)
      .where("origin", "=", "generated")
      .where("status", "=", "active")
      .orderBy("created_at", "desc")
      .executeTakeFirst();
    if (generated) keep = generated.public_key;
    else if (created) keep = created.PublicKey;
    else {
      // Back from a configured pair: a new generated one (the old ones stay retired).
      const orgId = (await db.selectFrom("accounts").select(["org_id"]).where("id", "=", accountId).executeTakeFirstOrThrow()).org_id;
      const project = await db.selectFrom("projects").select("id").where("account_id", "=", accountId).where("is_default", "=", 1).executeTakeFirstOrThrow();
      const fresh = await insertKey(db, sealer, accountId, now, "generated");
      created = { AccountId: accountId, AccountNumber: Number(orgId), ProjectId: project.id, PublicKey: fresh.PublicKey, PrivateKey: fresh.PrivateKey };
      keep = fresh.PublicKey;
    }
  }
  const retire = await db
    .selectFrom("api_keys")
    .select("public_key")
    .where("account_id", "=", accountId)
    .where("origin", "in", ["generated", "configured"])
    .where("status", "=", "active")
    .where("public_key", "!=", keep)
    .execute();
  const retired = retire.map((r) => r.public_key);
  if (retired.length > 0) await db.updateTable("api_keys").set({ status: "disabled" }).where("public_key", "in", retired).execute();
  return { ...(created ? { created } : {}), retired };
}

/**
 * Keeps `default-credentials.json` true: written with the pair this start generated, and removed
 * when the pair it holds was retired (it would only mislead). Returns what it did, for the log.
 */
export function syncCredentialsFile(dataDir: string, result: DefaultAccount): string | undefined {
  const file = join(dataDir, "default-credentials.json");
  if (result.created) {
    writeFileSync(file, JSON.stringify(result.created, null, 2) + "\n", { mode: 0o600 });
    chmodSync(file, 0o600);
    return undefined;
  }
  if (!existsSync(file)) return undefined;
  let held: string | undefined;
  try {
    held = (JSON.parse(readFileSync(file, "utf8")) as { PublicKey?: string }).PublicKey;
  } catch {
    held = undefined;
  }
  if (held === undefined || !result.retired.includes(held)) return undefined;
  rmSync(file, { force: true });
  return `removed ${file}: the pair it held was retired`;
}
