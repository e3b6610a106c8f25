/**
 * Builds the console into dist/: the bundle and its stylesheet under content-hashed names in
 * dist/assets/, an index.html that names them, and manifest.json listing every file the server
 * serves, each with its brotli (X.br) and gzip (X.gz) encodings beside it, so that the server
 * does not compress at start. Runs in the root's `prepare`, so `npm ci` builds it; nothing built is committed.
 * Without esbuild (a production install that omitted dev dependencies) it says so and stops:
 * the server then answers /console with 503 and the API goes on.
 */
import { mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const started = performance.now();

// esbuild may be present without the console's own dev dependencies (tsx brings it along), so
// both are looked for: without either, this is a production install, and there is nothing to build.
let esbuild;
try {
  esbuild = await import("esbuild");
  await import("preact");
} catch {
  console.log("console: esbuild or preact is not installed (a production install?); /console will answer 503 until it is built");
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ["src/main.tsx"],
  outdir: "dist/assets",
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  bundle: true,
  // The charts' library (uPlot) is a chunk of its own, loaded by an instance's page only.
  splitting: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  // The protocol's TypeScript sources (its `source` export), so that the console builds without the other packages built first.
  conditions: ["source"],
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
const outputs = Object.keys(result.metafile.outputs).map((p) => relative("dist", p));
const [entry, meta] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === "src/main.tsx") ?? [];
if (!entry || !meta) throw new Error("console: the build produced no script");
const script = relative("dist", entry);
const style = meta.cssBundle ? relative("dist", meta.cssBundle) : undefined;
const template = readFileSync(join(root, "src", "index.html"), "utf8");
const html = template
  .replace("%SCRIPT%", `/console/${script}`)
  .replace("%STYLE%", style ? `<link rel="stylesheet" href="/console/${style}">` : "");
writeFileSync(join(dist, "index.html"), html);
const files = ["index.html", ...outputs];
writeFileSync(join(dist, "manifest.json"), JSON.stringify({ files, builtAt: new Date().toISOString() }, null, 2) + "\n");
// The encodings the server sends; it would make them itself on first use, but a start should not.
for (const f of files) {
  const body = readFileSync(join(dist, f));
  writeFileSync(join(dist, `${f}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(join(dist, `${f}.gz`), gzipSync(body, { level: 9 }));
}
const bytes = files.reduce((n, f) => n + readFileSync(join(dist, f)).length, 0);
const gzipped = (f) => `${f.replace(/-[A-Z0-9]+\./, ".")} ${(readFileSync(join(dist, `${f}.gz`)).length / 1024).toFixed(1)}`;
console.log(`console: built ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB, in ${Math.round(performance.now() - started)} ms; gzipped KiB: ${outputs.map(gzipped).join(", ")}`);
