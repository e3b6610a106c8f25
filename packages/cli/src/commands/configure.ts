/**
 * `ocs configure`: stores credentials and endpoint in a named profile of the config file
 * (mode 0600). With flags it writes them; on a terminal without flags it asks, hiding the
 * private key. The private key is never printed: only its last four characters.
 */
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import { str, type Family, type Options, type RunContext } from "../command.js";
import { configPath, FIELDS, mask, readConfig, writeConfig, type Profile } from "../credentials.js";
import { UsageError, type Io } from "../io.js";
import { jsonLine, table } from "../output.js";

const fieldOptions: Options = Object.fromEntries(
  FIELDS.map((f) => [f.flag, { type: "string" as const, value: f.flag === "base-url" ? "URL" : "VALUE", describe: f.label.toLowerCase() }]),
);

const shown = (key: keyof Profile, value: string | undefined) => (key === "privateKey" ? mask(value) : (value ?? ""));

/** Asks for each field on the terminal; Enter keeps the current value. The private key is not echoed. */
async function ask(io: Io, current: Profile): Promise<Profile> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!muted) io.stderr.write(chunk.toString());
      done();
    },
  });
  const rl = createInterface({ input: io.stdin, output, terminal: true });
  const next: Profile = { ...current };
  try {
    for (const f of FIELDS) {
      const now = shown(f.key, current[f.key]);
      const prompt = `${f.label}${now ? ` [${now}]` : ""}: `;
      let answer: string;
      if (f.key === "privateKey") {
        io.stderr.write(prompt);
        muted = true;
        answer = await rl.question("");
        muted = false;
        io.stderr.write("\n");
      } else {
        answer = await rl.question(prompt);
      }
      if (answer.trim()) next[f.key] = answer.trim();
    }
  } finally {
    rl.close();
  }
  return next;
}

function save(ctx: RunContext, name: string, profile: Profile): number {
  if (profile.baseUrl && !/^https?:\/\/[^/]/.test(profile.baseUrl)) throw new UsageError(`--base-url must be an http(s) URL, got ${JSON.stringify(profile.baseUrl)}`);
  const path = configPath(ctx.io.env);
  const config = readConfig(path);
  config.profiles[name] = profile;
  writeConfig(path, config);
  const keys = [profile.publicKey && `public key ${profile.publicKey}`, profile.privateKey && `private key ${mask(profile.privateKey)}`].filter(Boolean);
  ctx.io.stdout.write(`saved profile ${JSON.stringify(name)} to ${path}${keys.length ? ` (${keys.join(", ")})` : ""}\n`);
  return 0;
}

export const family: Family = {
  name: "configure",
  summary: "named profiles of credentials and endpoint",
  commands: [
    {
      name: "",
      summary: "Store credentials in a profile: from the flags given, or asked for on a terminal.",
      details: [
        "The profile file is $OCS_CONFIG, else $XDG_CONFIG_HOME/ocs/config.json, else ~/.config/ocs/config.json (mode 0600).",
        "Commands read it after their flags and the UCLOUD_* environment variables; `--profile NAME` puts it before the environment.",
        "Example: ocs configure --profile local --public-key PUB --private-key PRIV --base-url http://127.0.0.1:8080",
      ].join("\n"),
      maxArgs: 0,
      options: [["Options", { profile: { type: "string", value: "NAME", describe: 'the profile to write (default "default")' }, ...fieldOptions }]],
      async run(ctx) {
        const name = str(ctx.values, "profile") ?? "default";
        const current = readConfig(configPath(ctx.io.env)).profiles[name] ?? {};
        const given = FIELDS.filter((f) => str(ctx.values, f.flag) !== undefined);
        if (given.length > 0) {
          const next: Profile = { ...current };
          for (const f of given) next[f.key] = str(ctx.values, f.flag);
          return save(ctx, name, next);
        }
        if (!ctx.io.stdin.isTTY) throw new UsageError("nothing to store: pass --public-key, --private-key… or run on a terminal", "ocs configure --help");
        return save(ctx, name, await ask(ctx.io, current));
      },
    },
    {
      name: "list",
      summary: "List the profiles; private keys are masked.",
      maxArgs: 0,
      options: [["Options", { output: { type: "string", short: "o", value: "table|json", describe: "table (default) or json" } }]],
      async run(ctx) {
        const path = configPath(ctx.io.env);
        const { profiles } = readConfig(path);
        const masked = Object.fromEntries(
          Object.entries(profiles).map(([n, p]) => [n, Object.fromEntries(FIELDS.filter((f) => p[f.key]).map((f) => [f.key, shown(f.key, p[f.key])]))]),
        );
        const format = str(ctx.values, "output") ?? "table";
        if (format === "json") ctx.io.stdout.write(jsonLine({ file: path, profiles: masked }));
        else if (format === "table") {
          const rows = Object.entries(masked).map(([n, p]) => [n, ...FIELDS.map((f) => (p as Record<string, string>)[f.key] ?? "")]);
          ctx.io.stdout.write(table(["Profile", ...FIELDS.map((f) => f.label)], rows));
          ctx.io.stderr.write(`(${path})\n`);
        } else throw new UsageError(`--output must be table or json, got ${JSON.stringify(format)}`);
        return 0;
      },
    },
  ],
};
