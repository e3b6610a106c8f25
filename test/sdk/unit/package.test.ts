/**
 * The publishable build: `npm run build -w @opencompshare/sdk` gives a directory with no
 * dependencies that works, and type-checks, outside this repository.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type * as Sdk from "@opencompshare/sdk";
import { ok, stubServer, type StubServer } from "./stub-server.js";

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL("../../../packages/sdk/scripts/build.js", import.meta.url));
const TYPES = fileURLToPath(new URL("../../../node_modules/@types", import.meta.url));

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));

describe("the built SDK (dist)", () => {
  const root = mkdtempSync(join(tmpdir(), "ocs-sdk-dist-"));
  const out = join(root, "node_modules", "@opencompshare", "sdk");
  let stub: StubServer;
  before(async () => {
    await run(process.execPath, [BUILD, out]);
    stub = await stubServer((req) => ok(req.params.Action ?? "", { UHostId: req.params.UHostId }));
  });
  after(async () => {
    await stub.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("has a manifest with no dependencies, ESM, types, and node ≥ 20", () => {
    const manifest = JSON.parse(readFileSync(join(out, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest.name, "@opencompshare/sdk");
    assert.equal(manifest.type, "module");
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.private, undefined);
    assert.deepEqual(manifest.engines, { node: ">=20" });
    assert.deepEqual(manifest.exports, { ".": { types: "./index.d.ts", default: "./index.js" }, "./package.json": "./package.json" });
    assert.ok(existsSync(join(out, "index.d.ts")));
    assert.ok(existsSync(join(out, "README.md")));
  });

  it("imports nothing but its own files and Node built-ins", () => {
    for (const file of files(out).filter((f) => /\.(js|d\.ts)$/.test(f))) {
      for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        assert.ok(spec!.startsWith(".") || spec!.startsWith("node:"), `${file} imports ${spec}`);
      }
    }
  });

  it("works from plain JavaScript outside the workspace: signs, sends, answers", async () => {
    const sdk = (await import(pathToFileURL(join(out, "index.js")).href)) as typeof Sdk;
    const client = new sdk.CompShareClient({ publicKey: "my_public_key", privateKey: "my_private_key", baseUrl: stub.url });
    const res = await client.rebootCompShareInstance({ UHostId: "uhost-xxxx" });
    assert.equal(res.UHostId, "uhost-xxxx");
    assert.equal(stub.requests.at(-1)?.params.Signature, "9b2267baf30d3919420ffcdcb5bdae717e5aa6fd");
  });

  it("type-checks a consumer against its declarations", async () => {
    const consumer = join(root, "consumer.ts");
    writeFileSync(
      consumer,
      [
        'import { CompShareClient, RetCodeError, waitUntilInstanceState } from "@opencompshare/sdk";',
        'const client = new CompShareClient({ publicKey: "p", privateKey: "k" });',
        "export async function f(): Promise<string> {",
        '  const { UHostIds } = await client.createCompShareInstance({ CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "i" });',
        '  const r = await waitUntilInstanceState(client, { UHostId: UHostIds[0] ?? "", State: "Running" });',
        "  // @ts-expect-error UHostId is required",
        "  await client.rebootCompShareInstance({});",
        "  try { await client.stopCompShareInstance({ UHostId: r.resource?.UHostId ?? \"\" }); } catch (e) { if (e instanceof RetCodeError) return e.symbol ?? \"\"; }",
        "  return r.outcome;",
        "}",
      ].join("\n"),
    );
    writeFileSync(join(root, "package.json"), '{"type":"module"}');
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--typeRoots", TYPES, "--types", "node", consumer];
    const result = await run(process.execPath, [tsc, ...args], { cwd: root }).catch((e: { stdout: string }) => e);
    assert.equal("stdout" in result ? result.stdout.trim() : "", "");
  });
});
