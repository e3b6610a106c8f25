/**
 * The `ocs` command line: the CompShare API (instances, images, operations, profiles) and the
 * server's own commands (serve, accounts, keys, migrations), in one help tree.
 *
 * Exit codes: 0 success; 1 an API or runtime error (the symbol, RetCode, message and request id
 * are printed); 2 a usage error; 130 interrupted.
 */
import { describeError, Interrupted, versionLine } from "./api.js";
import { commandHelp, familyHelp, parseCommand, type Family } from "./command.js";
import { processIo, UsageError, type Io } from "./io.js";

interface Entry {
  name: string;
  summary: string;
  group: "api" | "server";
  /** Loaded on use: the API commands never load the server (nor its native SQLite binding). */
  load: () => Promise<Family>;
}

const FAMILIES: Entry[] = [
  { name: "instance", group: "api", summary: "list | get | policy | console | create | start | stop | reboot | terminate | reset-password | reinstall | resize | rename", load: async () => (await import("./commands/instance.js")).family },
  { name: "image", group: "api", summary: "list | get | create | delete | review (operator: a community version)", load: async () => (await import("./commands/image.js")).family },
  { name: "events", group: "api", summary: "--follow: the account's events as they happen (states, operations, locks)", load: async () => (await import("./commands/events.js")).family },
  { name: "webhook", group: "api", summary: "create URL | list | delete ID | deliveries ID: events POSTed to a URL, signed", load: async () => (await import("./commands/webhook.js")).family },
  { name: "operation", group: "api", summary: "list UHOSTID: the operation records of an instance", load: async () => (await import("./commands/operation.js")).family },
  { name: "bills", group: "api", summary: "the account's bills: charges and credits, paid or unpaid; the balance", load: async () => (await import("./commands/bills.js")).family },
  { name: "testing", group: "api", summary: "fault | clock | snapshot | reset: test controls of a server in testing mode (OCS_TESTING=1)", load: async () => (await import("./commands/testing/index.js")).family },
  { name: "configure", group: "api", summary: "store credentials in a named profile; `configure list` shows them", load: async () => (await import("./commands/configure.js")).family },
  { name: "serve", group: "server", summary: "serve the CompShare API (npm start runs this)", load: async () => (await import("./commands/admin.js")).serveFamily },
  { name: "account", group: "server", summary: "create NAME | list | disable ACCOUNT | enable ACCOUNT: the accounts", load: async () => (await import("./commands/admin.js")).accountFamily },
  { name: "key", group: "server", summary: "create ACCOUNT | list ACCOUNT | disable PUBLICKEY | enable PUBLICKEY", load: async () => (await import("./commands/admin.js")).keyFamily },
  { name: "balance", group: "server", summary: "show | topup | set ACCOUNT [CNY]: balances and ledgers", load: async () => (await import("./commands/admin.js")).balanceFamily },
  { name: "migrate", group: "server", summary: "apply pending database migrations", load: async () => (await import("./commands/admin.js")).migrateFamily },
  { name: "doctor", group: "server", summary: "check the configuration, database, migrations, master key, clock and driver", load: async () => (await import("./commands/admin.js")).doctorFamily },
  { name: "backup", group: "server", summary: "FILE: an online, consistent copy of the SQLite database", load: async () => (await import("./commands/admin.js")).backupFamily },
  { name: "restore", group: "server", summary: "FILE: put a backup in place (server stopped)", load: async () => (await import("./commands/admin.js")).restoreFamily },
  { name: "host", group: "server", summary: "add NAME: a GPU host for `ocs agent`, and its token", load: async () => (await import("./commands/admin.js")).hostFamily },
  { name: "agent", group: "server", summary: "run this host's machines for a control plane (fleet mode)", load: async () => (await import("./commands/agent.js")).agentFamily },
];

const section = (group: Entry["group"]) =>
  FAMILIES.filter((f) => f.group === group)
    .map((f) => `  ${f.name.padEnd(10)} ${f.summary}`)
    .join("\n");

const HELP = `ocs — the CompShare command line, and the opencompshare server

Usage: ocs COMMAND [SUBCOMMAND] [ARGS] [options]

CompShare API (https://api.compshare.cn, or any opencompshare server with --base-url):
${section("api")}

Server (on the server's data directory and database):
${section("server")}

Credentials, first found: flags (--public-key, --private-key, --region, --zone, --project-id,
--base-url); UCLOUD_PUBLIC_KEY, UCLOUD_PRIVATE_KEY, UCLOUD_REGION, UCLOUD_ZONE, UCLOUD_PROJECT_ID,
UCLOUD_BASE_URL; the profile of \`ocs configure\` (--profile NAME or OCS_PROFILE, else "default").

Output: --output table|json (json: the raw response). --wait waits for the target state.
Exit codes: 0 success, 1 API error (symbol, RetCode, message, request id), 2 usage error.

Run \`ocs COMMAND --help\` for the commands of a family, \`ocs COMMAND SUBCOMMAND --help\` for options.
`;

const isHelp = (arg: string | undefined) => arg === "--help" || arg === "-h" || arg === "help";

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(HELP);
    return 2;
  }
  if (isHelp(first) && !rest[0]) {
    io.stdout.write(HELP);
    return 0;
  }
  if (first === "--version" || first === "version") {
    io.stdout.write(versionLine());
    return 0;
  }
  // `ocs help instance reboot` is `ocs instance reboot --help`.
  const words = isHelp(first) ? [...rest, "--help"] : argv;
  // ^C during an API command aborts its calls and waits (exit 130); the server's commands keep Node's own handling.
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort(new Interrupted());
  if (FAMILIES.find((f) => f.name === words[0])?.group === "api") process.once("SIGINT", onSigint);
  try {
    return await dispatch(words, io, interrupt.signal);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`ocs: ${error.message}\n${error.help ? `Run \`${error.help}\` for usage.\n` : ""}`);
      return 2;
    }
    if (error instanceof Interrupted || interrupt.signal.aborted) {
      io.stderr.write("ocs: interrupted\n");
      return 130;
    }
    io.stderr.write(`ocs: ${describeError(error)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

async function dispatch(words: string[], io: Io, signal: AbortSignal): Promise<number> {
  const [name, sub, ...tail] = words;
  const entry = FAMILIES.find((f) => f.name === name);
  if (!entry) throw new UsageError(`unknown command ${JSON.stringify(name)}`, "ocs --help");
  const family = await entry.load();
  const named = sub === undefined ? undefined : family.commands.find((c) => c.name !== "" && c.name === sub);
  const command = named ?? family.commands.find((c) => c.name === "");
  if (!command) {
    if (sub === undefined || isHelp(sub)) {
      (sub === undefined ? io.stderr : io.stdout).write(familyHelp(family));
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(`${name} ${sub}`)}`, `ocs ${name} --help`);
  }
  const path = `ocs ${family.name}${command.name ? ` ${command.name}` : ""}`;
  const argv = named ? tail : words.slice(1);
  const parsed = parseCommand(command, path, argv);
  if (parsed.help) {
    io.stdout.write(commandHelp(command, path));
    if (!command.name && family.commands.length > 1) io.stdout.write(`\n${familyHelp(family)}`);
    return 0;
  }
  return command.run({ io, args: parsed.args, values: parsed.values, path, signal });
}
