/** One binary, one help tree: the API commands and the server's own, each with its help. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ocs } from "./run-ocs.js";

describe("ocs help", () => {
  it("lists the API commands and the server commands, exit 0", async () => {
    const r = await ocs(["help"]);
    assert.equal(r.code, 0);
    for (const family of ["instance", "image", "operation", "configure", "serve", "account", "key", "migrate"]) {
      assert.match(r.stdout, new RegExp(`^  ${family} `, "m"), family);
    }
    assert.match(r.stdout, /CompShare API/);
    assert.match(r.stdout, /Server \(on the server's data directory and database\)/);
    assert.match(r.stdout, /UCLOUD_PUBLIC_KEY/);
    assert.equal((await ocs(["--help"])).stdout, r.stdout);
  });

  it("without a command: the help on stderr, exit 2", async () => {
    const r = await ocs([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: ocs COMMAND/);
  });

  it("a family lists its commands; a command shows its options", async () => {
    const family = await ocs(["instance", "--help"]);
    assert.equal(family.code, 0);
    for (const sub of ["list", "get", "create", "start", "stop", "reboot", "terminate", "reset-password", "reinstall", "resize", "rename"]) {
      assert.match(family.stdout, new RegExp(`^  ocs instance ${sub} `, "m"), sub);
    }
    const reboot = await ocs(["help", "instance", "reboot"]);
    assert.equal(reboot.code, 0);
    assert.match(reboot.stdout, /^Usage: ocs instance reboot UHOSTID\.\.\. \[options\]$/m);
    for (const flag of ["--wait", "--wait-timeout", "--concurrency", "--profile", "--public-key", "--output", "--timeout"]) assert.ok(reboot.stdout.includes(flag), flag);
    const serve = await ocs(["serve", "--help"]);
    assert.equal(serve.code, 0);
    assert.match(serve.stdout, /--port N +port to listen on .*OCS_PORT/);
    const key = await ocs(["key"]);
    assert.equal(key.code, 2);
    assert.match(key.stderr, /ocs key disable PUBLICKEY/);
  });

  it("--version names the CLI and SDK versions", async () => {
    const r = await ocs(["--version"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^ocs 0\.1\.0 \(sdk 0\.1\.0, node v\d+/);
  });
});
