/**
 * Python virtual environments for the official clients, installed from a pinned
 * requirements.txt and cached: `${OCS_COMPAT_CACHE:-~/.cache/opencompshare-compat}/<prefix>-venv-<key>`,
 * the key hashing the file and the Python version. Shared by `npm run test:compat` and the QEMU
 * end-to-end test (which drives real guests with the official Python SDK).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const PYTHON = process.env.OCS_COMPAT_PYTHON ?? "python3";
export const CACHE = process.env.OCS_COMPAT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "opencompshare-compat");

/** `python3 --version`, or undefined when there is no Python on PATH. */
export function pythonVersion(): string | undefined {
  const r = spawnSync(PYTHON, ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split("\n")[0];
}

export class VenvError extends Error {}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (output += b.toString("utf8")));
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const tail = (text: string, lines = 30): string => text.trimEnd().split("\n").slice(-lines).join("\n");

/**
 * The python of a venv with `requirements` installed, made when the cache has none. `log` gets
 * one line saying which. Throws VenvError, with pip's output, when it cannot be made.
 */
export async function pythonVenv(requirements: string, prefix: string, log: (line: string) => void = () => undefined, timeoutMs = 600_000): Promise<string> {
  const version = pythonVersion();
  if (!version) throw new VenvError(`'${PYTHON}' was not found on PATH: Python 3 with venv and pip is needed (OCS_COMPAT_PYTHON names another)`);
  const text = readFileSync(requirements, "utf8");
  const key = createHash("sha256").update(text).update(version).digest("hex").slice(0, 16);
  const venv = join(CACHE, `${prefix}-venv-${key}`);
  const python = join(venv, "bin", "python");
  const stamp = join(venv, ".installed");
  if (existsSync(stamp) && existsSync(python)) {
    log(`reusing ${venv}`);
    return python;
  }
  log(`creating ${venv} and installing ${requirements} from PyPI`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  const made = await run(PYTHON, ["-m", "venv", venv], timeoutMs);
  if (made.code !== 0) throw new VenvError(`'${PYTHON} -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)\n${tail(made.output)}`);
  const pip = await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r", requirements], timeoutMs);
  if (pip.code !== 0) throw new VenvError(`pip install -r ${requirements} failed\n${tail(pip.output)}`);
  writeFileSync(stamp, `${new Date().toISOString()}\n${text}`);
  return python;
}
