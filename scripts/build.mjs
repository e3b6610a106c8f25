/**
 * `npm run build` (and the root's `prepare`, so `npm ci` does it): every package compiled to
 * JavaScript with declarations in its dist/, in dependency order, then the web console. The
 * `ocs` binary and the server run these; nothing at runtime needs tsx. tsc builds incrementally:
 * a second run with nothing changed takes a moment.
 *
 * Tests and scripts run the TypeScript sources instead (node --import tsx --conditions=source):
 * each package's exports name its sources under the `source` condition.
 *
 * Plain JavaScript, so that it runs before anything is built.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const started = performance.now();

function step(what, args, cwd = root) {
  const t = performance.now();
  execFileSync(process.execPath, args, { cwd, stdio: "inherit" });
  console.log(`build: ${what} in ${Math.round(performance.now() - t)} ms`);
}

const compile = (pkg) => step(pkg, [tsc, "-p", join(root, "packages", pkg, "tsconfig.build.json")]);

// protocol first: the others read its declarations.
compile("protocol");
compile("server");
compile("agent");
step("sdk", [join(root, "packages/sdk/scripts/build.js")]);
compile("cli");
step("console", [join(root, "packages/console/scripts/build.mjs")]);
console.log(`build: done in ${Math.round(performance.now() - started)} ms`);
