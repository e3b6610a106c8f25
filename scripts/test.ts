/**
 * `npm test` after the type check and lint: every test file on SQLite, then the integration
 * suite again on PostgreSQL. PostgreSQL is OCS_DATABASE_URL when given (each test makes its own
 * database in it), else an embedded server started here for the run and stopped after.
 *
 *   node --import tsx --conditions=source scripts/test.ts [files…]    (default: every *.test.ts)
 *   OCS_TEST_CONCURRENCY=N runs N files at once (default: node's, one fewer than the CPUs)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmbeddedPostgres, type EmbeddedServer } from "./embedded-postgres.js";

const root = fileURLToPath(new URL("..", import.meta.url));
/**
 * One run is enough: pure code, and the CLI's client side (what it parses, sends and shows,
 * against handlers that the other suites run on both engines). The CLI suites that reach the
 * database themselves (admin and account commands, backup, migrate, serve and its shutdown) run
 * on both.
 */
const ENGINE_FREE = [
  "test/protocol/",
  "test/docs/",
  "test/security/file-modes",
  "test/sdk/unit",
  "test/agent/gpu/",
  "test/agent/guest-agent",
  "test/policies/timeline",
  "test/deploy/",
  ...["endpoint", "doctor", "usage-errors", "api", "bills", "configure", "events", "help", "output", "ssh", "testing", "webhook"].map((name) => `test/cli/${name}.test.ts`),
];
/**
 * The console in a real browser: what it checks is the page, so one engine is enough (the
 * console's server side runs on both in test/console/, and across replicas in test/replicas/).
 */
const BROWSER = ["test/browser/"];
/**
 * Real guests under QEMU and real containers under podman: their own suites (`npm run test:qemu`,
 * `npm run test:podman`, both run by CI), not part of `npm test`.
 */
const OWN_SUITES = ["test/qemu/", "test/podman/"];
/** Several replicas need a shared database: PostgreSQL only. */
const POSTGRES_ONLY = ["test/replicas/"];

/**
 * Every process of the run, the servers and `ocs` commands the tests start included, runs the
 * TypeScript sources: tsx (by its absolute location, whatever a child's folder) and the
 * packages' `source` export condition. A change is tested without a build.
 */
const FROM_SOURCE = [process.env.NODE_OPTIONS ?? "", `--import=${import.meta.resolve("tsx")}`, "--conditions=source"].join(" ").trim();

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === "node_modules" || OWN_SUITES.some((p) => relative(root, path).startsWith(p.slice(0, -1)))) continue;
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith(".test.ts")) out.push(relative(root, path));
  }
  return out.sort();
}

interface Counts {
  pass: number;
  fail: number;
}

function run(files: string[], env: Record<string, string>, label: string): Promise<Counts> {
  return new Promise((resolve) => {
    if (files.length === 0) return resolve({ pass: 0, fail: 0 });
    process.stdout.write(`\n=== ${label}: ${files.length} files ===\n`);
    // OCS_TEST_CONCURRENCY runs that many files at once (node's default: one fewer than the CPUs).
    const concurrency = process.env.OCS_TEST_CONCURRENCY ? [`--test-concurrency=${process.env.OCS_TEST_CONCURRENCY}`] : [];
    const child = spawn(process.execPath, ["--test", "--test-reporter=spec", ...concurrency, ...files], {
      cwd: root,
      env: { ...process.env, ...env, NODE_OPTIONS: FROM_SOURCE },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.on("exit", (code) => {
      const count = (word: string) => Number(new RegExp(`^ℹ ${word} (\\d+)$`, "m").exec(out)?.[1] ?? 0);
      const counts = { pass: count("pass"), fail: count("fail") };
      // A crash with no summary still counts as a failure.
      if (code !== 0 && counts.fail === 0) counts.fail = 1;
      resolve(counts);
    });
  });
}

const args = process.argv.slice(2);
const expand = (arg: string): string[] => (statSync(join(root, arg)).isDirectory() ? findTests(join(root, arg)) : [arg]);
const files = args.length > 0 ? args.flatMap(expand) : [...findTests(join(root, "packages")), ...findTests(join(root, "test"))];
const isIn = (prefixes: string[]) => (f: string) => prefixes.some((p) => f.startsWith(p));
const onSqlite = files.filter((f) => !isIn(POSTGRES_ONLY)(f));
const onPostgres = files.filter((f) => !isIn([...ENGINE_FREE, ...BROWSER])(f));

let pg: EmbeddedServer | undefined;
let pgDir: string | undefined;
const total: Counts = { pass: 0, fail: 0 };
try {
  const sqlite = await run(onSqlite, { OCS_TEST_DB: "sqlite" }, "SQLite");
  let url = process.env.OCS_DATABASE_URL;
  if (!url && onPostgres.length > 0) {
    pgDir = mkdtempSync(join(tmpdir(), "ocs-test-pg-"));
    pg = await startEmbeddedPostgres(pgDir);
    url = pg.url;
  }
  const postgres = await run(onPostgres, { OCS_TEST_DB: "postgres", OCS_TEST_PG_URL: url ?? "" }, "PostgreSQL");
  total.pass = sqlite.pass + postgres.pass;
  total.fail = sqlite.fail + postgres.fail;
} finally {
  await pg?.stop();
  if (pgDir) rmSync(pgDir, { recursive: true, force: true });
}
process.stdout.write(`\n${total.pass} passed, ${total.fail} failed\n`);
// Exit explicitly: embedded-postgres hooks process exit and would otherwise end with 0.
process.exit(total.fail > 0 ? 1 : 0);
