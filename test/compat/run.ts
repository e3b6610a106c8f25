/**
 * `npm run test:compat`: the official clients, unchanged and pinned, as the acceptance suite.
 *
 * Three suites:
 * - python: the UCloud Python SDK (test/compat/python);
 * - go: the UCloud Go SDK (test/compat/go);
 * - compshare-cli: CompShare's own CLI, `compshare` (PyPI compshare-cli), run as a subprocess
 *   with `--json` for every command that needs no SSH (test/compat/compshare-cli). Its only
 *   adaptation is compshare_local.py, which points the CLI at our server and turns its
 *   telemetry off.
 *
 * 1. Prepares the clients: two Python virtual environments, one installed from
 *    test/compat/python/requirements.txt and one from test/compat/compshare-cli/requirements.txt
 *    (each cached, keyed by its file), and the Go module in test/compat/go built against its
 *    go.mod/go.sum.
 * 2. Starts our server on a free port with a temporary data directory and small simulated
 *    durations, and makes the accounts the suites need with `ocs account create`.
 * 3. Runs the three suites at once, each as its own account (the CLI suite shares an image with
 *    a fourth account, its peer), then stops the server with SIGTERM.
 *
 * Every suite prints `ok - …` / `not ok - …` lines; the last line printed here is
 * `N passed, M failed`. A missing python3 or go is a failure, never a skip.
 * See docs/compatibility.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { actions } from "@opencompshare/protocol";
import { PYTHON, pythonVenv, VenvError } from "./venv.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const COMPAT = join(ROOT, "test/compat");
const PY_DIR = join(COMPAT, "python");
const GO_DIR = join(COMPAT, "go");
const CLI_DIR = join(COMPAT, "compshare-cli");
const OCS_BIN = join(ROOT, "packages/cli/bin/ocs.js");

/**
 * Simulated durations: small, so the suite is fast, yet wide enough for the error windows. An
 * image takes long enough for a second CLI process to start and see it in progress on a loaded
 * machine (at 2 s, compshare-cli's Python start-up once came too late).
 */
const BOOT_MS = 300;
const IMAGE_MS = 6000;
const KEYS = { PublicKey: "my_public_key", PrivateKey: "my_private_key" };
const SUITE_TIMEOUT_MS = 240_000;
const SETUP_TIMEOUT_MS = 600_000;

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
  const cli = /^compshare-cli==(\S+)/m.exec(readFileSync(join(CLI_DIR, "requirements.txt"), "utf8"))?.[1] ?? "?";
  return `ucloud-sdk-python3 ${py}, ucloud-sdk-go ${go}, compshare-cli ${cli}`;
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

const GO = process.env.OCS_COMPAT_GO ?? "go";

/** A venv with `dir`/requirements.txt installed (cached, see venv.ts); undefined after reporting a failure. */
async function prepareVenv(label: string, prefix: string, dir: string): Promise<string | undefined> {
  try {
    return await pythonVenv(join(dir, "requirements.txt"), prefix, (line) => console.log(`# ${label}: ${line}`), SETUP_TIMEOUT_MS);
  } catch (error) {
    if (!(error instanceof VenvError)) throw error;
    fail(`${label}: ${error.message}`);
    return undefined;
  }
}

const preparePython = () => prepareVenv("python", "python", PY_DIR);
const prepareCli = () => prepareVenv("compshare-cli", "compshare-cli", CLI_DIR);

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

async function startServer(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<Server | undefined> {
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
    // Prepaid creates (the default Month) pay their first period at once: every suite's account
    // starts with enough for all of its creates.
    OCS_INITIAL_BALANCE: "1000000",
    // Request lines (info) say which actions each suite reached: see reachedActions.
    OCS_LOG_LEVEL: "info",
    ...extra,
  };
  const log = join(dataDir, "..", `${basename(dataDir)}-server.log`);
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
  AccountId: string;
  /** The account's number (the CompShare organization id): what image sharing names. */
  AccountNumber: number;
  ProjectId: string;
  PublicKey: string;
  PrivateKey: string;
}

/** `ocs account create NAME …`: the suites' accounts are at Level 4 (100 instances), as the default account is; levels.py's are what it names. */
async function createAccount(server: Server, name: string, options: string[] = ["--level", "4"]): Promise<Account | undefined> {
  const r = await run(process.execPath, [OCS_BIN, "account", "create", name, ...options], { env: server.env });
  try {
    const account = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Account;
    if (r.code === 0 && account.PublicKey && account.PrivateKey && account.ProjectId) return account;
  } catch {
    // reported below
  }
  fail(`server: 'ocs account create ${[name, ...options].join(" ")}' failed\n${tail(r.output)}`);
  return undefined;
}

/**
 * The distinct actions each suite's account called, from the server's request log (one JSON line
 * per request, with `account` and `action`). The default account is the Python suite's.
 */
function reachedActions(log: string, suites: Record<string, string>): Record<string, Set<string>> {
  const byAccount = new Map<string, Set<string>>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; account?: string; action?: string };
      if (entry.msg !== "request" || !entry.account || !entry.action) continue;
      if (!byAccount.has(entry.account)) byAccount.set(entry.account, new Set());
      byAccount.get(entry.account)?.add(entry.action);
    } catch {
      // not a log line
    }
  }
  const out: Record<string, Set<string>> = {};
  const known = new Set(Object.values(suites));
  for (const [name, account] of Object.entries(suites)) out[name] = byAccount.get(account) ?? new Set();
  const rest = [...byAccount.keys()].filter((a) => !known.has(a));
  out.python = rest.map((a) => byAccount.get(a) ?? new Set<string>()).sort((x, y) => y.size - x.size)[0] ?? new Set();
  return out;
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
async function runAll(work: string): Promise<void> {
  const dataDir = join(work, "data");
  mkdirSync(dataDir);
  const prepStarted = Date.now();
  const [python, go, cliPython] = await Promise.all([preparePython(), prepareGo(work), prepareCli()]);
  console.log(`# clients ready in ${((Date.now() - prepStarted) / 1000).toFixed(1)}s`);
  if (!python || !go || !cliPython) return;

  const server = await startServer(dataDir);
  if (!server) return;
  current = server;
  let suiteAccounts: Record<string, string> | undefined;
  try {
    const goAccount = await createAccount(server, "compat-go");
    const otherAccount = await createAccount(server, "compat-other");
    const cliAccount = await createAccount(server, "compat-cli");
    const cliPeer = await createAccount(server, "compat-cli-peer");
    // The Python suite's account levels (families/levels.py): Level 0, Level 1 (what `ocs account create` gives), unverified.
    const level0 = await createAccount(server, "compat-level0", ["--level", "0"]);
    const level1 = await createAccount(server, "compat-level1", []);
    const unverified = await createAccount(server, "compat-unverified", ["--unverified"]);
    if (!goAccount || !otherAccount || !cliAccount || !cliPeer || !level0 || !level1 || !unverified) return;
    for (const [name, account] of [["compat-cli", cliAccount], ["compat-cli-peer", cliPeer]] as const) {
      if (!Number.isInteger(account.AccountNumber)) {
        fail(`server: 'ocs account create ${name}' printed no integer AccountNumber (the CLI suite shares images by it)`);
        return;
      }
    }
    console.log(`# server ${server.url}, data in ${dataDir}`);
    suiteAccounts = { go: goAccount.AccountId, "compshare-cli": cliAccount.AccountId, other: otherAccount.AccountId, "cli-peer": cliPeer.AccountId };

    const common: NodeJS.ProcessEnv = {
      ...process.env,
      OCS_COMPAT_BASE_URL: server.url,
      OCS_COMPAT_OTHER_PUBLIC_KEY: otherAccount.PublicKey,
      OCS_COMPAT_OTHER_PRIVATE_KEY: otherAccount.PrivateKey,
      OCS_COMPAT_OTHER_PROJECT_ID: otherAccount.ProjectId,
      OCS_COMPAT_BOOT_MS: String(BOOT_MS),
      OCS_COMPAT_IMAGE_MS: String(IMAGE_MS),
      // The operator's review of community versions, on the server's own data, none of the caller's OCS_* (checks.py, the Go harness).
      OCS_COMPAT_REVIEW_COMMAND: JSON.stringify([process.execPath, OCS_BIN, "image", "review", "--data-dir", dataDir, "--database-url", "", "--master-key", ""]),
      // The operator's `ocs balance …` on the same data (checks.py operator_balance).
      OCS_COMPAT_BALANCE_COMMAND: JSON.stringify([process.execPath, OCS_BIN, "balance", "--data-dir", dataDir, "--database-url", "", "--master-key", ""]),
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
    };
    await Promise.all([
      // Python: the default account, with the seed's key pair.
      runSuite("python", python, ["main.py"], PY_DIR, {
        ...common,
        OCS_COMPAT_PUBLIC_KEY: KEYS.PublicKey,
        OCS_COMPAT_PRIVATE_KEY: KEYS.PrivateKey,
        OCS_COMPAT_LEVEL0_KEYS: `${level0.PublicKey}:${level0.PrivateKey}`,
        OCS_COMPAT_LEVEL1_KEYS: `${level1.PublicKey}:${level1.PrivateKey}`,
        OCS_COMPAT_UNVERIFIED_KEYS: `${unverified.PublicKey}:${unverified.PrivateKey}`,
      }),
      // Go: an account of its own, so that neither suite sees the other's instances.
      runSuite("go", go.suite, [], GO_DIR, {
        ...common,
        OCS_COMPAT_PUBLIC_KEY: goAccount.PublicKey,
        OCS_COMPAT_PRIVATE_KEY: goAccount.PrivateKey,
        OCS_COMPAT_GO_SEED_BIN: go.seed,
      }),
      // The CompShare CLI: an account of its own, and a peer to share an image with.
      runSuite("compshare-cli", cliPython, ["main.py"], CLI_DIR, {
        ...common,
        OCS_COMPAT_PUBLIC_KEY: cliAccount.PublicKey,
        OCS_COMPAT_PRIVATE_KEY: cliAccount.PrivateKey,
        OCS_COMPAT_ACCOUNT_NUMBER: String(cliAccount.AccountNumber),
        OCS_COMPAT_PEER_PUBLIC_KEY: cliPeer.PublicKey,
        OCS_COMPAT_PEER_PRIVATE_KEY: cliPeer.PrivateKey,
        OCS_COMPAT_PEER_ACCOUNT_NUMBER: String(cliPeer.AccountNumber),
      }),
    ]);
  } finally {
    await stopServer(server);
    current = undefined;
  }
  if (!suiteAccounts) return;
  await runTimeSuite(work, python);
  const reached = reachedActions(server.log, suiteAccounts);
  const all = Object.keys(actions);
  for (const suite of ["python", "go", "compshare-cli"]) {
    const got = reached[suite] ?? new Set<string>();
    const missing = all.filter((a) => !got.has(a));
    console.log(`# ${suite} called ${all.length - missing.length} of the server's ${all.length} actions${missing.length ? `; not: ${missing.join(", ")}` : ""}`);
  }
  console.log(`# the second account, shared by python and go, called: ${[...(reached.other ?? [])].sort().join(", ")}`);
}

/**
 * Money that moves with time (python/time_money.py), through the official Python SDK, against a
 * server of its own in testing mode: its AdvanceCompShareClock would move the other suites' time.
 */
async function runTimeSuite(work: string, python: string): Promise<void> {
  const dataDir = join(work, "time-data");
  mkdirSync(dataDir);
  const server = await startServer(dataDir, { OCS_TESTING: "1" });
  if (!server) return;
  current = server;
  try {
    await runSuite("python-time", python, ["time_money.py"], PY_DIR, {
      ...process.env,
      OCS_COMPAT_BASE_URL: server.url,
      OCS_COMPAT_PUBLIC_KEY: KEYS.PublicKey,
      OCS_COMPAT_PRIVATE_KEY: KEYS.PrivateKey,
      // The harness names a second account; this suite uses none.
      OCS_COMPAT_OTHER_PUBLIC_KEY: KEYS.PublicKey,
      OCS_COMPAT_OTHER_PRIVATE_KEY: KEYS.PrivateKey,
      OCS_COMPAT_OTHER_PROJECT_ID: "",
      OCS_COMPAT_BOOT_MS: String(BOOT_MS),
      OCS_COMPAT_IMAGE_MS: String(IMAGE_MS),
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
    });
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
  console.log(`== compatibility suite: the official SDKs and CLI against opencompshare (${pinned()})`);
  const pyVersion = version(PYTHON, ["--version"]);
  const goVersion = version(GO, ["version"]);
  if (!pyVersion) fail(`python: '${PYTHON}' was not found on PATH; the compatibility suite needs Python 3 with venv and pip (OCS_COMPAT_PYTHON names another)`);
  if (!goVersion) fail(`go: '${GO}' was not found on PATH; the compatibility suite needs the Go toolchain (OCS_COMPAT_GO names another)`);
  if (!pyVersion || !goVersion) return;
  console.log(`# ${pyVersion}; ${goVersion}`);
  const work = mkdtempSync(join(tmpdir(), "ocs-compat-"));
  try {
    await runAll(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main()
  .catch((e: unknown) => fail(`runner: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
  .finally(finish);
