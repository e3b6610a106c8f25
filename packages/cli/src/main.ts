/**
 * The `ocs` command line. Exit codes: 0 success, 1 error, 2 usage error.
 *
 *   ocs serve [--port N] [--host H] [--data-dir D] …   serve the API
 *   ocs account create NAME                             a new account, its project and key pair
 *   ocs key create ACCOUNT                              another key pair for an account
 *   ocs key disable|enable PUBLICKEY                    turn a key off or on
 *   ocs migrate                                         apply database migrations
 */
import { parseArgs } from "node:util";
import { AccountError, ConfigError, SETTINGS, loadConfig, withAdmin } from "@opencompshare/server";
import { serve } from "./commands/serve.js";

const HELP = `ocs — the opencompshare server and admin tool

Usage:
  ocs serve [options]            serve the CompShare API (npm start runs this)
  ocs account create NAME        create an account with its default project and a key pair
  ocs key create ACCOUNT         add a key pair to an account (id or name)
  ocs key disable PUBLICKEY      refuse a key from now on (RetCode 172)
  ocs key enable PUBLICKEY       accept a disabled key again
  ocs migrate                    apply pending database migrations
  ocs help                       this text

Options (each also read from its environment variable):
${SETTINGS.map((s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(26)} ${s.describe}${s.default !== undefined ? ` (default ${s.default})` : ""}`).join("\n")}
`;

class UsageError extends Error {}

function parse(argv: string[]) {
  const options = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: "string" as const }]));
  const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  return { flags: values as Record<string, string | undefined> & { help?: boolean }, positionals };
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`ocs: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { flags, positionals } = parsed;
  const [command, sub, arg] = positionals;
  if (flags.help || !command || command === "help") {
    process.stdout.write(HELP);
    return command || flags.help ? 0 : 2;
  }
  try {
    const config = loadConfig(flags);
    const print = (value: unknown) => process.stdout.write(JSON.stringify(value) + "\n");
    switch (command) {
      case "serve":
        return await serve(config);
      case "migrate":
        print({ applied: await withAdmin(config, (a) => a.migrate()) });
        return 0;
      case "account":
        if (sub !== "create" || !arg) throw new UsageError("usage: ocs account create NAME");
        print(await withAdmin(config, (a) => a.createAccount(arg)));
        return 0;
      case "key":
        if (sub === "create" && arg) print(await withAdmin(config, (a) => a.createKey(arg)));
        else if ((sub === "disable" || sub === "enable") && arg) {
          await withAdmin(config, (a) => a.setKeyStatus(arg, sub === "disable" ? "disabled" : "active"));
          print({ PublicKey: arg, Status: sub === "disable" ? "disabled" : "active" });
        } else throw new UsageError("usage: ocs key create ACCOUNT | ocs key disable PUBLICKEY | ocs key enable PUBLICKEY");
        return 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ocs: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof AccountError) {
      process.stderr.write(`ocs: ${error.message}\n`);
      return error instanceof ConfigError ? 2 : 1;
    }
    process.stderr.write(`ocs: ${(error as Error).message}\n`);
    return 1;
  }
}
