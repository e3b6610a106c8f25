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
import { accountNumber, disableKeys, keyAccount, keysOf, projectOf, replaceKey } from "../store/repositories/accounts.js";
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
    // The operator's own account: verified, and at the highest level.
    const made = await createAccount(db, sealer, DEFAULT_ACCOUNT, now, balanceCents, first, { level: 4, verified: true });
    if (!pair) created = made;
    account = { id: made.AccountId, name: DEFAULT_ACCOUNT, status: "active" };
  }
  const accountId = account.id;
  let keep: string;
  if (pair) {
    const owner = await keyAccount(db, pair.publicKey);
    if (owner !== undefined && owner !== accountId) throw new AccountError("OCS_PUBLIC_KEY belongs to another account");
    if (owner !== undefined) {
      await replaceKey(db, pair.publicKey, sealer.seal(pair.privateKey));
    } else {
      await insertKey(db, sealer, accountId, now, "configured", pair);
    }
    keep = pair.publicKey;
  } else {
    // The newest active generated key, if any.
    const generated = (await keysOf(db, accountId)).filter((k) => k.origin === "generated" && k.status === "active").at(-1);
    if (generated) keep = generated.publicKey;
    else if (created) keep = created.PublicKey;
    else {
      // Back from a configured pair: a new generated one (the old ones stay retired).
      const orgId = await accountNumber(db, accountId);
      const projectId = await projectOf(db, accountId, undefined);
      if (!projectId) throw new AccountError(`account ${DEFAULT_ACCOUNT} has no default project`);
      const fresh = await insertKey(db, sealer, accountId, now, "generated");
      created = { AccountId: accountId, AccountNumber: orgId, ProjectId: projectId, PublicKey: fresh.PublicKey, PrivateKey: fresh.PrivateKey };
      keep = fresh.PublicKey;
    }
  }
  const retired = (await keysOf(db, accountId))
    .filter((k) => (k.origin === "generated" || k.origin === "configured") && k.status === "active" && k.publicKey !== keep)
    .map((k) => k.publicKey);
  await disableKeys(db, retired);
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
