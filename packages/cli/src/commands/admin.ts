/**
 * The server's own commands, on its data directory and database: `ocs serve`, `ocs account`,
 * `ocs key`, `ocs migrate`. They take every server setting as a flag or environment variable.
 */
import { AccountError, BackupError, ConfigError, HostError, SETTINGS, backupSqlite, doctor, loadConfig, restoreSqlite, sqliteFile, withAdmin, type Config } from "@opencompshare/server";
import type { Command, Family, Options, RunContext } from "../command.js";
import { serve } from "./serve.js";

export const SETTING_OPTIONS: Options = Object.fromEntries(
  SETTINGS.map((s) => [
    s.flag,
    { type: "string" as const, value: s.kind === "int" ? "N" : "VALUE", describe: `${s.describe} (${s.env}${s.default !== undefined ? `, default ${s.default}` : ""})` },
  ]),
);
const settings: Array<[string, Options]> = [["Server settings (each also read from its environment variable)", SETTING_OPTIONS]];
/** `ocs serve --testing`: a switch there, as the docs write it (OCS_TESTING=1 the same); a value elsewhere. */
const serveSettings: Array<[string, Options]> = [
  ["Server settings (each also read from its environment variable)", Object.fromEntries(Object.entries(SETTING_OPTIONS).filter(([flag]) => flag !== "testing"))],
  ["Testing", { testing: { type: "boolean", describe: "testing mode: the test controls answer the operator's keys; never in production (OCS_TESTING=1; default off; docs/testing.md)" } }],
];

const print = (ctx: RunContext, value: unknown) => ctx.io.stdout.write(JSON.stringify(value) + "\n");

/** Loads the configuration from the flags and maps the server's errors: bad settings 2, account errors 1. */
const admin =
  (run: (config: Config, ctx: RunContext) => Promise<number>) =>
  async (ctx: RunContext): Promise<number> => {
    try {
      const flags = { ...ctx.values, testing: ctx.values.testing === true ? "true" : ctx.values.testing } as Record<string, string | undefined>;
      return await run(loadConfig(flags, ctx.io.env), ctx);
    } catch (error) {
      if (error instanceof ConfigError || error instanceof AccountError || error instanceof HostError || error instanceof BackupError) {
        ctx.io.stderr.write(`ocs: ${error.message}\n`);
        return error instanceof ConfigError ? 2 : 1;
      }
      throw error;
    }
  };

const accountStatus = (name: "disable" | "enable"): Command => ({
  name,
  args: "ACCOUNT",
  minArgs: 1,
  maxArgs: 1,
  summary:
    name === "disable"
      ? "Disable an account (id or name) and every key it has: its requests are refused with 172, its console sessions end."
      : "Enable a disabled account again; its keys stay disabled until `ocs key enable`.",
  options: settings,
  run: admin(async (config, ctx) => {
    print(ctx, await withAdmin(config, (a) => a.setAccountStatus(ctx.args[0] as string, name === "disable" ? "disabled" : "active")));
    return 0;
  }),
});

/** `0`-`4`, or `auto` where allowed; undefined when it is neither. */
function levelOf(raw: unknown, auto: boolean): 0 | 1 | 2 | 3 | 4 | "auto" | undefined {
  if (raw === "auto" && auto) return "auto";
  return typeof raw === "string" && /^[0-4]$/.test(raw) ? (Number(raw) as 0 | 1 | 2 | 3 | 4) : undefined;
}

const LEVELS_TEXT =
  "Levels and their quotas (CompShare's): 0 (never topped up) 1 instance, 1 (topped up) 5, 2 20, 3 50, 4 100. " +
  "Left to its payments (auto), an account is at Level 1 once it has topped up, 2 from 1,000 CNY paid in, 3 from 10,000, 4 from 50,000 (our thresholds). " +
  "An account's own quota (ocs account quota) comes first; OCS_INSTANCE_QUOTA, when set, replaces the levels' quotas for every account.";

const keyStatus = (name: "disable" | "enable"): Command => ({
  name,
  args: "PUBLICKEY",
  minArgs: 1,
  maxArgs: 1,
  summary: name === "disable" ? "Refuse a key from now on (RetCode 172)." : "Accept a disabled key again.",
  options: settings,
  run: admin(async (config, ctx) => {
    const status = name === "disable" ? "disabled" : "active";
    await withAdmin(config, (a) => a.setKeyStatus(ctx.args[0] as string, status));
    print(ctx, { PublicKey: ctx.args[0], Status: status });
    return 0;
  }),
});

export const serveFamily: Family = {
  name: "serve",
  summary: "serve the CompShare API (npm start runs this)",
  commands: [
    {
      name: "",
      summary: "Serve the CompShare API until SIGTERM or SIGINT.",
      maxArgs: 0,
      options: [
        ["Upgrades", { "no-migrate": { type: "boolean", describe: "apply no migration: refuse to start unless the schema is current (run `ocs migrate` first; OCS_MIGRATE=false)" } }],
        ...serveSettings,
      ],
      run: admin((config, ctx) => serve(ctx.values["no-migrate"] === true ? { ...config, migrate: false } : config)),
    },
  ],
};

export const accountFamily: Family = {
  name: "account",
  summary: "accounts of the server",
  commands: [
    {
      name: "create",
      args: "NAME",
      minArgs: 1,
      maxArgs: 1,
      summary: "Create an account with its default project and a key pair; prints them as JSON. It is verified and at Level 1 unless told otherwise.",
      details: LEVELS_TEXT,
      options: [
        [
          "Standing",
          {
            level: { type: "string", value: "0-4|auto", describe: "its level (default 1); auto: what it pays in decides (Level 0 until it tops up)" },
            unverified: { type: "boolean", describe: "not verified: its creates are refused with 226606 until `ocs account verify`" },
          },
        ],
        ...settings,
      ],
      run: admin(async (config, ctx) => {
        const level = ctx.values.level === undefined ? 1 : levelOf(ctx.values.level, true);
        if (level === undefined) {
          ctx.io.stderr.write(`ocs: --level must be 0, 1, 2, 3, 4 or auto, got ${JSON.stringify(ctx.values.level)}\n`);
          return 2;
        }
        const verified = ctx.values.unverified !== true;
        print(ctx, await withAdmin(config, (a) => a.createAccount(ctx.args[0] as string, { level, verified })));
        return 0;
      }),
    },
    {
      name: "level",
      args: "ACCOUNT LEVEL",
      minArgs: 2,
      maxArgs: 2,
      summary: "Set an account's level, 0 to 4, or auto (what it has paid in decides); prints its standing as JSON.",
      details: LEVELS_TEXT,
      options: settings,
      run: admin(async (config, ctx) => {
        const level = levelOf(ctx.args[1], true);
        if (level === undefined) {
          ctx.io.stderr.write(`ocs: LEVEL must be 0, 1, 2, 3, 4 or auto, got ${JSON.stringify(ctx.args[1])}\n`);
          return 2;
        }
        print(ctx, await withAdmin(config, (a) => a.changeStanding(ctx.args[0] as string, { level })));
        return 0;
      }),
    },
    {
      name: "verify",
      args: "ACCOUNT",
      minArgs: 1,
      maxArgs: 1,
      summary: "Verify an account (an unverified one's creates are refused with 226606); --revoke takes it back. Prints its standing as JSON.",
      options: [["Verification", { revoke: { type: "boolean", describe: "take the verification back" } }], ...settings],
      run: admin(async (config, ctx) => {
        print(ctx, await withAdmin(config, (a) => a.changeStanding(ctx.args[0] as string, { verified: ctx.values.revoke !== true })));
        return 0;
      }),
    },
    {
      name: "quota",
      args: "ACCOUNT N",
      minArgs: 2,
      maxArgs: 2,
      summary: "Give an account a quota of its own, N instances, whatever its level (a whitelisted account); 0 takes it away. Prints its standing as JSON.",
      options: settings,
      run: admin(async (config, ctx) => {
        const raw = ctx.args[1] as string;
        if (!/^\d{1,9}$/.test(raw)) {
          ctx.io.stderr.write(`ocs: N must be a whole number of instances (0: none of its own), got ${JSON.stringify(raw)}\n`);
          return 2;
        }
        print(ctx, await withAdmin(config, (a) => a.changeStanding(ctx.args[0] as string, { instanceQuota: Number(raw) })));
        return 0;
      }),
    },
    {
      name: "list",
      summary: "List the accounts: id, name, number, status, active keys, instances, level, verified, instance limit (JSON lines).",
      maxArgs: 0,
      options: settings,
      run: admin(async (config, ctx) => {
        for (const account of await withAdmin(config, (a) => a.listAccounts())) print(ctx, account);
        return 0;
      }),
    },
    accountStatus("disable"),
    accountStatus("enable"),
  ],
};

export const keyFamily: Family = {
  name: "key",
  summary: "API key pairs of the server's accounts",
  commands: [
    {
      name: "create",
      args: "ACCOUNT",
      minArgs: 1,
      maxArgs: 1,
      summary: "Add a key pair to an account (id or name); prints it as JSON.",
      options: settings,
      run: admin(async (config, ctx) => {
        print(ctx, await withAdmin(config, (a) => a.createKey(ctx.args[0] as string)));
        return 0;
      }),
    },
    {
      name: "list",
      args: "ACCOUNT",
      minArgs: 1,
      maxArgs: 1,
      summary: "List an account's keys (JSON lines): public key, status, origin; the private key is masked.",
      options: settings,
      run: admin(async (config, ctx) => {
        for (const key of await withAdmin(config, (a) => a.listKeys(ctx.args[0] as string))) print(ctx, key);
        return 0;
      }),
    },
    keyStatus("disable"),
    keyStatus("enable"),
  ],
};

const POSTGRES_BACKUP = "the database is PostgreSQL: back it up with its own tools (pg_dump, or base backups with WAL archiving); see docs/operating.md";

export const backupFamily: Family = {
  name: "backup",
  summary: "an online, consistent copy of the embedded SQLite database",
  commands: [
    {
      name: "",
      args: "FILE",
      minArgs: 1,
      maxArgs: 1,
      summary: "Copy the embedded SQLite database to FILE (a new file) while the server runs, consistently, with SQLite's backup API.",
      details: "Restore it with `ocs restore FILE` while the server is stopped. On PostgreSQL use pg_dump.",
      options: settings,
      run: admin(async (config, ctx) => {
        const source = sqliteFile(config);
        if (!source) throw new ConfigError(POSTGRES_BACKUP);
        ctx.io.stderr.write(`ocs: backing up ${source}\n`);
        const report = await backupSqlite(source, ctx.args[0] as string);
        ctx.io.stderr.write(`ocs: ${report.pages} pages, ${report.bytes} bytes in ${report.ms} ms; integrity ok\n`);
        print(ctx, { File: report.file, Pages: report.pages, Bytes: report.bytes, Ms: report.ms });
        return 0;
      }),
    },
  ],
};

export const restoreFamily: Family = {
  name: "restore",
  summary: "put a backup in place of the embedded database (server stopped)",
  commands: [
    {
      name: "",
      args: "FILE",
      minArgs: 1,
      maxArgs: 1,
      summary: "Replace the data directory's SQLite database with the backup FILE. The server must be stopped; the database replaced is kept beside it.",
      details: "The next start applies any migration the backup predates.",
      options: settings,
      run: admin(async (config, ctx) => {
        if (!sqliteFile(config)) throw new ConfigError(POSTGRES_BACKUP);
        const done = restoreSqlite(ctx.args[0] as string, config.dataDir);
        print(ctx, { Restored: done.restored, Previous: done.previous ?? "", Migrations: done.migrations });
        return 0;
      }),
    },
  ],
};

export const doctorFamily: Family = {
  name: "doctor",
  summary: "check the configuration, database, migrations, master key, clock and driver",
  commands: [
    {
      name: "",
      summary: "Check what a start needs, and say what to fix. Changes nothing. Exit 1 when a check fails.",
      maxArgs: 0,
      options: [["Output", { output: { type: "string", short: "o", value: "FORMAT", describe: "table (default) or json" } }], ...settings],
      run: async (ctx) => {
        const checks = await doctor(ctx.values as Record<string, string | undefined>, ctx.io.env);
        if (ctx.values.output === "json") print(ctx, checks);
        else {
          const width = Math.max(...checks.map((c) => c.name.length));
          for (const c of checks) {
            ctx.io.stdout.write(`${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}\n`);
            if (c.fix) ctx.io.stdout.write(`${" ".repeat(width + 8)}fix: ${c.fix}\n`);
          }
        }
        return checks.some((c) => c.status === "fail") ? 1 : 0;
      },
    },
  ],
};

export const migrateFamily: Family = {
  name: "migrate",
  summary: "apply pending database migrations",
  commands: [
    {
      name: "",
      summary: "Apply pending database migrations; prints the ones applied.",
      maxArgs: 0,
      options: settings,
      run: admin(async (config, ctx) => {
        print(ctx, { applied: await withAdmin(config, (a) => a.migrate(), { migrate: false, create: true }) });
        return 0;
      }),
    },
  ],
};

export const hostFamily: Family = {
  name: "host",
  summary: "GPU hosts that run `ocs agent` (OCS_DRIVER=agent)",
  commands: [
    {
      name: "add",
      args: "NAME",
      minArgs: 1,
      maxArgs: 1,
      summary: "Add a host (or give it a new token, retiring the old one); prints its token once, for `ocs agent --token`.",
      options: [["Host", { zone: { type: "string", value: "ZONE", describe: "the zone the host is in (default: the catalog's first)" } }], ...settings],
      run: admin(async (config, ctx) => {
        const zone = typeof ctx.values.zone === "string" ? ctx.values.zone : undefined;
        const token = await withAdmin(config, (a) => a.addHost(ctx.args[0] as string, zone));
        print(ctx, { Host: ctx.args[0], Token: token });
        return 0;
      }),
    },
  ],
};

/** CNY with at most two decimals, as fen. */
function amountOf(raw: string | undefined, allowZero: boolean): number | undefined {
  if (raw === undefined || !/^\d{1,9}(\.\d{1,2})?$/.test(raw)) return undefined;
  const cents = Math.round(Number(raw) * 100);
  return cents === 0 && !allowZero ? undefined : cents;
}

const changeBalanceCommand = (mode: "topup" | "set"): Command => ({
  name: mode,
  args: "ACCOUNT CNY",
  minArgs: 2,
  maxArgs: 2,
  summary:
    mode === "topup"
      ? "Add CNY to an account's balance; unpaid orders are paid from it, oldest first, and instances with nothing left unpaid leave their arrears timeline."
      : "Set an account's balance to CNY; unpaid orders are then paid from it, oldest first.",
  options: settings,
  run: admin(async (config, ctx) => {
    const cents = amountOf(ctx.args[1], mode === "set");
    if (cents === undefined) {
      ctx.io.stderr.write(`ocs: CNY must be a ${mode === "set" ? "non-negative" : "positive"} amount with at most two decimals, got ${JSON.stringify(ctx.args[1])}\n`);
      return 2;
    }
    print(ctx, await withAdmin(config, (a) => a.changeBalance(ctx.args[0] as string, cents, mode)));
    return 0;
  }),
});

export const balanceFamily: Family = {
  name: "balance",
  summary: "accounts' balances and ledgers (pay-as-you-go hours, renewals, top-ups)",
  commands: [
    {
      name: "show",
      args: "ACCOUNT",
      minArgs: 1,
      maxArgs: 1,
      summary: "Print an account's balance, what it owes, and its latest ledger entries, as JSON.",
      options: settings,
      run: admin(async (config, ctx) => {
        print(ctx, await withAdmin(config, (a) => a.balance(ctx.args[0] as string)));
        return 0;
      }),
    },
    changeBalanceCommand("topup"),
    changeBalanceCommand("set"),
  ],
};
