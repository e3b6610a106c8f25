/**
 * Helpers of the browser tests: the console built once, Chromium (Debian's, at /usr/bin/chromium)
 * through playwright-core, the context a page opens in, logging in on the page's form, axe-core
 * run in the page, the instance list's rows, and waiting for the page while the server's
 * ManualClock moves.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { settle } from "@opencompshare/server/testing";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from "playwright-core";
import type { Keys } from "./client.js";
import { DEFAULT_KEYS, startServer, type TestServer } from "./server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const OUTPUT = join(root, "test", "browser", "output");
export const CHROMIUM = process.env.OCS_CHROMIUM ?? "/usr/bin/chromium";

const consoleDir = join(root, "packages", "console");

/** The newest change under `dir` (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

/** Builds the console when its dist/ is missing or older than its sources: the server reads it at start. */
export function ensureBuilt(): void {
  const manifest = join(consoleDir, "dist", "manifest.json");
  const sources = Math.max(newest(join(consoleDir, "src")), statSync(join(consoleDir, "package.json")).mtimeMs);
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= sources) return;
  execFileSync("npm", ["run", "build", "-w", "@opencompshare/console"], { cwd: root, stdio: "inherit" });
}

export async function launch(): Promise<Browser> {
  mkdirSync(OUTPUT, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** How long a step may wait for the page. */
export const TIMEOUT = 20_000;
/** The context a page opens in: English (UK), UTC, a laptop's screen. */
/**
 * Waits until `expression` is true in the page. Not page.waitForFunction: its polling evaluates
 * the predicate with eval inside the page, which the console's CSP (script-src 'self') refuses
 * whenever the first look is not already true. page.evaluate goes through the DevTools protocol.
 */
export async function untilInPage(p: Page, expression: string, what: string, timeoutMs = TIMEOUT): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await p.evaluate(expression))) {
    if (Date.now() > deadline) assert.fail(`${what}: not true within ${timeoutMs} ms (${expression})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const CONTEXT = { locale: "en-GB", timezoneId: "UTC", viewport: { width: 1280, height: 800 } } as const;

export interface ConsoleInBrowser {
  s: TestServer;
  browser: Browser;
  ctx: BrowserContext;
}

/** What a browser test starts from: the console built, a server, Chromium, and a context (`context`) waiting up to TIMEOUT. */
export async function consoleInBrowser(context: BrowserContextOptions = CONTEXT): Promise<ConsoleInBrowser> {
  ensureBuilt();
  const s = await startServer();
  const browser = await launch();
  const ctx = await browser.newContext(context);
  ctx.setDefaultTimeout(TIMEOUT);
  return { s, browser, ctx };
}

/** Logs in on the login form the page shows, and waits for the instance list. */
export async function logIn(p: Page, keys: Pick<Keys, "PublicKey" | "PrivateKey"> = DEFAULT_KEYS): Promise<void> {
  await p.getByLabel("Public key").fill(keys.PublicKey);
  await p.getByLabel("Private key").fill(keys.PrivateKey);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
}

/** The instance list's row of the instance named `name`. */
export const row = (p: Page, name: string): Locator => p.getByRole("row").filter({ has: p.getByRole("link", { name, exact: true }) });
/** The state `st` shown in that row. */
export const stateIn = (p: Page, name: string, st: string): Locator => row(p, name).getByText(st, { exact: true });

export const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(OUTPUT, name), fullPage: true });

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core in the page (evaluated, since the CSP refuses an added script tag): its serious and critical violations. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(`${axeSource}\n;0`);
  const all = (await page.evaluate(
    `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) })))`,
  )) as Violation[];
  return all.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Asserts that axe-core finds no serious or critical violation in the page; `where` names the page in the message. */
export async function assertNoViolations(p: Page, where: string): Promise<void> {
  const found = await axeViolations(p);
  assert.deepEqual(found, [], `${where}: ${JSON.stringify(found, null, 2)}`);
}

/** True once `locator` is visible, giving the page up to `ms` to get there. */
export const shows = (locator: Locator, ms = 250): Promise<boolean> => locator.first().waitFor({ state: "visible", timeout: ms }).then(
  () => true,
  () => false,
);

/**
 * Moves the server's clock in steps (the simulated boots and reboots take simulated time) until
 * the page shows `locator`; each step gives the page a moment to receive the change.
 */
export async function advanceUntilShown(s: TestServer, locator: Locator, what: string, stepMs = 250, maxSteps = 400): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await settle();
    if (await shows(locator)) return;
    await s.clock.advance(stepMs);
  }
  throw new Error(`the page never showed ${what}`);
}
