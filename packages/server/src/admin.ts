/** Admin access to the same data directory and database as the server, without serving. */
import { createAccount, createKey, setKeyStatus, type Credentials, type KeyPair } from "./accounts/accounts.js";
import type { Config } from "./config.js";
import { createSealer, loadMasterKey } from "./security/secrets.js";
import { migrate, openStore } from "./store/db.js";
import { loadCatalog } from "./catalog/catalog.js";
import { addHost, knownZone } from "./drivers/agent/hosts.js";

export interface Admin {
  createAccount(name: string): Promise<Credentials>;
  createKey(account: string): Promise<KeyPair>;
  setKeyStatus(publicKey: string, status: "active" | "disabled"): Promise<void>;
  migrate(): Promise<string[]>;
  /** Adds an agent host (or gives it a new token); returns the token. */
  addHost(name: string, zone: string | undefined): Promise<string>;
}

export async function withAdmin<T>(config: Config, work: (admin: Admin) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    await migrate(store.db);
    const sealer = createSealer(loadMasterKey(config.dataDir, config.masterKey));
    return await work({
      createAccount: (name) => createAccount(store.db, sealer, name, Date.now()),
      createKey: (account) => createKey(store.db, sealer, account, Date.now()),
      setKeyStatus: (publicKey, status) => setKeyStatus(store.db, publicKey, status),
      migrate: () => migrate(store.db),
      addHost: (name, zone) => addHost(store.db, name, knownZone(loadCatalog(config.catalogFile), zone)),
    });
  } finally {
    await store.close();
  }
}
