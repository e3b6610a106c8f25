/** Admin access to the same data directory and database as the server, without serving. */
import { AccountError, CREATED_ACCOUNT, createAccount, createKey, findAccount, setKeyStatus, type AccountStart, type Credentials, type KeyPair } from "./accounts/accounts.js";
import { changeStanding, listAccounts, listKeys, setAccountStatus, type AccountView, type KeyView, type StandingChange, type StandingView } from "./accounts/inventory.js";
import { balanceCents, changeBalance, toCny, unpaidCents } from "./policies/ledger.js";
import { ledgerEntries } from "./store/repositories/ledger.js";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Db } from "./store/schema.js";
import { ConfigError, type Config } from "./config.js";
import { createSealer, loadMasterKey } from "./security/secrets.js";
import { migrate, openStore, sqlitePath } from "./store/db.js";
import { loadCatalog } from "./catalog/catalog.js";
import { addHost, knownZone } from "./drivers/agent/registry.js";
import { reviewVersion, type ReviewView, type Verdict } from "./domain/image-review.js";

export interface Admin {
  /** A new account: verified and at Level 1 unless `start` says otherwise. */
  createAccount(name: string, start?: Partial<AccountStart>): Promise<Credentials>;
  /** Sets an account's level (`auto`: its top-ups decide), its verification, or its own instance quota (0: none). */
  changeStanding(account: string, change: StandingChange): Promise<{ AccountId: string; Name: string } & StandingView>;
  createKey(account: string): Promise<KeyPair>;
  setKeyStatus(publicKey: string, status: "active" | "disabled"): Promise<void>;
  listAccounts(): Promise<AccountView[]>;
  /** An account's keys, private keys masked. */
  listKeys(account: string): Promise<KeyView[]>;
  setAccountStatus(account: string, status: "active" | "disabled"): Promise<{ AccountId: string; Status: string; DisabledKeys: string[] }>;
  migrate(): Promise<string[]>;
  /** Approves or rejects a community version in review (ReviewError when it is not). */
  reviewImage(id: string, verdict: Verdict): Promise<ReviewView>;
  /** Adds an agent host (or gives it a new token); returns the token. */
  addHost(name: string, zone: string | undefined): Promise<string>;
  /** The account's balance, what it owes, and its latest ledger entries. */
  balance(account: string): Promise<BalanceView>;
  /** Tops the balance up by `cents`, or sets it; unpaid orders are then paid, oldest first. */
  changeBalance(account: string, cents: number, mode: "topup" | "set"): Promise<BalanceView & { PaidOrders: number; ClearedInstances: string[] }>;
}

export interface BalanceView {
  AccountId: string;
  Balance: number;
  Unpaid: number;
  Ledger: Array<{ Id: string; Kind: string; UHostId: string; Amount: number; Status: string; PeriodStart: number; PeriodEnd: number; BalanceAfter: number; Note: string; CreateTime: number }>;
}

async function accountId(db: Db, idOrName: string): Promise<string> {
  const found = await findAccount(db, idOrName);
  if (!found) throw new AccountError(`no account ${idOrName}`);
  return found.id;
}

async function balanceView(db: Db, id: string): Promise<BalanceView> {
  const s = (ms: number) => Math.floor(ms / 1000);
  return {
    AccountId: id,
    Balance: toCny(await balanceCents(db, id)),
    Unpaid: toCny(await unpaidCents(db, { accountId: id })),
    Ledger: (await ledgerEntries(db, id, 50)).map((e) => ({
      Id: e.id,
      Kind: e.kind,
      UHostId: e.instanceId ?? "",
      Amount: toCny(e.amountCents),
      Status: e.status,
      PeriodStart: s(e.periodStart),
      PeriodEnd: s(e.periodEnd),
      BalanceAfter: toCny(e.balanceAfterCents),
      Note: e.note,
      CreateTime: s(e.createdAt),
    })),
  };
}

export interface AdminOptions {
  /**
   * Apply pending migrations before the work (default true). `ocs migrate` says false: it applies
   * them itself, and reports which.
   */
  migrate?: boolean;
  /** May make a new embedded database (default false: a missing one is an error saying where it looked). */
  create?: boolean;
}

/** The embedded database's file, when there is one (undefined on PostgreSQL). */
export function sqliteFile(config: Config): string | undefined {
  const file = sqlitePath(config);
  return file === undefined ? undefined : resolve(file);
}

export async function withAdmin<T>(config: Config, work: (admin: Admin) => Promise<T>, opts: AdminOptions = {}): Promise<T> {
  const file = sqliteFile(config);
  if (file && !opts.create && !existsSync(file)) {
    throw new ConfigError(
      `no database at ${file}: run this where the server runs (its data directory is ${config.dataDir}, relative to the current folder), or set OCS_DATA_DIR (--data-dir) or OCS_DATABASE_URL; \`ocs serve\` or \`ocs migrate\` creates it`,
    );
  }
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    if (opts.migrate !== false) await migrate(store.db);
    const sealer = createSealer(loadMasterKey(config.dataDir, config.masterKey));
    return await work({
      createAccount: (name, start) => createAccount(store.db, sealer, name, Date.now(), config.initialBalance * 100, undefined, { ...CREATED_ACCOUNT, ...start }),
      changeStanding: (account, change) => changeStanding(store.db, account, change, config),
      createKey: (account) => createKey(store.db, sealer, account, Date.now()),
      setKeyStatus: (publicKey, status) => setKeyStatus(store.db, publicKey, status),
      listAccounts: () => listAccounts(store.db, config),
      listKeys: (account) => listKeys(store.db, account),
      setAccountStatus: (account, status) => setAccountStatus(store.db, account, status),
      migrate: () => migrate(store.db),
      reviewImage: (id, verdict) => reviewVersion(store.db, id, verdict, Date.now()),
      addHost: (name, zone) => addHost(store.db, name, knownZone(loadCatalog(config.catalogFile), zone)),
      balance: async (account) => balanceView(store.db, await accountId(store.db, account)),
      changeBalance: async (account, cents, mode) => {
        const id = await accountId(store.db, account);
        const result = await changeBalance(store.db, id, cents, mode, Date.now());
        return { ...(await balanceView(store.db, id)), PaidOrders: result.paidOrders, ClearedInstances: result.cleared };
      },
    });
  } finally {
    await store.close();
  }
}
