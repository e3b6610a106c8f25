/**
 * The systemd units in deploy/systemd: systemd-analyze verify finds nothing to say (with the
 * binary's path pointed at a real executable, since /opt/opencompshare is not installed here),
 * and each keeps its hardening and its shutdown semantics.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";

const DIR = fileURLToPath(new URL("../../deploy/systemd/", import.meta.url));
const UNITS = ["opencompshare.service", "opencompshare-agent.service"];
const BIN = "/opt/opencompshare/node_modules/.bin/ocs";

const directives = (text: string): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
};

describe("the systemd units", () => {
  const tmp = mkdtempSync(join(tmpdir(), "ocs-units-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const unit of UNITS) {
    it(`${unit}: systemd-analyze verify is silent`, () => {
      const text = readFileSync(join(DIR, unit), "utf8");
      assert.ok(text.includes(`ExecStart=${BIN} `), "runs the installed ocs");
      const copy = join(tmp, unit);
      writeFileSync(copy, text.replaceAll(BIN, process.execPath));
      const r = spawnSync("systemd-analyze", ["verify", copy], { encoding: "utf8" });
      assert.equal(r.error, undefined, `systemd-analyze runs: ${String(r.error)}`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), "", "no warning");
    });
  }

  it("both run as a dedicated user, hardened, with a state directory of their own", () => {
    const users = readFileSync(join(DIR, "opencompshare.sysusers.conf"), "utf8");
    for (const unit of UNITS) {
      const d = directives(readFileSync(join(DIR, unit), "utf8"));
      const user = d.get("User")?.[0] ?? "";
      assert.match(user, /^ocs(-agent)?$/);
      assert.ok(users.includes(`u ${user} `), `${user} is in the sysusers file`);
      for (const [key, value] of [
        ["NoNewPrivileges", "yes"],
        ["ProtectSystem", "strict"],
        ["ProtectHome", "yes"],
        ["PrivateTmp", "yes"],
        ["CapabilityBoundingSet", ""],
        ["KillSignal", "SIGTERM"],
        ["Restart", "on-failure"],
      ] as const) {
        assert.deepEqual(d.get(key), [value], `${unit}: ${key}=${value}`);
      }
      assert.ok(d.get("StateDirectory")?.[0], `${unit}: a StateDirectory`);
      assert.deepEqual(d.get("StateDirectoryMode"), ["0700"]);
    }
    const server = directives(readFileSync(join(DIR, "opencompshare.service"), "utf8"));
    assert.deepEqual(server.get("PrivateDevices"), ["yes"], "the server has no devices");
    const agent = directives(readFileSync(join(DIR, "opencompshare-agent.service"), "utf8"));
    assert.deepEqual(agent.get("KillMode"), ["process"], "stopping the agent leaves its guests running");
    assert.deepEqual(agent.get("DevicePolicy"), ["closed"]);
    assert.ok(agent.get("DeviceAllow")?.includes("/dev/kvm rw"));
  });

  it("docs/operating.md installs the binary at the path the units run", () => {
    const docs = readFileSync(fileURLToPath(new URL("../../docs/operating.md", import.meta.url)), "utf8");
    assert.ok(docs.includes(BIN), "docs/operating.md names the same binary");
    assert.ok(execFileSync("systemd-analyze", ["--version"], { encoding: "utf8" }).startsWith("systemd "));
  });
});
