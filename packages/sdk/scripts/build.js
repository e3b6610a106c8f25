#!/usr/bin/env node
/**
 * Builds the publishable SDK into dist/ (or the directory given as the first argument):
 *
 *   dist/index.js, *.d.ts      the SDK, compiled by tsc
 *   dist/protocol/             @opencompshare/protocol, compiled alongside and imported relatively
 *   dist/package.json          the manifest to publish: no dependencies at all
 *
 * Publish with `npm run build -w @opencompshare/sdk && npm publish packages/sdk/dist`.
 * Why tsc and not a bundler: see README.md.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] ?? join(pkgDir, "dist"));
const staging = join(out, ".staging");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(pkgDir, "tsconfig.build.json"), "--outDir", staging], { stdio: "inherit" });

// staging/sdk/src/* → out/*, staging/protocol/src/* → out/protocol/*
const move = (from, to) => {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) renameSync(join(from, name), join(to, name));
};
move(join(staging, "sdk", "src"), out);
move(join(staging, "protocol", "src"), join(out, "protocol"));
rmSync(staging, { recursive: true, force: true });

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });

// The SDK imports the protocol by its package name; in dist it is a relative import.
const SPECIFIER = /((?:from|import)\s*\(?\s*)(["'])([^"']+)\2/g;
const protocolIndex = join(out, "protocol", "index.js");
for (const file of files(out).filter((f) => /\.(js|d\.ts)$/.test(f))) {
  const text = readFileSync(file, "utf8");
  const rewritten = text.replace(SPECIFIER, (all, head, quote, spec) => {
    if (spec !== "@opencompshare/protocol") return all;
    let rel = relative(dirname(file), protocolIndex).split(sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return `${head}${quote}${rel}${quote}`;
  });
  // Zero runtime dependencies: every import is relative or a Node built-in.
  for (const [, , , spec] of rewritten.matchAll(SPECIFIER)) {
    if (!spec.startsWith(".") && !spec.startsWith("node:")) throw new Error(`${relative(out, file)} imports ${spec}: not allowed in the published SDK`);
  }
  if (rewritten !== text) writeFileSync(file, rewritten);
}

const source = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const manifest = {
  name: source.name,
  version: source.version,
  description: source.description,
  license: source.license,
  keywords: source.keywords,
  type: "module",
  engines: source.engines,
  main: "./index.js",
  types: "./index.d.ts",
  exports: { ".": { types: "./index.d.ts", default: "./index.js" }, "./package.json": "./package.json" },
};
writeFileSync(join(out, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
if (existsSync(join(pkgDir, "README.md"))) cpSync(join(pkgDir, "README.md"), join(out, "README.md"));
process.stdout.write(`built ${relative(process.cwd(), out) || "."}: ${files(out).length} files, no dependencies\n`);
