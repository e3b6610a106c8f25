/**
 * What the `ocs testing` commands share: a command with subcommands of its own (`ocs testing
 * fault arm|list|clear`), since the command tree is two words deep; the --json option; and the
 * hint when the server has no test controls (161: not in testing mode; 299: not the operator).
 */
import { RetCodeError } from "@opencompshare/sdk";
import { API_OPTIONS, api, describeError, type ApiContext } from "../../api.js";
import type { Command, Options, RunContext } from "../../command.js";
import { UsageError } from "../../io.js";
import { jsonLine } from "../../output.js";

export interface Sub {
  name: string;
  /** Its positional arguments, for the usage line: `[FAULT_ID]`. */
  args?: string;
  minArgs?: number;
  maxArgs: number;
  summary: string;
  /** Its own options; refused on the other subcommands. */
  options?: Options;
  /** Checks the arguments and options before anything is called (a usage error: exit 2, whatever the credentials). */
  check?(ctx: RunContext): void;
  /** Runs with `ctx.args` after the subcommand's name. */
  run(ctx: ApiContext): Promise<number>;
}

export const JSON_OPTION: Options = { json: { type: "boolean", describe: "the raw response as JSON (the same as --output json)" } };

export const wantsJson = (ctx: ApiContext): boolean => ctx.format === "json" || ctx.values.json === true;

/** Prints the raw response when JSON is asked for; true when it did. */
export function printedJson(ctx: ApiContext, res: unknown): boolean {
  if (!wantsJson(ctx)) return false;
  ctx.io.stdout.write(jsonLine(res));
  return true;
}

const HINTS: Record<number, string> = {
  161: "the test controls answer only on a server in testing mode: start it with OCS_TESTING=1 (ocs serve --testing), never in production",
  299: "the test controls answer only the keys of the server's operator (its default account)",
};

/** An API command of `ocs testing`: a refusal of the test controls themselves says why. */
export const testingApi =
  (run: (ctx: ApiContext) => Promise<number>) =>
  async (ctx: RunContext): Promise<number> => {
    try {
      return await api(run)(ctx);
    } catch (error) {
      const hint = error instanceof RetCodeError ? HINTS[error.retCode] : undefined;
      if (!hint) throw error;
      ctx.io.stderr.write(`ocs: ${describeError(error)}\nocs: ${hint}\n`);
      return 1;
    }
  };

const usageOf = (prefix: string, s: Sub) => `${prefix} ${s.name}${s.args ? ` ${s.args}` : ""}`;

/** `ocs testing fault`: a command whose first argument names one of `subs`. */
export function nested(name: string, prefix: string, summary: string, subs: Sub[], output: Options = JSON_OPTION): Command {
  const width = Math.max(...subs.map((s) => usageOf(prefix, s).length));
  const own = (s: Sub) => Object.keys(s.options ?? {});
  return {
    name,
    args: `${subs.map((s) => s.name).join("|")} [ARGS]`,
    minArgs: 1,
    summary,
    details: `Commands:\n${subs.map((s) => `  ${usageOf(prefix, s).padEnd(width)}  ${s.summary}`).join("\n")}`,
    options: [
      ...subs.filter((s) => own(s).length > 0).map((s): [string, Options] => [`Options of ${prefix} ${s.name}`, s.options ?? {}]),
      ["Output", output],
      ["Credentials and output", API_OPTIONS],
    ],
    run: async (ctx) => {
      const [word, ...args] = ctx.args;
      const sub = subs.find((s) => s.name === word);
      const help = `${prefix} --help`;
      if (!sub) throw new UsageError(`unknown command ${JSON.stringify(`${prefix.replace(/^ocs /, "")} ${word}`)}: one of ${subs.map((s) => s.name).join(", ")}`, help);
      for (const other of subs) {
        if (other === sub) continue;
        const stray = own(other).find((o) => ctx.values[o] !== undefined && !own(sub).includes(o));
        if (stray) throw new UsageError(`--${stray} applies to \`${prefix} ${other.name}\`, not to \`${prefix} ${sub.name}\``, help);
      }
      if (args.length < (sub.minArgs ?? 0)) throw new UsageError(`missing ${sub.args ?? "arguments"}: ${usageOf(prefix, sub)}`, help);
      if (args.length > sub.maxArgs) throw new UsageError(`unexpected argument ${JSON.stringify(args[sub.maxArgs])}: ${usageOf(prefix, sub)}`, help);
      sub.check?.({ ...ctx, args });
      return testingApi(sub.run)({ ...ctx, args });
    },
  };
}
