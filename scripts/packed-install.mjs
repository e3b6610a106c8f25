/**
 * The packages as a user installs them: `npm pack` of the protocol, the server, the agent, the
 * CLI and the SDK (its publishable dist/), installed from the tarballs into an empty folder with
 * --omit=dev. Then, from there: `ocs --version`, `ocs serve`, one signed call with the SDK
 * imported from plain Node, and SIGTERM. Nothing of the repository, tsx or TypeScript is used.
 *
 *   node scripts/packed-install.mjs        (CI runs it after npm ci, which builds the packages)
 *
 * Plain JavaScript, so that it needs nothing built to run.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "ocs-packed-"));
const tarballs = join(work, "tarballs");
const app = join(work, "app");
mkdirSync(tarballs);
mkdirSync(app);
const started = performance.now();
const say = (line) => console.log(`packed-install: ${line} (${Math.round((performance.now() - started) / 1000)} s)`);
const fail = (why) => {
  console.error(`packed-install: FAILED: ${why}`);
  process.exit(1);
};
const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

for (const dir of ["packages/protocol", "packages/server", "packages/agent", "packages/cli", "packages/sdk/dist"]) {
  if (!existsSync(join(root, dir, "package.json"))) fail(`${dir} has no package.json: run npm ci (it builds the packages) first`);
  npm(["pack", join(root, dir), "--pack-destination", tarballs, "--silent"], root);
}
const packed = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
say(`packed ${packed.join(", ")}`);

writeFileSync(join(app, "package.json"), JSON.stringify({ name: "ocs-packed-install", private: true, type: "module" }, null, 2));
npm(["install", "--omit=dev", "--no-audit", "--no-fund", ...packed.map((f) => join(tarballs, f))], app);
for (const devOnly of ["tsx", "typescript", "esbuild"]) {
  if (existsSync(join(app, "node_modules", devOnly))) fail(`${devOnly} was installed: a runtime dependency needs it`);
}
say("installed with --omit=dev; no tsx, TypeScript or esbuild");

const ocs = join(app, "node_modules", ".bin", "ocs");
const version = execFileSync(ocs, ["--version"], { cwd: app, encoding: "utf8" }).trim();
if (!/^ocs \d+\.\d+\.\d+ \(sdk \d+\.\d+\.\d+, node v\d+/.test(version)) fail(`ocs --version said ${JSON.stringify(version)}`);
say(version);

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const p = probe.address().port;
    probe.close(() => resolve(p));
  });
});
const keys = { PublicKey: "packed_public_key", PrivateKey: "packed_private_key" };
const { NODE_OPTIONS: _unused, ...cleanEnv } = process.env;
const server = spawn(ocs, ["serve"], {
  cwd: app,
  env: { ...cleanEnv, OCS_HOST: "127.0.0.1", OCS_PORT: String(port), OCS_DATA_DIR: join(work, "data"), OCS_PUBLIC_KEY: keys.PublicKey, OCS_PRIVATE_KEY: keys.PrivateKey, OCS_LOG_LEVEL: "warn" },
  stdio: ["ignore", "pipe", "pipe"],
});
let output = "";
server.stdout.on("data", (d) => (output += d));
server.stderr.on("data", (d) => (output += d));
const exited = new Promise((resolve) => server.on("exit", (code, signal) => resolve(code ?? signal)));
const url = `http://127.0.0.1:${port}`;
const serveStarted = performance.now();
for (let i = 0; ; i++) {
  const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
  if (ok) break;
  if (i > 600) {
    server.kill("SIGKILL");
    fail(`ocs serve did not answer /healthz: ${output}`);
  }
  await new Promise((r) => setTimeout(r, 50));
}
say(`ocs serve answered /healthz after ${Math.round(performance.now() - serveStarted)} ms`);

// The SDK from plain Node, in the installed folder: one signed call.
const script = `
import { CompShareClient } from "@opencompshare/sdk";
const client = new CompShareClient({ publicKey: ${JSON.stringify(keys.PublicKey)}, privateKey: ${JSON.stringify(keys.PrivateKey)}, baseUrl: ${JSON.stringify(url)}, region: "cn-wlcb" });
const r = await client.describeCompShareInstance({});
console.log(JSON.stringify({ TotalCount: r.TotalCount }));
`;
const answer = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8", env: cleanEnv }).trim();
if (answer !== JSON.stringify({ TotalCount: 0 })) fail(`the signed call answered ${answer}`);
say(`a signed DescribeCompShareInstance through the installed SDK: ${answer}`);

server.kill("SIGTERM");
const code = await exited;
if (code !== 0) fail(`ocs serve exited ${code} on SIGTERM: ${output}`);
say("ocs serve stopped on SIGTERM, exit 0");
rmSync(work, { recursive: true, force: true });
say("passed");
