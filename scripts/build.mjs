/**
 * `npm run build` (and the root's `prepare`, so `npm ci` does it): every package compiled to
 * JavaScript with declarations in its dist/, in dependency order, then the `ocs` bundle, then
 * the web console. Nothing at runtime needs tsx. tsc builds incrementally: a second run with
 * nothing changed takes a moment.
 *
 * The bundle (packages/cli/dist/bundle/) is what the `ocs` binary runs: the CLI, the server, the
 * agent, the SDK and Kysely joined by esbuild into a few ES modules, split where the CLI loads a
 * command family lazily. Node resolves and links each module file it loads, and a server start
 * loaded about 500 of them (Kysely alone ships 280), which was most of its cold start. Packages
 * with native code or CommonJS (better-sqlite3, pg, pino, prom-client) stay external, loaded
 * from node_modules as before. The compiled packages stay the libraries others import.
 *
 * Tests and scripts run the TypeScript sources instead (node --import tsx --conditions=source):
 * each package's exports name its sources under the `source` condition.
 *
 * Plain JavaScript, so that it runs before anything is built.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const started = performance.now();

/** The packages the bundle leaves to node_modules: the CLI's own third-party dependencies (native or CommonJS). */
const cliPackage = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8"));
const EXTERNAL = Object.keys(cliPackage.dependencies).filter((name) => !name.startsWith("@opencompshare/"));

async function bundleOcs() {
  const esbuild = await import("esbuild");
  const outdir = join(root, "packages/cli/dist/bundle");
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { ocs: "packages/cli/dist/main.js" },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    chunkNames: "chunk-[hash]",
    legalComments: "none",
    logLevel: "warning",
  });
}

function bundle() {
  const t = performance.now();
  return bundleOcs().then(() => console.log(`build: ocs bundle in ${Math.round(performance.now() - t)} ms`));
}

function step(what, args, cwd = root) {
  const t = performance.now();
  execFileSync(process.execPath, args, { cwd, stdio: "inherit" });
  console.log(`build: ${what} in ${Math.round(performance.now() - t)} ms`);
}

const compile = (pkg) => step(pkg, [tsc, "-p", join(root, "packages", pkg, "tsconfig.build.json")]);

// protocol first: the others read its declarations; the server runs an in-process agent.
compile("protocol");
compile("agent");
compile("server");
step("sdk", [join(root, "packages/sdk/scripts/build.js")]);
compile("cli");
await bundle();
step("console", [join(root, "packages/console/scripts/build.mjs")]);
console.log(`build: done in ${Math.round(performance.now() - started)} ms`);
