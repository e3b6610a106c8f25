/**
 * `ocs doctor`: checks what a start needs, one thing at a time, and says what to fix. It changes
 * nothing: it generates no master key, applies no migration, creates no database.
 *
 * The checks: the configuration; the catalog; the database (reachable, how fast); migrations;
 * the master key (present, and opening the keys stored); the clock against the database's; the
 * driver (the QEMU binaries) or the agent hosts (reporting within their lease); the port.
 */
import { onPath, podmanChecks, type AgentSettings } from "@opencompshare/agent";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { loadCatalog } from "./catalog/catalog.js";
import { loadConfig, type Config } from "./config.js";
import { sqliteFile } from "./admin.js";
import { createSealer, parseMasterKey } from "./security/secrets.js";
import { openStore, pendingMigrations, ping } from "./store/db.js";
import type { Store } from "./store/store.js";
import { anySealedKey } from "./store/repositories/accounts.js";
import { agentHosts } from "./store/repositories/hosts.js";
import { localHostSettings } from "./local-host.js";

export interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  /** What to do about it, for a warn or a fail. */
  fix?: string;
}

/** Clock skew against the database beyond which leases and lock expiry go wrong. */
const SKEW_WARN_MS = 500;
const SKEW_FAIL_MS = 5000;

const ok = (name: string, detail: string): Check => ({ name, status: "ok", detail });
const fail = (name: string, detail: string, fix: string): Check => ({ name, status: "fail", detail, fix });
const warn = (name: string, detail: string, fix: string): Check => ({ name, status: "warn", detail, fix });

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

export async function doctor(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks: Check[] = [];
  let config: Config;
  try {
    config = loadConfig(flags, env);
    checks.push(ok("configuration", `data directory ${config.dataDir}, database ${config.databaseUrl ? "PostgreSQL" : "SQLite"}, driver ${config.driver}`));
    if (config.testing) {
      checks.push(
        warn(
          "testing mode",
          "OCS_TESTING is on: the operator's keys may fail machines, move the clock of every account and replace the whole state (docs/testing.md)",
          "never in production: unset OCS_TESTING (or drop --testing)",
        ),
      );
    }
  } catch (error) {
    checks.push(fail("configuration", (error as Error).message, "correct the setting named above (flag or environment variable); `ocs serve --help` lists them"));
    return checks;
  }
  try {
    const catalog = loadCatalog(config.catalogFile);
    checks.push(ok("catalog", `${config.catalogFile ?? "the built-in catalog"}: ${catalog.zones.length} zones`));
  } catch (error) {
    checks.push(fail("catalog", (error as Error).message, "fix the file OCS_CATALOG names, or unset it for the built-in catalog"));
  }

  const file = sqliteFile(config);
  if (file && !existsSync(file)) {
    checks.push(warn("database", `no database at ${file} yet`, "`ocs serve` or `ocs migrate` creates it; if the server runs elsewhere, run this where it runs or set OCS_DATA_DIR"));
    checks.push(...(await masterKeyChecks(config, undefined)));
    checks.push(await portCheck(config));
    return checks;
  }
  let store: Store | undefined;
  try {
    const started = performance.now();
    store = await withTimeout(
      (async () => {
        const s = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
        try {
          await ping(s.db);
        } catch (error) {
          await s.close().catch(() => undefined);
          throw error;
        }
        return s;
      })(),
      10_000,
      "the database",
    );
    checks.push(ok("database", `${store.engine} ${store.location}, answered in ${Math.round(performance.now() - started)} ms`));
  } catch (error) {
    checks.push(
      fail("database", `cannot reach it: ${(error as Error).message}`, config.databaseUrl ? "check OCS_DATABASE_URL (host, port, credentials) and that PostgreSQL runs" : `check that ${file} is readable`),
    );
    return checks;
  }
  try {
    try {
      const pending = await pendingMigrations(store.db);
      checks.push(
        pending.length === 0
          ? ok("migrations", "the schema is current")
          : warn("migrations", `${pending.length} pending: ${pending.join(", ")}`, "run `ocs migrate` (a server started without --no-migrate applies them too)"),
      );
    } catch (error) {
      checks.push(fail("migrations", (error as Error).message, "check the database user may read the kysely_migration table"));
    }
    checks.push(...(await masterKeyChecks(config, store)));
    checks.push(await clockCheck(config, store));
    checks.push(...(await driverChecks(config, store, env)));
  } finally {
    await store.close().catch(() => undefined);
  }
  checks.push(await portCheck(config));
  return checks;
}

async function masterKeyChecks(config: Config, store: Store | undefined): Promise<Check[]> {
  const name = "master key";
  const file = join(config.dataDir, "master.key");
  let key: Buffer;
  let from: string;
  try {
    if (config.masterKey) {
      key = parseMasterKey(config.masterKey);
      from = "OCS_MASTER_KEY";
    } else if (existsSync(file)) {
      key = parseMasterKey(readFileSync(file, "utf8"));
      from = file;
    } else {
      if (config.databaseUrl && !config.databaseUrl.startsWith("sqlite:")) {
        return [fail(name, "none set: replicas on PostgreSQL must share one", "set OCS_MASTER_KEY (64 hex characters, the same on every replica)")];
      }
      const stored = store ? await anySealedKey(store.db) : undefined;
      if (stored) return [fail(name, `no ${file} and no OCS_MASTER_KEY, but the database holds sealed keys`, "restore master.key into the data directory, or set OCS_MASTER_KEY to the key they were sealed with")];
      return [ok(name, `none yet: the first start generates ${file}`)];
    }
  } catch (error) {
    return [fail(name, (error as Error).message, "OCS_MASTER_KEY (or master.key) must be 64 hex characters or base64 of 32 bytes")];
  }
  if (config.databaseUrl && !config.databaseUrl.startsWith("sqlite:") && !config.masterKey) {
    return [fail(name, `only ${file}: replicas on PostgreSQL must share one key`, "set OCS_MASTER_KEY, the same on every replica")];
  }
  const sealed = store ? await anySealedKey(store.db) : undefined;
  if (sealed) {
    try {
      createSealer(key).open(sealed);
    } catch {
      return [fail(name, `the key from ${from} does not open the keys stored in the database`, "use the master key the database was sealed with (OCS_MASTER_KEY, or the data directory's master.key)")];
    }
    return [ok(name, `from ${from}; it opens the stored keys`)];
  }
  return [ok(name, `from ${from}`)];
}

async function clockCheck(config: Config, store: Store): Promise<Check> {
  const name = "clock";
  try {
    const before = Date.now();
    const db = await store.databaseNow();
    const after = Date.now();
    // This process's clock as the server would see it (OCS_CLOCK_SKEW_MS included).
    const local = (before + after) / 2 + config.clockSkewMs;
    const skew = Math.round(local - db);
    const detail = `${skew >= 0 ? "+" : ""}${skew} ms against the database's (round trip ${after - before} ms)`;
    const fix = "synchronise this host's clock (chrony or systemd-timesyncd); replicas correct small skews, but leases and lock expiry assume a few hundred ms at most";
    if (Math.abs(skew) > SKEW_FAIL_MS) return fail(name, detail, fix);
    if (Math.abs(skew) > SKEW_WARN_MS) return warn(name, detail, fix);
    return ok(name, detail);
  } catch (error) {
    return fail(name, `cannot read the database's clock: ${(error as Error).message}`, "check the database connection");
  }
}

async function driverChecks(config: Config, store: Store, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const name = "driver";
  if (config.driver === "simulated") return [ok(name, "simulated: no real machines")];
  if (config.driver === "local") {
    let settings: AgentSettings;
    try {
      settings = localHostSettings(config, env) as AgentSettings;
    } catch (error) {
      return [fail(name, (error as Error).message, "correct the agent setting it names (docs/driver.md)")];
    }
    const auto = settings.backends === "auto";
    const kinds = settings.backends.split(",");
    // Under `auto`, a backend is checked when it is installed, or when its binary was named.
    const qemu = auto ? env.OCS_QEMU !== undefined || onPath(settings.qemu, env) : kinds.includes("qemu");
    const podman = auto ? env.OCS_PODMAN !== undefined || onPath(settings.podman, env) : kinds.includes("podman");
    if (!qemu && !podman) return [fail(name, "neither QEMU nor podman is installed: this host can run no machine", "apt-get install qemu-system-x86 qemu-utils (system images), or podman runc (container images)")];
    const checks: Check[] = [];
    if (qemu) {
      for (const [binary, where] of [
        [settings.qemu, "or set OCS_QEMU to its path"],
        ["qemu-img", "and put qemu-img on PATH"],
      ] as const) {
        const run = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
        if (run.error || run.status !== 0) {
          checks.push(fail(name, `${binary} does not run: ${run.error?.message ?? run.stderr.trim()}`, `install QEMU (apt-get install qemu-system-x86 qemu-utils) ${where}`));
        } else {
          checks.push(ok(name, `${binary}: ${run.stdout.split("\n")[0]}`));
        }
      }
    }
    if (podman) checks.push(...(await podmanChecks(settings)));
    return checks;
  }
  const hosts = await agentHosts(store.db);
  if (hosts.length === 0) return [fail("agents", "OCS_DRIVER=agent, and no host is registered", "add one with `ocs host add NAME`, then run `ocs agent` on it with the token")];
  const now = await store.databaseNow();
  const silent = hosts.filter((h) => now - h.lastSeen > config.hostLeaseMs);
  const alive = hosts.length - silent.length;
  const detail = `${alive} of ${hosts.length} hosts reporting within ${config.hostLeaseMs} ms${silent.length > 0 ? `; silent: ${silent.map((h) => `${h.id} (${h.lastSeen === 0 ? "never" : `${Math.round((now - h.lastSeen) / 1000)} s ago`})`).join(", ")}` : ""}`;
  if (alive === 0) return [fail("agents", detail, "start `ocs agent` on the hosts (docs/driver.md), and check they reach this server")];
  if (silent.length > 0) return [warn("agents", detail, "check `ocs agent` on the silent hosts, or remove them")];
  return [ok("agents", detail)];
}

/** Whether the port is free to serve on, or a server already answers there. */
async function portCheck(config: Config): Promise<Check> {
  const name = "port";
  const at = `${config.host}:${config.port}`;
  if (config.port === 0) return ok(name, "0: any free port");
  const open = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: config.host === "0.0.0.0" ? "127.0.0.1" : config.host, port: config.port, timeout: 2000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
  if (!open) return ok(name, `${at} is free to serve on`);
  try {
    const res = await fetch(`http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}/healthz`, { signal: AbortSignal.timeout(3000) });
    if (res.ok) return ok(name, `${at}: a server answers /healthz there already`);
  } catch {
    // Not ours.
  }
  return fail(name, `${at} is taken by something that is not an ocs server`, "stop what holds it, or set OCS_PORT (--port)");
}
