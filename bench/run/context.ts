// ---------------------------------------------------------------------------------------------
// One engine: the servers' settings, their databases and the seeding

import { join } from "node:path";
import { createSealer } from "@opencompshare/server";
import type { EmbeddedServer } from "../../scripts/embedded-postgres.js";
import { log, type Keys } from "../lib.js";
import { createPgDatabase, defaultScope, seedInstances, type Target } from "../seed.js";
import type { Engine } from "./options.js";

export interface EngineContext {
  engine: Engine;
  keys: Keys;
  masterKey: string;
  pg?: EmbeddedServer;
}

export function serverEnv(ctx: EngineContext, extra: Record<string, string>, databaseUrl?: string): Record<string, string> {
  return {
    OCS_PUBLIC_KEY: ctx.keys.publicKey,
    OCS_PRIVATE_KEY: ctx.keys.privateKey,
    OCS_MASTER_KEY: ctx.masterKey,
    OCS_LOG_LEVEL: "warn",
    // The per-account rate limit (200/s by default) would answer most of the load with 153.
    OCS_RATE_LIMIT_RPS: "0",
    ...(databaseUrl ? { OCS_DATABASE_URL: databaseUrl } : {}),
    ...extra,
  };
}

/**
 * The main server's settings. Reboots accepted here must not finish while anything is
 * measured (their completions would land in later windows), so the simulated boot takes an
 * hour, and the soft-reboot timeout and the lock TTL are raised so that no hard-reboot fallback
 * fires either. What runs right after acceptance (the runner's status read, phase write and the
 * driver's reboot record) does happen inside the windows, as it would in production.
 */
export const MAIN_SETTINGS = { OCS_SIM_BOOT_MS: "3600000", OCS_SOFT_TIMEOUT_MS: "3600000", OCS_LOCK_TTL_S: "7200" };

export async function targetFor(ctx: EngineContext, dataDir: string, database: string): Promise<{ target: Target; url?: string }> {
  if (ctx.engine === "sqlite") return { target: { engine: "sqlite", file: join(dataDir, "ocs.db") } };
  if (!ctx.pg) throw new Error("PostgreSQL is not running");
  const url = await createPgDatabase(ctx.pg.url, database);
  return { target: { engine: "postgres", url }, url };
}

const sealedPassword = (ctx: EngineContext) => createSealer(Buffer.from(ctx.masterKey, "hex")).seal(Buffer.from("bench-password").toString("base64"));

export async function seed(ctx: EngineContext, target: Target, from: number, to: number, label: string): Promise<number> {
  const scope = await defaultScope(target);
  const ms = await seedInstances(target, scope, from, to, sealedPassword(ctx), Date.now());
  log(`  seeded ${(to - from).toLocaleString("en")} instances (${label}) in ${(ms / 1000).toFixed(1)} s`);
  return ms;
}
