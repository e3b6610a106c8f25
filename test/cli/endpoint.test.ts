/**
 * Where `ocs` sends its calls, said when nobody answers: with keys but no base URL it calls
 * CompShare itself, and the error names that default and the three ways to name a local server.
 * The process runs offline (test/cli/support/offline.mjs): nothing leaves this machine.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../helpers/process.js";
import { ocs } from "./run-ocs.js";

const OFFLINE = fileURLToPath(new URL("./support/offline.mjs", import.meta.url));
const offline = (env: Record<string, string>): Record<string, string> => ({
  ...env,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${OFFLINE}`.trim(),
  XDG_CONFIG_HOME: "/nonexistent-ocs-config",
});

describe("ocs: where the calls go", () => {
  it("keys but no base URL: the error names the default endpoint and how to choose a local server", async () => {
    const run = await ocs(["instance", "list"], offline({ UCLOUD_PUBLIC_KEY: "pub", UCLOUD_PRIVATE_KEY: "priv" }));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /ENOTFOUND api\.compshare\.cn \(calling https:\/\/api\.compshare\.cn, the default, since no base URL was given/);
    for (const way of ["--base-url", "UCLOUD_BASE_URL", "ocs configure --base-url"]) assert.ok(run.stderr.includes(way), `${way} in ${run.stderr}`);
  });

  it("a base URL where nothing listens: the error names that URL, and no default", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await ocs(["instance", "list"], offline({ UCLOUD_PUBLIC_KEY: "pub", UCLOUD_PRIVATE_KEY: "priv", UCLOUD_BASE_URL: url }));
    assert.equal(run.code, 1, run.stderr);
    assert.ok(run.stderr.includes(`(calling ${url})`), run.stderr);
    assert.doesNotMatch(run.stderr, /the default/);
  });

  it("no keys at all: a usage error naming every way to give them", async () => {
    const run = await ocs(["instance", "list"], offline({}));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /no credentials: pass --public-key and --private-key, set UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY, or run `ocs configure`/);
  });
});
