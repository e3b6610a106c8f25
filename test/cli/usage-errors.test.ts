/**
 * Mistakes a user makes, and what they are told: each message names the setting or the flag to
 * fix, and a usage error exits 2 before anything is called.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ocs } from "./run-ocs.js";

const balancedQuotes = (text: string) => [`"`, `'`].every((q) => text.split(q).length % 2 === 1);

describe("usage errors name what to fix", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocs-usage-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Nothing listens on port 1: a call made would fail as a row with exit 1, not 2.
  const creds = ["--public-key", "pub", "--private-key", "priv", "--base-url", "http://127.0.0.1:1"];

  it("a mistyped flag: did you mean, in balanced quotes, exit 2", async () => {
    const r = await ocs(["instance", "reboot", "uhost-x", "--wiat", ...creds]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option --wiat; did you mean --wait\?/);
    assert.ok(balancedQuotes(r.stderr), r.stderr);
    const far = await ocs(["instance", "list", "--zzzzzz", ...creds]);
    assert.equal(far.code, 2);
    assert.doesNotMatch(far.stderr, /did you mean/);
  });

  it("resize --memory 12Q is a usage error before any call", async () => {
    const r = await ocs(["instance", "resize", "uhost-x", "--memory", "12Q", ...creds]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--memory must be MB or a size such as 64G, got "12Q"/);
    assert.equal(r.stdout, "", "no result row");
    assert.equal((await ocs(["instance", "resize", "uhost-x", "--cpu", "many", ...creds])).code, 2);
  });

  it("OCS_PROFILE naming no profile says so, and lists the profiles there are", async () => {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ profiles: { local: { publicKey: "p", privateKey: "q" } } }));
    const r = await ocs(["instance", "list"], { OCS_CONFIG: config, OCS_PROFILE: "nosuch" });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /OCS_PROFILE: no profile "nosuch"/);
    assert.match(r.stderr, /its profiles: local/);
  });

  it("server settings: OCS_LOG_LEVEL and OCS_CATALOG are named", async () => {
    const level = await ocs(["serve"], { OCS_DATA_DIR: join(dir, "d1"), OCS_PORT: "0", OCS_LOG_LEVEL: "verbose" });
    assert.equal(level.code, 2, level.stderr);
    assert.match(level.stderr, /OCS_LOG_LEVEL \(--log-level\) must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/);
    const catalog = await ocs(["serve"], { OCS_DATA_DIR: join(dir, "d2"), OCS_PORT: "0", OCS_CATALOG: "/nonexistent.json" });
    assert.equal(catalog.code, 2, catalog.stderr);
    assert.match(catalog.stderr, /OCS_CATALOG: cannot read \/nonexistent\.json: no such file/);
  });
});
