/**
 * The protocol loads in a browser: its `web` entry bundles for the browser platform with no Node
 * built-in, and the console takes its models, states, rule table and RetCodes from it rather than
 * keeping copies of its own.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe("the protocol in a browser", () => {
  it("@opencompshare/protocol/web bundles for the browser platform, with no Node built-in in it", async () => {
    const result = await build({
      entryPoints: [join(ROOT, "packages/protocol/src/web.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      conditions: ["source"],
      logLevel: "silent",
    });
    assert.deepEqual(result.errors, []);
    const code = result.outputFiles.map((f) => f.text).join("\n");
    assert.doesNotMatch(code, /\bfrom\s*["']node:|require\(["']node:/);
    assert.match(code, /signingString/);
  });

  it("the main entry does not: it hashes with node:crypto", async () => {
    const bundled = build({ entryPoints: [join(ROOT, "packages/protocol/src/index.ts")], bundle: true, platform: "browser", write: false, conditions: ["source"], logLevel: "silent" });
    await assert.rejects(bundled, /node:crypto/);
  });

  it("the console keeps no copy of the protocol: no RetCode, rule table or signature of its own", () => {
    for (const file of sources(join(ROOT, "packages/console/src"))) {
      const text = readFileSync(file, "utf8");
      const where = file.slice(ROOT.length);
      assert.ok(!/\b(2266\d\d|8905|8039|171|172)\b/.test(text), `${where} spells a RetCode`);
      assert.ok(!/from: \[|wrongState/.test(text), `${where} writes a rule table`);
      for (const [, entry] of text.matchAll(/from "@opencompshare\/protocol(\/[^"]*)?"/g)) assert.equal(entry, "/web", `${where} imports the protocol by its browser entry`);
    }
    const signing = readFileSync(join(ROOT, "packages/console/src/signing.ts"), "utf8");
    assert.ok(/import \{ signingString \} from "@opencompshare\/protocol\/web"/.test(signing), "the page hashes the protocol's signing string");
    assert.ok(!/\.sort\(/.test(signing), "and builds none of its own");
  });
});
