/**
 * The shape of the command tree: families (`instance`, `image`, …) of commands (`reboot`, …),
 * each with its options, parsed by node:util's parseArgs, and the help rendered from them.
 */
import { parseArgs } from "node:util";
import { UsageError, type Io } from "./io.js";

export interface Option {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder of the value in the help: `SECONDS`. */
  value?: string;
  describe: string;
}
export type Options = Record<string, Option>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface RunContext {
  io: Io;
  args: string[];
  values: Values;
  /** `ocs instance reboot`: for messages. */
  path: string;
  /** Aborted when the user interrupts (^C). */
  signal: AbortSignal;
}

export interface Command {
  /** "" for a family that is a single command (`ocs serve`). */
  name: string;
  /** Positional arguments, for the usage line: `UHOSTID...`. */
  args?: string;
  minArgs?: number;
  maxArgs?: number;
  summary: string;
  /** More text under the usage line. */
  details?: string;
  /** Option groups, each with a title. */
  options?: Array<[title: string, options: Options]>;
  run(ctx: RunContext): Promise<number>;
}

export interface Family {
  name: string;
  summary: string;
  commands: Command[];
}

const HELP: Options = { help: { type: "boolean", short: "h", describe: "this help" } };

export function parseCommand(command: Command, path: string, argv: string[]) {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [, group] of [...(command.options ?? []), ["", HELP] as [string, Options]]) {
    for (const [name, o] of Object.entries(group)) {
      options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseFailure(error as Error & { code?: string }, argv, Object.keys(options)), `${path} --help`);
  }
  const values = parsed.values as Values;
  if (values.help) return { help: true as const, values, args: parsed.positionals };
  const n = parsed.positionals.length;
  if (command.minArgs !== undefined && n < command.minArgs) throw new UsageError(`missing ${command.args ?? "arguments"}`, `${path} --help`);
  if (command.maxArgs !== undefined && n > command.maxArgs) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[command.maxArgs])}`, `${path} --help`);
  }
  return { help: false as const, values, args: parsed.positionals };
}

/** parseArgs' refusal in our words: an unknown option names the closest known one. */
function parseFailure(error: Error & { code?: string }, argv: string[], known: string[]): string {
  if (error.code !== "ERR_PARSE_ARGS_UNKNOWN_OPTION") return error.message;
  const given = argv.find((a) => a.startsWith("-") && a !== "--" && !known.includes(a.replace(/^--?/, "").split("=")[0]!)) ?? "";
  const name = given.replace(/^--?/, "").split("=")[0]!;
  const scored = known.map((k) => ({ k, d: editDistance(name, k) })).sort((a, b) => a.d - b.d);
  const best = scored[0];
  const hint = best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean --${best.k}?` : "";
  return `unknown option ${given.split("=")[0] || "(empty)"}${hint} (an argument that starts with "-" goes after "--")`;
}

/** Levenshtein distance, with a swap of neighbours counted as one edit (--wiat is --wait). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

function renderOptions(options: Options): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}`;
    return [flag, o.describe + (o.multiple ? " (repeatable)" : "")] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`).join("\n");
}

export function commandHelp(command: Command, path: string): string {
  const usage = `Usage: ${path}${command.args ? ` ${command.args}` : ""} [options]`;
  const parts = [usage, "", command.summary];
  if (command.details) parts.push("", command.details);
  for (const [title, options] of command.options ?? []) {
    if (Object.keys(options).length > 0) parts.push("", `${title}:`, renderOptions(options));
  }
  return parts.join("\n") + "\n";
}

export function familyHelp(family: Family): string {
  const width = Math.max(...family.commands.map((c) => `${c.name} ${c.args ?? ""}`.length));
  const lines = family.commands.map((c) => `  ocs ${family.name} ${`${c.name} ${c.args ?? ""}`.padEnd(width)}  ${c.summary}`);
  return `ocs ${family.name}: ${family.summary}\n\nCommands:\n${lines.join("\n")}\n\nRun \`ocs ${family.name} COMMAND --help\` for its options.\n`;
}

/** Positive integer option, or `fallback`. */
export function intOption(values: Values, name: string, fallback: number, min = 0): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || Number(raw) < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** A duration in seconds (decimals allowed), in ms; or `fallbackMs`. */
export function secondsOption(values: Values, name: string, fallbackMs: number): number {
  const raw = values[name];
  if (raw === undefined) return fallbackMs;
  if (typeof raw !== "string" || !/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--${name} must be a number of seconds, got ${JSON.stringify(raw)}`);
  return Math.round(Number(raw) * 1000);
}

export const str = (values: Values, name: string): string | undefined => (typeof values[name] === "string" ? (values[name] as string) : undefined);
