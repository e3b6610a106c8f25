/**
 * Credentials of the CLI: `ocs configure` writes named profiles (mode 0600, the private key never
 * printed), and commands take each setting from a flag, the environment or a profile.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configPath, mask, resolveCredentials } from "../../packages/cli/src/credentials.js";
import { UsageError } from "../../packages/cli/src/io.js";
import { databaseEnv, testDatabase, type TestDatabase } from "../helpers/database.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { DEFAULT_KEYS } from "../helpers/server.js";
import { ocs } from "./run-ocs.js";

const SECRET = "s3cr3t-private-key-0123456789";

describe("where the profiles live", () => {
  it("OCS_CONFIG, else $XDG_CONFIG_HOME/ocs/config.json, else ~/.config/ocs/config.json", () => {
    assert.equal(configPath({ OCS_CONFIG: "/x/c.json", XDG_CONFIG_HOME: "/xdg", HOME: "/h" }), "/x/c.json");
    assert.equal(configPath({ XDG_CONFIG_HOME: "/xdg", HOME: "/h" }), "/xdg/ocs/config.json");
    assert.equal(configPath({ HOME: "/h" }), "/h/.config/ocs/config.json");
  });

  it("masks a secret to its last four characters", () => {
    assert.equal(mask(SECRET), "****6789");
    assert.equal(mask("short"), "****");
    assert.equal(mask(undefined), "");
  });
});

describe("resolveCredentials: flags, then environment, then profile", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocs-creds-"));
  const file = join(dir, "config.json");
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(() => {
    writeFileSync(
      file,
      JSON.stringify({
        profiles: {
          default: { publicKey: "pub-default", privateKey: "priv-default", region: "cn-default", baseUrl: "http://default" },
          prod: { publicKey: "pub-prod", privateKey: "priv-prod", zone: "cn-prod-01" },
        },
      }),
    );
  });

  it("uses the default profile when nothing else is given", () => {
    const r = resolveCredentials({}, { OCS_CONFIG: file });
    assert.deepEqual(r.settings, { publicKey: "pub-default", privateKey: "priv-default", region: "cn-default", baseUrl: "http://default" });
    assert.equal(r.sources.publicKey, "profile default");
  });

  it("prefers the environment to the default profile, and flags to both, setting by setting", () => {
    const env = { OCS_CONFIG: file, UCLOUD_PUBLIC_KEY: "pub-env", UCLOUD_PRIVATE_KEY: "priv-env", UCLOUD_REGION: "cn-env" };
    const r = resolveCredentials({ region: "cn-flag" }, env);
    assert.deepEqual(r.settings, { publicKey: "pub-env", privateKey: "priv-env", region: "cn-flag", baseUrl: "http://default" });
    assert.deepEqual(r.sources, { publicKey: "env", privateKey: "env", region: "flag", baseUrl: "profile default" });
  });

  it("puts an explicit --profile before the environment; OCS_PROFILE only picks the profile", () => {
    const env = { OCS_CONFIG: file, UCLOUD_PUBLIC_KEY: "pub-env", UCLOUD_PRIVATE_KEY: "priv-env" };
    assert.equal(resolveCredentials({ profile: "prod" }, env).settings.publicKey, "pub-prod");
    assert.equal(resolveCredentials({}, { ...env, OCS_PROFILE: "prod" }).settings.publicKey, "pub-env");
    assert.equal(resolveCredentials({}, { OCS_CONFIG: file, OCS_PROFILE: "prod" }).settings.zone, "cn-prod-01");
  });

  it("refuses an unknown --profile and missing keys as usage errors", () => {
    assert.throws(() => resolveCredentials({ profile: "nope" }, { OCS_CONFIG: file }), UsageError);
    assert.throws(() => resolveCredentials({}, { OCS_CONFIG: join(dir, "absent.json") }), /no credentials/);
  });
});

describe("ocs configure", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocs-configure-"));
  let db: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  before(async () => {
    db = await testDatabase();
    server = await spawnServer({
      ...databaseEnv(db),
      OCS_DATA_DIR: join(dir, "data"),
      OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
      OCS_LOG_LEVEL: "warn",
    });
  });
  after(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  it("writes a profile from flags, mode 0600, without printing the private key", async () => {
    const file = join(dir, "a", "config.json");
    const r = await ocs(["configure", "--public-key", "pub-a", "--private-key", SECRET, "--region", "cn-wlcb"], { OCS_CONFIG: file });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET));
    assert.match(r.stdout, /saved profile "default" to .*config\.json \(public key pub-a, private key \*\*\*\*6789\)/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { profiles: { default: { publicKey: "pub-a", privateKey: SECRET, region: "cn-wlcb" } } });

    // Another flag later updates that one setting and keeps the others.
    assert.equal((await ocs(["configure", "--zone", "cn-wlcb-01"], { OCS_CONFIG: file })).code, 0);
    const after = JSON.parse(readFileSync(file, "utf8")) as { profiles: { default: Record<string, string> } };
    assert.deepEqual(after.profiles.default, { publicKey: "pub-a", privateKey: SECRET, region: "cn-wlcb", zone: "cn-wlcb-01" });
  });

  it("writes under $XDG_CONFIG_HOME, else under ~/.config", async () => {
    const xdg = join(dir, "xdg");
    assert.equal((await ocs(["configure", "--profile", "x", "--public-key", "p", "--private-key", SECRET], { XDG_CONFIG_HOME: xdg, HOME: join(dir, "home") })).code, 0);
    assert.ok(existsSync(join(xdg, "ocs", "config.json")));
    assert.equal(statSync(join(xdg, "ocs")).mode & 0o777, 0o700);
    assert.equal((await ocs(["configure", "--public-key", "p", "--private-key", SECRET], { HOME: join(dir, "home") })).code, 0);
    assert.ok(existsSync(join(dir, "home", ".config", "ocs", "config.json")));
  });

  it("configure list shows the profiles with the private key masked", async () => {
    const file = join(dir, "a", "config.json");
    await ocs(["configure", "--profile", "local", "--public-key", "pub-l", "--private-key", "another-private-key-9876"], { OCS_CONFIG: file });
    const table = await ocs(["configure", "list"], { OCS_CONFIG: file });
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^PROFILE +PUBLIC KEY +PRIVATE KEY +REGION +ZONE +PROJECT ID +BASE URL$/m);
    assert.match(table.stdout, /^default +pub-a +\*\*\*\*6789 +cn-wlcb +cn-wlcb-01$/m);
    assert.match(table.stdout, /^local +pub-l +\*\*\*\*9876$/m);
    const json = await ocs(["configure", "list", "-o", "json"], { OCS_CONFIG: file });
    assert.ok(!json.stdout.includes(SECRET) && !json.stdout.includes("another-private-key"));
    assert.equal((JSON.parse(json.stdout) as { profiles: { local: { privateKey: string } } }).profiles.local.privateKey, "****9876");
  });

  it("refuses to run without flags when not on a terminal, and refuses a broken file", async () => {
    const none = await ocs(["configure"], { OCS_CONFIG: join(dir, "none.json") });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /nothing to store/);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{not json");
    const r = await ocs(["instance", "list"], { OCS_CONFIG: broken });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not valid JSON/);
  });

  it("commands use the default profile, a named one with --profile, and OCS_PROFILE", async () => {
    const file = join(dir, "live", "config.json");
    mkdirSync(join(dir, "live"));
    const url = server?.url ?? "";
    const set = (profile: string, privateKey: string) =>
      ocs(["configure", "--profile", profile, "--public-key", DEFAULT_KEYS.PublicKey, "--private-key", privateKey, "--base-url", url], { OCS_CONFIG: file });
    await set("default", DEFAULT_KEYS.PrivateKey);
    await set("wrong", "not-the-private-key");

    assert.equal((await ocs(["instance", "list"], { OCS_CONFIG: file })).code, 0);
    const wrong = await ocs(["instance", "list", "--profile", "wrong"], { OCS_CONFIG: file });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /SignatureError \(RetCode 171\)/);
    assert.equal((await ocs(["instance", "list"], { OCS_CONFIG: file, OCS_PROFILE: "wrong" })).code, 1);
    // The environment beats the default profile…
    assert.equal((await ocs(["instance", "list"], { OCS_CONFIG: file, UCLOUD_PRIVATE_KEY: "nope" })).code, 1);
    // …and an explicit --profile beats the environment.
    assert.equal((await ocs(["instance", "list", "--profile", "default"], { OCS_CONFIG: file, UCLOUD_PRIVATE_KEY: "nope" })).code, 0);
    const unknown = await ocs(["instance", "list", "--profile", "ghost"], { OCS_CONFIG: file });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no profile "ghost"/);
  });
});
