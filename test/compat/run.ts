/**
 * `npm run test:compat`: the official UCloud SDKs, unchanged and pinned, as the acceptance suite.
 *
 * 1. Prepares the clients: a Python virtual environment installed from
 *    test/compat/python/requirements.txt (cached, keyed by that file), and the Go module in
 *    test/compat/go built against its go.mod/go.sum.
 * 2. Starts our server on a free port with a temporary data directory and small simulated
 *    durations, and makes the accounts the suites need with `ocs account create`.
 * 3. Runs both suites at once, each as its own account, then stops the server with SIGTERM.
 *
 * Every suite prints `ok - …` / `not ok - …` lines; the last line printed here is
 * `N passed, M failed`. A missing python3 or go is a failure, never a skip.
 * See docs/compatibility.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const COMPAT = join(ROOT, "test/compat");
const PY_DIR = join(COMPAT, "python");
const GO_DIR = join(COMPAT, "go");
const OCS_BIN = join(ROOT, "packages/cli/bin/ocs.js");

/** Simulated durations: small, so the suite is fast, yet wide enough for the error windows. */
const BOOT_MS = 300;
const IMAGE_MS = 2000;
const KEYS = { PublicKey: "my_public_key", PrivateKey: "my_private_key" };
const SUITE_TIMEOUT_MS = 240_000;
const SETUP_TIMEOUT_MS = 600_000;
const CACHE = process.env.OCS_COMPAT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "opencompshare-compat");

const started = Date.now();
let passed = 0;
const failures: string[] = [];

function fail(what: string): void {
  failures.push(what);
  console.log(`not ok - ${what}`);
}

function finish(): never {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log("");
  console.log(`== compatibility suite: ${pinned()} — ${seconds}s`);
  if (failures.length > 0) {
    console.log("failed:");
    for (const f of failures) console.log(`  - ${f}`);
  }
  console.log(`${passed} passed, ${failures.length} failed`);
  process.exit(failures.length === 0 ? 0 : 1);
}

function pinned(): string {
  const py = /^ucloud-sdk-python3==(\S+)/m.exec(readFileSync(join(PY_DIR, "requirements.txt"), "utf8"))?.[1] ?? "?";
  const go = /github\.com\/ucloud\/ucloud-sdk-go (v\S+)/.exec(readFileSync(join(GO_DIR, "go.mod"), "utf8"))?.[1] ?? "?";
  return `ucloud-sdk-python3 ${py}, ucloud-sdk-go ${go}`;
}

// ---------------------------------------------------------------------------------------------
// Processes.

interface Ran {
  code: number | null;
  /** stdout and stderr, interleaved. */
  output: string;
  stdout: string;
}

/** Runs a command to its end, its output collected; rejects only when it cannot start. */
function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let stdout = "";
    child.stdout.on("data", (b: Buffer) => {
      output += b.toString("utf8");
      stdout += b.toString("utf8");
    });
    child.stderr.on("data", (b: Buffer) => (output += b.toString("utf8")));
    const timer = setTimeout(() => {
      output += `\n(killed after ${opts.timeoutMs} ms)`;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? SETUP_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output, stdout });
    });
  });
}

const tail = (text: string, lines = 30): string =>
  text
    .trimEnd()
    .split("\n")
    .slice(-lines)
    .map((l) => `#   ${l}`)
    .join("\n");

/** The tool's version line, or undefined when it is not on PATH. */
function version(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split("\n")[0];
}

// ---------------------------------------------------------------------------------------------
// Preparing the clients.

const PYTHON = process.env.OCS_COMPAT_PYTHON ?? "python3";
const GO = process.env.OCS_COMPAT_GO ?? "go";

async function preparePython(pyVersion: string): Promise<string | undefined> {
  const requirements = readFileSync(join(PY_DIR, "requirements.txt"), "utf8");
  const key = createHash("sha256").update(requirements).update(pyVersion).digest("hex").slice(0, 16);
  const venv = join(CACHE, `python-venv-${key}`);
  const python = join(venv, "bin", "python");
  const stamp = join(venv, ".installed");
  if (existsSync(stamp) && existsSync(python)) {
    console.log(`# python: reusing ${venv}`);
    return python;
  }
  console.log(`# python: creating ${venv} and installing requirements.txt from PyPI`);
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  const made = await run(PYTHON, ["-m", "venv", venv]);
  if (made.code !== 0) {
    fail(`python: '${PYTHON} -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)\n${tail(made.output)}`);
    return undefined;
  }
  const pip = await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r", join(PY_DIR, "requirements.txt")]);
  if (pip.code !== 0) {
    fail(`python: pip install -r test/compat/python/requirements.txt failed\n${tail(pip.output)}`);
    return undefined;
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n${requirements}`);
  return python;
}

async function prepareGo(binDir: string): Promise<{ suite: string; seed: string } | undefined> {
  const suite = join(binDir, "compat-go");
  const seed = join(binDir, "compat-go-seed");
  // go.mod and go.sum are authoritative: -mod=readonly fails instead of changing them.
  const env = { ...process.env, GOFLAGS: "-mod=readonly -buildvcs=false" };
  for (const [out, pkg] of [
    [suite, "."],
    [seed, "./seed"],
  ] as const) {
    const built = await run(GO, ["build", "-o", out, pkg], { cwd: GO_DIR, env });
    if (built.code !== 0) {
      fail(`go: 'go build ${pkg}' in test/compat/go failed\n${tail(built.output)}`);
      return undefined;
    }
  }
  return { suite, seed };
}

// ---------------------------------------------------------------------------------------------
// The server.

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

interface Server {
  url: string;
  child: ChildProcess;
  env: NodeJS.ProcessEnv;
  log: string;
  exited: Promise<number | null>;
}

async function startServer(dataDir: string): Promise<Server | undefined> {
  const port = await freePort();
  // None of the caller's OCS_* settings (a database URL, a catalog…): this server is the suite's own.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OCS_")));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    OCS_DATA_DIR: dataDir,
    OCS_HOST: "127.0.0.1",
    OCS_PORT: String(port),
    OCS_PUBLIC_KEY: KEYS.PublicKey,
    OCS_PRIVATE_KEY: KEYS.PrivateKey,
    OCS_SIM_BOOT_MS: String(BOOT_MS),
    OCS_SIM_IMAGE_MS: String(IMAGE_MS),
    OCS_LOG_LEVEL: "warn",
  };
  const log = join(dataDir, "..", "server.log");
  const out = createWriteStream(log);
  const child = spawn(process.execPath, [OCS_BIN, "serve"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !gone) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return { url, child, env, log, exited };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  await exited;
  fail(`server: not up on ${url}/healthz within 30 s\n${tail(readFileSync(log, "utf8"))}`);
  return undefined;
}

async function stopServer(server: Server): Promise<void> {
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
  const code = await server.exited;
  clearTimeout(timer);
  if (code === 0) {
    passed++;
    console.log("ok - server: exits 0 on SIGTERM");
  } else {
    fail(`server: exited with ${code} on SIGTERM\n${tail(readFileSync(server.log, "utf8"))}`);
  }
}

interface Account {
  ProjectId: string;
  PublicKey: string;
  PrivateKey: string;
}

async function createAccount(server: Server, name: string): Promise<Account | undefined> {
  const r = await run(process.execPath, [OCS_BIN, "account", "create", name], { env: server.env });
  try {
    const account = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Account;
    if (r.code === 0 && account.PublicKey && account.PrivateKey && account.ProjectId) return account;
  } catch {
    // reported below
  }
  fail(`server: 'ocs account create ${name}' failed\n${tail(r.output)}`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The suites.

/** Runs one suite, echoing its lines as they come, and counts its results. */
async function runSuite(name: string, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let ok = 0;
  let notOk = 0;
  let trailer = false;
  const errors: string[] = [];
  const onLine = (line: string) => {
    console.log(line);
    if (line.startsWith("ok - ")) ok++;
    else if (line.startsWith("not ok - ")) {
      notOk++;
      failures.push(line.slice("not ok - ".length));
    } else if (line.startsWith(`# ${name}: `)) trailer = true;
  };
  const lines = createInterface({ input: child.stdout });
  lines.on("line", onLine);
  createInterface({ input: child.stderr }).on("line", (l) => errors.push(l));
  const timer = setTimeout(() => {
    errors.push(`(killed after ${SUITE_TIMEOUT_MS / 1000} s)`);
    child.kill("SIGKILL");
  }, SUITE_TIMEOUT_MS);
  const code = await new Promise<number | null>((r) => {
    child.on("error", (e) => {
      errors.push(String(e));
      r(-1);
    });
    child.on("close", (c) => r(c));
  });
  clearTimeout(timer);
  passed += ok;
  if (!trailer || (code !== 0 && notOk === 0) || (code === 0 && notOk > 0)) {
    fail(`${name}: the suite did not finish cleanly (exit code ${code}, ${ok} ok, ${notOk} not ok)\n${tail(errors.join("\n"))}`);
  } else if (errors.length > 0 && notOk > 0) {
    console.log(`# ${name} stderr:\n${tail(errors.join("\n"), 20)}`);
  }
}

/** Everything between the tool check and the summary; returns early on a failed step. */
async function runAll(work: string, pyVersion: string): Promise<void> {
  const dataDir = join(work, "data");
  mkdirSync(dataDir);
  const prepStarted = Date.now();
  const [python, go] = await Promise.all([preparePython(pyVersion), prepareGo(work)]);
  console.log(`# clients ready in ${((Date.now() - prepStarted) / 1000).toFixed(1)}s`);
  if (!python || !go) return;

  const server = await startServer(dataDir);
  if (!server) return;
  current = server;
  try {
    const goAccount = await createAccount(server, "compat-go");
    const otherAccount = await createAccount(server, "compat-other");
    if (!goAccount || !otherAccount) return;
    console.log(`# server ${server.url}, data in ${dataDir}`);

    const common: NodeJS.ProcessEnv = {
      ...process.env,
      OCS_COMPAT_BASE_URL: server.url,
      OCS_COMPAT_OTHER_PUBLIC_KEY: otherAccount.PublicKey,
      OCS_COMPAT_OTHER_PRIVATE_KEY: otherAccount.PrivateKey,
      OCS_COMPAT_OTHER_PROJECT_ID: otherAccount.ProjectId,
      OCS_COMPAT_BOOT_MS: String(BOOT_MS),
      OCS_COMPAT_IMAGE_MS: String(IMAGE_MS),
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
    };
    await Promise.all([
      // Python: the default account, with the seed's key pair.
      runSuite("python", python, ["main.py"], PY_DIR, {
        ...common,
        OCS_COMPAT_PUBLIC_KEY: KEYS.PublicKey,
        OCS_COMPAT_PRIVATE_KEY: KEYS.PrivateKey,
      }),
      // Go: an account of its own, so that neither suite sees the other's instances.
      runSuite("go", go.suite, [], GO_DIR, {
        ...common,
        OCS_COMPAT_PUBLIC_KEY: goAccount.PublicKey,
        OCS_COMPAT_PRIVATE_KEY: goAccount.PrivateKey,
        OCS_COMPAT_GO_SEED_BIN: go.seed,
      }),
    ]);
  } finally {
    await stopServer(server);
    current = undefined;
  }
}

/** The server while it runs, killed if the runner is interrupted. */
let current: Server | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    current?.child.kill("SIGKILL");
    process.exit(130);
  });
}

async function main(): Promise<void> {
  console.log(`== compatibility suite: the official SDKs against opencompshare (${pinned()})`);
  const pyVersion = version(PYTHON, ["--version"]);
  const goVersion = version(GO, ["version"]);
  if (!pyVersion) fail(`python: '${PYTHON}' was not found on PATH; the compatibility suite needs Python 3 with venv and pip (OCS_COMPAT_PYTHON names another)`);
  if (!goVersion) fail(`go: '${GO}' was not found on PATH; the compatibility suite needs the Go toolchain (OCS_COMPAT_GO names another)`);
  if (!pyVersion || !goVersion) return;
  console.log(`# ${pyVersion}; ${goVersion}`);
  const work = mkdtempSync(join(tmpdir(), "ocs-compat-"));
  try {
    await runAll(work, pyVersion);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main()
  .catch((e: unknown) => fail(`runner: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
  .finally(finish);
