/**
 * The pytest plugin's own tests (python/pytest-opencompshare/tests), with the official Python SDK:
 * a cached virtual environment from the tests' pinned requirements.txt (test/compat/venv.ts), the
 * plugin installed into it from this checkout on every run, then pytest. The servers the tests
 * start run the TypeScript sources, as `npm test`'s do. Exits with pytest's code.
 *
 *   node --import tsx --conditions=source scripts/test-pytest-plugin.ts [pytest arguments…]
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonVenv, VenvError } from "../test/compat/venv.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const plugin = join(root, "python", "pytest-opencompshare");
const FROM_SOURCE = [process.env.NODE_OPTIONS ?? "", `--import=${import.meta.resolve("tsx")}`, "--conditions=source"].join(" ").trim();
const log = (line: string) => console.log(`# pytest-opencompshare: ${line}`);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Installs the plugin from a copy, so that no build/ or *.egg-info is left in the checkout. */
async function installPlugin(python: string): Promise<void> {
  const copy = mkdtempSync(join(tmpdir(), "ocs-pytest-plugin-"));
  try {
    const skip = new Set(["build", "tests", ".pytest_cache", "__pycache__"]);
    cpSync(plugin, copy, { recursive: true, filter: (src) => !skip.has(basename(src)) && !src.endsWith(".egg-info") });
    const args = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "--no-deps", "--no-build-isolation", "--force-reinstall", copy];
    if ((await run(python, args)) !== 0) throw new VenvError(`pip install ${plugin} failed`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let python: string;
  try {
    python = await pythonVenv(join(plugin, "tests", "requirements.txt"), "pytest-plugin", log);
    await installPlugin(python);
  } catch (error) {
    console.error(`not ok - pytest-opencompshare: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const started = Date.now();
  const args = ["-m", "pytest", join(plugin, "tests"), "-p", "no:cacheprovider", "-v", ...process.argv.slice(2)];
  const code = await run(python, args, { ...process.env, NODE_OPTIONS: FROM_SOURCE });
  log(`pytest exited with ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

process.exitCode = await main();
