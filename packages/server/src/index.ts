/** @opencompshare/server: the control plane. */
export { createApp, type App, type AppOptions } from "./app.js";
export { loadConfig, SETTINGS, ConfigError, type Config } from "./config.js";
export { systemClock, type Clock } from "./clock.js";
export { createLogger } from "./log.js";
export { openStore, migrate, migrated } from "./store/db.js";
export type { Store } from "./store/store.js";
export { backupSqlite, restoreSqlite, inspectSqlite, BackupError, type BackupReport } from "./store/backup.js";
export { createAccount, createKey, setKeyStatus, AccountError, type Credentials } from "./accounts/accounts.js";
export { createSealer, loadMasterKey } from "./security/secrets.js";
export { Webhooks, signWebhook, backoffMs, type PassReport, type WebhookOptions } from "./events/webhooks.js";
export { SimulatedDriver } from "./drivers/simulated/driver.js";
export type { Driver, DriverCall, Fence, MachineSpec, MachineStatus, PowerState } from "./drivers/driver.js";
export { DriverError } from "./drivers/driver.js";
export { withAdmin, sqliteFile, type Admin } from "./admin.js";
export { doctor, type Check } from "./doctor.js";
export { HostError, HOST_NAME } from "./drivers/agent/registry.js";
export { StaleEpoch } from "./drivers/driver.js";
