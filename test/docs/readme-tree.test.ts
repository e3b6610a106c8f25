/**
 * What the README has a new user make inside the tree stays out of git and out of the lint
 * (a `.venv` from the compshare-cli section once broke `npm test`), and the README's sections
 * that a user follows alone say what they need: the QEMU section names the server before its
 * first call, SSH takes the decoded password, and fixed keys retire the generated pair.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const README = readFileSync(`${ROOT}README.md`, "utf8");

/** The text of the README's section under `heading`, to the next heading of its level or above. */
function section(heading: string): string {
  const start = README.indexOf(`${heading}\n`);
  assert.ok(start >= 0, `README has "${heading}"`);
  const level = /^#+/.exec(heading)![0].length;
  const rest = README.slice(start + heading.length);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

const gitIgnored = (path: string): boolean => {
  try {
    execFileSync("git", ["check-ignore", "-q", "--no-index", path], { cwd: ROOT });
    return true;
  } catch {
    return false;
  }
};

describe("the README, followed as a new user does", () => {
  it("everything it makes inside the tree is ignored by git and by the lint", async () => {
    const venvs = [...README.matchAll(/python3 -m venv (\S+)/g)].map((m) => m[1]!);
    assert.ok(venvs.length > 0, "the README makes a virtualenv");
    const made = [
      ...venvs.map((v) => `${v}/lib/python3.11/site-packages/urllib3/contrib/emscripten/emscripten_fetch_worker.js`),
      "data/ocs.db",
      "data/images/ocs-debian12/vmlinux",
      // `go build` in test/compat/go names its binary after the module.
      "test/compat/go/go",
      "test/compat/go/seed/seed",
      "test/compat/python/__pycache__/harness.cpython-311.pyc",
      "test/browser/output/console.png",
    ];
    const eslint = new ESLint({ cwd: ROOT });
    for (const path of made) {
      assert.ok(gitIgnored(path), `git ignores ${path}`);
      if (path.endsWith(".js")) assert.ok(await eslint.isPathIgnored(path), `eslint ignores ${path}`);
    }
    assert.ok(!gitIgnored("packages/server/src/app.ts"), "and not the sources");
    assert.ok(!(await eslint.isPathIgnored("packages/server/src/app.ts")), "the lint still reads the sources");
  });

  it("the real-machines section stands alone: the server's address and keys come before its first call", () => {
    const qemu = section("### Real machines on this machine (QEMU and podman)");
    const configure = qemu.search(/ocs configure [^\n]*(\\\n[^\n]*)*--base-url http:\/\/127\.0\.0\.1:8080/);
    const firstCall = qemu.search(/npx ocs instance /);
    assert.ok(configure >= 0, "it runs ocs configure with --base-url");
    assert.ok(firstCall > configure, "before the first ocs instance command");
    assert.match(qemu, /OCS_PROFILE=local/);
    // The command whose comment promises the SSH line is one whose output has it.
    const sshLine = qemu.split("\n").find((l) => /#.*SSH/.test(l) && l.includes("npx ocs"));
    assert.ok(sshLine?.includes("npx ocs instance get "), `the SSH line comes from ocs instance get: ${sshLine}`);
  });

  it("SSH takes the decoded password, and the README says which is which", () => {
    const qemu = section("### Real machines on this machine (QEMU and podman)");
    const [, clear, encoded] = /base64\.b64encode\(b"([^"]+)"\)\.decode\(\)` is `([^`]+)`/.exec(qemu) ?? [];
    assert.ok(clear && encoded, "an example of the encoding");
    assert.equal(Buffer.from(clear, "utf8").toString("base64"), encoded);
    assert.match(qemu, /SSH then takes the decoded\s+password/);
    assert.match(qemu, new RegExp(`ssh -p \\d+ root@127\\.0\\.0\\.1 [^\\n]*# password: ${clear}`));
  });

  it("where the two ways of choosing keys are, it says fixed keys retire the generated pair", () => {
    const quick = section("## Quick start");
    assert.match(quick, /OCS_PUBLIC_KEY=my_public_key OCS_PRIVATE_KEY=my_private_key npm start/);
    assert.match(quick, /Starting with fixed keys retires the\s+generated pair/);
    assert.match(quick, /console logins with them too/);
    assert.match(quick, /`data\/default-credentials\.json` is deleted/);
  });
});
