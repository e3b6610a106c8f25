/**
 * Configuration: each setting from a flag, else an environment variable, else its default.
 * Bad values stop the start with a message naming the setting.
 */
import { addressesOf, DOCUMENTATION_RANGES } from "./drivers/simulated/addresses.js";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  publicKey: string | undefined;
  privateKey: string | undefined;
  masterKey: string | undefined;
  catalogFile: string | undefined;
  /** Instance operation lock TTL, milliseconds. */
  lockTtlMs: number;
  /** Lease of a running operation, renewed by its runner; a dead runner's work is taken over after it. */
  leaseMs: number;
  /** How often recovery looks for orphaned work and stuck states. */
  recoveryIntervalMs: number;
  /** How long a soft reboot or soft power-off may take before the hard one. */
  softTimeoutMs: number;
  /** How long SIGTERM lets requests in flight finish before the rest are closed. */
  shutdownGraceMs: number;
  simBootMs: number;
  simImageMs: number;
  /** The simulated fleet's public addresses: comma-separated IPv4 CIDR blocks. */
  simPublicRange: string;
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
  /** Requests per second per account (0: no limit), and the burst above it. */
  rateLimitRps: number;
  rateLimitBurst: number;
  logLevel: string;
  /** What a new account may spend, CNY. */
  initialBalance: number;
  /** The local time of the reclaim rules (their 10:00–18:59 window, 12:00 of day 7), minutes east of UTC. */
  policyUtcOffsetMin: number;
  /** How often the lifecycle policies bill, renew and take their due steps, ms. */
  policyIntervalMs: number;
  eventRetentionHours: number;
  webhookTimeoutMs: number;
  /** Where GET /metrics is served: "" on the API's port, `host:port` on a listener of its own, `off` nowhere. */
  metricsAddr: string;
  /** When set, /metrics asks for `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Test knob: this process's clock runs this far ahead (negative: behind). */
  clockSkewMs: number;
  /** `simulated` (the default), `qemu` (an agent in this process runs real guests), `agent` (hosts run `ocs agent`). */
  driver: "simulated" | "local" | "agent";
  /** An agent silent for longer is Unknown to placement. */
  hostLeaseMs: number;
  /**
   * When set, the most instances any account may have, instead of its level's (accounts/quota.ts);
   * an account's own quota (whitelisted) still comes first. Unset: the levels apply.
   */
  instanceQuota: number | undefined;
  /** Apply pending migrations at start (false: refuse to start on a schema that is not current, for rolling upgrades after `ocs migrate`). */
  migrate: boolean;
  /**
   * Testing mode: the test controls (faults, time travel, snapshots; docs/testing.md) answer the
   * operator's keys. Off unless asked for: they change the clock and the state of every account.
   */
  testing: boolean;
}

interface Setting {
  key: keyof Config;
  env: string;
  flag: string;
  kind: "string" | "int" | "bool";
  /** For strings: the values accepted. */
  choices?: readonly string[];
  default?: string | number;
  describe: string;
}

export const SETTINGS: readonly Setting[] = [
  { key: "host", env: "OCS_HOST", flag: "host", kind: "string", default: "127.0.0.1", describe: "address to listen on" },
  { key: "port", env: "OCS_PORT", flag: "port", kind: "int", default: 8080, describe: "port to listen on (0: any free port)" },
  { key: "dataDir", env: "OCS_DATA_DIR", flag: "data-dir", kind: "string", default: "./data", describe: "data directory" },
  { key: "databaseUrl", env: "OCS_DATABASE_URL", flag: "database-url", kind: "string", describe: "database; unset means SQLite in the data directory" },
  { key: "publicKey", env: "OCS_PUBLIC_KEY", flag: "public-key", kind: "string", describe: "public key of the default account" },
  { key: "privateKey", env: "OCS_PRIVATE_KEY", flag: "private-key", kind: "string", describe: "private key of the default account" },
  { key: "masterKey", env: "OCS_MASTER_KEY", flag: "master-key", kind: "string", describe: "key sealing secrets at rest; generated into the data directory when unset" },
  { key: "catalogFile", env: "OCS_CATALOG", flag: "catalog", kind: "string", describe: "JSON file with zones, GPU types and images" },
  { key: "lockTtlMs", env: "OCS_LOCK_TTL_S", flag: "lock-ttl-s", kind: "int", default: 600, describe: "instance operation lock TTL, seconds" },
  { key: "leaseMs", env: "OCS_LEASE_MS", flag: "lease-ms", kind: "int", default: 15000, describe: "lease of a running operation, ms" },
  { key: "recoveryIntervalMs", env: "OCS_RECOVERY_INTERVAL_MS", flag: "recovery-interval-ms", kind: "int", default: 5000, describe: "recovery pass period, ms" },
  { key: "softTimeoutMs", env: "OCS_SOFT_TIMEOUT_MS", flag: "soft-timeout-ms", kind: "int", default: 60000, describe: "soft reboot/stop timeout before the hard one, ms" },
  { key: "shutdownGraceMs", env: "OCS_SHUTDOWN_GRACE_S", flag: "shutdown-grace-s", kind: "int", default: 10, describe: "on SIGTERM, how long requests in flight may finish before the rest are closed, seconds" },
  { key: "simBootMs", env: "OCS_SIM_BOOT_MS", flag: "sim-boot-ms", kind: "int", default: 3000, describe: "simulated boot or reboot duration, ms" },
  { key: "simImageMs", env: "OCS_SIM_IMAGE_MS", flag: "sim-image-ms", kind: "int", default: 30000, describe: "simulated custom image duration, ms" },
  { key: "simPublicRange", env: "OCS_SIM_PUBLIC_RANGE", flag: "sim-public-range", kind: "string", default: DOCUMENTATION_RANGES, describe: "public addresses of simulated instances: comma-separated IPv4 CIDR blocks (default: RFC 5737's documentation ranges)" },
  { key: "bodyLimit", env: "OCS_BODY_LIMIT", flag: "body-limit", kind: "int", default: 1048576, describe: "largest request body, bytes" },
  { key: "rateLimitRps", env: "OCS_RATE_LIMIT_RPS", flag: "rate-limit-rps", kind: "int", default: 200, describe: "requests per second per account, per replica (0: no limit)" },
  { key: "rateLimitBurst", env: "OCS_RATE_LIMIT_BURST", flag: "rate-limit-burst", kind: "int", default: 400, describe: "requests an account may send at once above its rate" },
  { key: "logLevel", env: "OCS_LOG_LEVEL", flag: "log-level", kind: "string", default: "info", choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"], describe: "fatal, error, warn, info, debug, trace or silent" },
  { key: "clockSkewMs", env: "OCS_CLOCK_SKEW_MS", flag: "clock-skew-ms", kind: "int", default: 0, describe: "test knob: skew this process's clock (PostgreSQL replicas correct it)" },
  { key: "driver", env: "OCS_DRIVER", flag: "driver", kind: "string", default: "simulated", choices: ["simulated", "local", "qemu", "agent"], describe: "simulated, local (real machines on this host: QEMU and podman, each when installed; qemu is another name for it) or agent (hosts run ocs agent)" },
  { key: "instanceQuota", env: "OCS_INSTANCE_QUOTA", flag: "instance-quota", kind: "int", describe: "when set, the most instances any account may have, instead of its level's quota (Level 0-4: 1, 5, 20, 50, 100); an account's own quota still comes first" },
  { key: "initialBalance", env: "OCS_INITIAL_BALANCE", flag: "initial-balance", kind: "int", default: 10000, describe: "balance of a new account, CNY (prepaid purchases and pay-as-you-go hours are charged from it)" },
  { key: "policyUtcOffsetMin", env: "OCS_POLICY_UTC_OFFSET_MIN", flag: "policy-utc-offset-min", kind: "int", default: 480, describe: "local time of the reclaim rules, minutes east of UTC (CompShare's: China, +480)" },
  { key: "policyIntervalMs", env: "OCS_POLICY_INTERVAL_MS", flag: "policy-interval-ms", kind: "int", default: 10000, describe: "period of the lifecycle policies (billing, renewal, reclaim steps), ms" },
  { key: "eventRetentionHours", env: "OCS_EVENT_RETENTION_HOURS", flag: "event-retention-hours", kind: "int", default: 168, describe: "how long the event log keeps events, hours (a stream resuming from before gets event: reset)" },
  { key: "webhookTimeoutMs", env: "OCS_WEBHOOK_TIMEOUT_MS", flag: "webhook-timeout-ms", kind: "int", default: 10000, describe: "how long a webhook's receiver has to answer a delivery, ms (then the attempt failed and is retried)" },
  { key: "hostLeaseMs", env: "OCS_HOST_LEASE_MS", flag: "host-lease-ms", kind: "int", default: 40000, describe: "an agent host silent for longer is Unknown to placement, ms" },
  { key: "metricsAddr", env: "OCS_METRICS_ADDR", flag: "metrics-addr", kind: "string", describe: "where GET /metrics is served: unset on the API's port, HOST:PORT on a port of its own, off for nowhere" },
  { key: "metricsToken", env: "OCS_METRICS_TOKEN", flag: "metrics-token", kind: "string", describe: "when set, /metrics needs Authorization: Bearer <token>" },
  { key: "migrate", env: "OCS_MIGRATE", flag: "migrate", kind: "bool", default: "true", describe: "apply pending migrations at start (false, or ocs serve --no-migrate: refuse a schema that is not current)" },
  { key: "testing", env: "OCS_TESTING", flag: "testing", kind: "bool", default: "false", describe: "testing mode: the test controls (ArmCompShareFault, AdvanceCompShareClock, snapshots, ResetCompShareState) answer the operator's keys; never in production (docs/testing.md)" },
];

export class ConfigError extends Error {}

/** Reads the configuration from `flags` (`--port 9000` parsed as { port: "9000" }) and `env`. */
export function loadConfig(flags: Record<string, string | undefined> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = flags[s.flag] ?? env[s.env] ?? (s.default === undefined ? undefined : String(s.default));
    if (raw === undefined || raw === "") {
      out[s.key] = undefined;
      continue;
    }
    if (s.kind === "int") {
      const signed = s.key === "clockSkewMs" || s.key === "policyUtcOffsetMin";
      const pattern = signed ? /^-?\d+$/ : /^\d+$/;
      if (!pattern.test(raw)) throw new ConfigError(`${s.env} (--${s.flag}) must be ${signed ? "an" : "a non-negative"} integer, got ${JSON.stringify(raw)}`);
      out[s.key] = Number(raw);
    } else if (s.kind === "bool") {
      if (!/^(true|false|1|0|yes|no)$/i.test(raw)) throw new ConfigError(`${s.env} (--${s.flag}) must be true or false, got ${JSON.stringify(raw)}`);
      out[s.key] = /^(true|1|yes)$/i.test(raw);
    } else {
      if (s.choices && !s.choices.includes(raw)) throw new ConfigError(`${s.env} (--${s.flag}) must be one of ${s.choices.join(", ")}, got ${JSON.stringify(raw)}`);
      out[s.key] = raw;
    }
  }
  const config = out as unknown as Config;
  // `qemu` was this mode's name when QEMU was its only backend.
  if ((config.driver as string) === "qemu") config.driver = "local";
  config.lockTtlMs *= 1000;
  config.shutdownGraceMs *= 1000;
  if (config.port > 65535) throw new ConfigError("OCS_PORT must be at most 65535");
  if (config.lockTtlMs < 1000) throw new ConfigError("OCS_LOCK_TTL_S must be at least 1");
  if (Math.abs(config.policyUtcOffsetMin) > 14 * 60) throw new ConfigError("OCS_POLICY_UTC_OFFSET_MIN must be within ±840 (UTC−14:00 to UTC+14:00)");
  if (config.instanceQuota !== undefined && config.instanceQuota < 1) throw new ConfigError("OCS_INSTANCE_QUOTA must be at least 1 (unset it for the account levels' quotas)");
  if (config.eventRetentionHours < 1) throw new ConfigError("OCS_EVENT_RETENTION_HOURS must be at least 1");
  config.metricsAddr ??= "";
  if (config.metricsAddr !== "" && config.metricsAddr !== "off" && !/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(config.metricsAddr)) {
    throw new ConfigError(`OCS_METRICS_ADDR (--metrics-addr) must be HOST:PORT (e.g. 127.0.0.1:9464) or off, got ${JSON.stringify(config.metricsAddr)}`);
  }
  try {
    addressesOf(config.simPublicRange);
  } catch (error) {
    throw new ConfigError(`OCS_SIM_PUBLIC_RANGE (--sim-public-range): ${(error as Error).message}`);
  }
  if (config.webhookTimeoutMs < 100) throw new ConfigError("OCS_WEBHOOK_TIMEOUT_MS must be at least 100");
  if (config.policyIntervalMs < 100) throw new ConfigError("OCS_POLICY_INTERVAL_MS must be at least 100");
  if ((config.publicKey === undefined) !== (config.privateKey === undefined)) {
    throw new ConfigError("OCS_PUBLIC_KEY and OCS_PRIVATE_KEY go together: set both or neither");
  }
  return config;
}
