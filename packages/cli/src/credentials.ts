/**
 * Credentials and endpoint of the API commands, each setting from the first that has it:
 *
 *   1. a flag (--public-key, --private-key, --region, --zone, --project-id, --base-url);
 *   2. the environment (UCLOUD_PUBLIC_KEY, UCLOUD_PRIVATE_KEY, UCLOUD_REGION, UCLOUD_ZONE,
 *      UCLOUD_PROJECT_ID, UCLOUD_BASE_URL) — unless --profile was given, which then comes first;
 *   3. the profile (--profile, else OCS_PROFILE, else "default") in the config file;
 *   4. the SDK's defaults (https://api.compshare.cn, cn-wlcb, cn-wlcb-01).
 *
 * The config file is `$OCS_CONFIG`, else `$XDG_CONFIG_HOME/ocs/config.json`, else
 * `~/.config/ocs/config.json`; it is written with mode 0600 in a 0700 directory.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "./io.js";

export interface Profile {
  publicKey?: string;
  privateKey?: string;
  region?: string;
  zone?: string;
  projectId?: string;
  baseUrl?: string;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
}

export const FIELDS = [
  { key: "publicKey", flag: "public-key", env: "UCLOUD_PUBLIC_KEY", label: "Public key" },
  { key: "privateKey", flag: "private-key", env: "UCLOUD_PRIVATE_KEY", label: "Private key" },
  { key: "region", flag: "region", env: "UCLOUD_REGION", label: "Region" },
  { key: "zone", flag: "zone", env: "UCLOUD_ZONE", label: "Zone" },
  { key: "projectId", flag: "project-id", env: "UCLOUD_PROJECT_ID", label: "Project id" },
  { key: "baseUrl", flag: "base-url", env: "UCLOUD_BASE_URL", label: "Base URL" },
] as const satisfies readonly { key: keyof Profile; flag: string; env: string; label: string }[];

export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.OCS_CONFIG) return env.OCS_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "ocs", "config.json");
}

export function readConfig(path: string): ConfigFile {
  if (!existsSync(path)) return { profiles: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const profiles = (parsed as { profiles?: unknown } | null)?.profiles;
  if (profiles === null || typeof profiles !== "object" || Array.isArray(profiles)) throw new UsageError(`${path}: expected {"profiles": {…}}`);
  return { profiles: profiles as Record<string, Profile> };
}

/** Writes the file readable by its owner only, replacing it in one step. */
export function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** `****wxyz`: enough to recognise a key, never the key. */
export const mask = (secret: string | undefined): string => (!secret ? "" : secret.length <= 8 ? "****" : `****${secret.slice(-4)}`);

export type Source = "flag" | "env" | `profile ${string}` | "default";

export interface Resolved {
  settings: Profile;
  sources: Partial<Record<keyof Profile, Source>>;
  profile: string;
  configFile: string;
}

export function resolveCredentials(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Resolved {
  const configFile = configPath(env);
  const explicit = typeof flags.profile === "string" ? flags.profile : undefined;
  const name = explicit ?? env.OCS_PROFILE ?? "default";
  const { profiles } = readConfig(configFile);
  const profile = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  // A profile named on purpose (the flag, or OCS_PROFILE) must exist; only the implicit "default" may be absent.
  if ((explicit !== undefined || name !== "default") && !profile) {
    const from = explicit !== undefined ? "--profile" : "OCS_PROFILE";
    const known = Object.keys(profiles);
    throw new UsageError(
      `${from}: no profile ${JSON.stringify(name)} in ${configFile} (${known.length > 0 ? `its profiles: ${known.join(", ")}` : "it has none"}); create it with: ocs configure --profile ${name}`,
    );
  }
  const settings: Profile = {};
  const sources: Resolved["sources"] = {};
  for (const f of FIELDS) {
    const fromFlag = typeof flags[f.flag] === "string" ? (flags[f.flag] as string) : undefined;
    const fromEnv = env[f.env] || undefined;
    const fromProfile = profile?.[f.key] || undefined;
    const order: Array<[string | undefined, Source]> =
      explicit !== undefined
        ? [[fromFlag, "flag"], [fromProfile, `profile ${name}`], [fromEnv, "env"]]
        : [[fromFlag, "flag"], [fromEnv, "env"], [fromProfile, `profile ${name}`]];
    const found = order.find(([v]) => v !== undefined);
    if (found) {
      settings[f.key] = found[0];
      sources[f.key] = found[1];
    }
  }
  if (!settings.publicKey || !settings.privateKey) {
    throw new UsageError(
      "no credentials: pass --public-key and --private-key, set UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY, or run `ocs configure`",
    );
  }
  return { settings, sources, profile: name, configFile };
}
