/**
 * The web console in a real browser (Debian's Chromium through playwright-core), against a real
 * server on the ManualClock, used the way a person uses it: by roles and labels. Log in, create,
 * watch the states change without reloading, reboot, meet the lock, stop, terminate, the
 * fallback to polling, a wrong key, and two accounts that never see each other. axe-core checks
 * every page and dialog; screenshots go to test/browser/output/.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { advanceUntilShown, assertNoViolations, consoleInBrowser, CONTEXT, logIn, row, shot, stateIn, TIMEOUT, untilInPage } from "../helpers/browser.js";
import { DEFAULT_KEYS, REGION, type TestServer } from "../helpers/server.js";

describe("the web console", { timeout: 10 * 60_000 }, () => {
  let s: TestServer;
  let browser: Browser;
  let ctxA: BrowserContext;
  let page: Page;
  const posted: string[] = [];
  /** Anything the Content-Security-Policy refused, and uncaught errors of the page. */
  const problems: string[] = [];

  before(async () => {
    ({ s, browser, ctx: ctxA } = await consoleInBrowser());
    page = await ctxA.newPage();
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("request", (r) => {
      const body = r.postData();
      if (body) posted.push(body);
    });
  });

  after(async () => {
    await browser?.close();
    await s?.close();
  });


  it("refuses a wrong private key and an unknown public key, in plain words", async () => {
    const ctx = await browser.newContext(CONTEXT);
    try {
      const p = await ctx.newPage();
      await p.goto(`${s.url}/console/`);
      await p.getByRole("heading", { name: "Log in" }).waitFor({ timeout: TIMEOUT });
      await assertNoViolations(p, "login page");
      await shot(p, "login.png");
      const password = p.getByLabel("Private key");
      assert.equal(await password.getAttribute("type"), "password");
      await p.getByLabel("Public key").fill(DEFAULT_KEYS.PublicKey);
      await password.fill("not-the-private-key");
      await p.getByRole("button", { name: "Log in" }).click();
      await p.getByRole("alert").filter({ hasText: "The private key does not match this public key" }).waitFor({ timeout: TIMEOUT });
      await p.getByLabel("Public key").fill("no-such-public-key");
      await password.fill("whatever");
      await p.getByRole("button", { name: "Log in" }).click();
      await p.getByRole("alert").filter({ hasText: "No account has this public key" }).waitFor({ timeout: TIMEOUT });
      await assertNoViolations(p, "login page with a refusal");
      await shot(p, "login-refused.png");
      assert.equal(await p.getByRole("heading", { name: "Instances" }).count(), 0, "still logged out");
    } finally {
      await ctx.close();
    }
  });

  it("logs in without sending or keeping the private key, and stays logged in on reload", async () => {
    await page.goto(`${s.url}/console/`);
    await logIn(page, DEFAULT_KEYS);
    assert.ok(posted.length > 0);
    assert.ok(posted.every((b) => !b.includes(DEFAULT_KEYS.PrivateKey)), "the private key was never sent");
    const stored = String(await page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"));
    assert.ok(!stored.includes(DEFAULT_KEYS.PrivateKey), `the private key is not stored: ${stored}`);
    await page.reload();
    await page.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
    await page.getByText("No instances yet.").waitFor();
    await page.getByRole("status").filter({ hasText: "Live updates" }).waitFor();
  });

  it("creates an instance from the catalog, with its price, and shows Initializing then Running without a reload", async () => {
    await page.getByRole("button", { name: "Create instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Create an instance" });
    await dialog.waitFor();
    await dialog.getByLabel("Zone").selectOption("cn-wlcb|cn-wlcb-01");
    await dialog.getByLabel("GPU type").selectOption("4090");
    await dialog.getByLabel("GPUs").selectOption("1");
    await dialog.getByLabel("Image").selectOption("compshareImage-ubuntu2204");
    await dialog.getByLabel("Billing").selectOption("Postpay");
    await dialog.getByText(/¥\d+\.\d\d per hour/).waitFor();
    await dialog.getByLabel("Name").fill("alpha");
    await assertNoViolations(page, "create dialog");
    await shot(page, "create.png");
    await dialog.getByRole("button", { name: "Create", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await stateIn(page, "alpha", "Initializing").waitFor();
    await advanceUntilShown(s, stateIn(page, "alpha", "Running"), "alpha Running");
    const res = await s.call("DescribeCompShareInstance", REGION);
    const set = res.body.UHostSet as { Name: string; State: string; GpuType: string }[];
    assert.deepEqual(set.map((i) => [i.Name, i.State, i.GpuType]), [["alpha", "Running", "4090"]]);
  });

  it("enables each action only in the states that accept it", async () => {
    const r = row(page, "alpha");
    const enabled = async (name: string) => r.getByRole("button", { name, exact: true }).isEnabled();
    assert.equal(await enabled("Start"), false);
    assert.equal(await enabled("Stop"), true);
    assert.equal(await enabled("Reboot"), true);
    // CompShare deletes only a Stopped instance.
    assert.equal(await enabled("Terminate"), false);
    assert.equal(await enabled("Rename"), true);
    assert.equal(await enabled("Reset password"), true);
  });

  it("reboots: Rebooting, then Running; a second reboot meanwhile says which operation holds the lock, since and until when", async () => {
    const r = row(page, "alpha");
    await r.getByRole("button", { name: "Reboot", exact: true }).click();
    await stateIn(page, "alpha", "Rebooting").waitFor();
    // The clock stands still: the first reboot still holds the lock.
    await r.getByRole("button", { name: "Reboot", exact: true }).click();
    const alert = page.getByRole("alert").filter({ hasText: "the instance is busy" });
    await alert.waitFor();
    const text = (await alert.textContent()) ?? "";
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: await idOf("alpha") });
    const reboot = (ops.body.OperationSet as { OperationId: string; Action: string; Status: string; StartTime: number }[]).find(
      (o) => o.Action === "RebootCompShareInstance" && o.Status === "Running",
    );
    assert.ok(reboot, JSON.stringify(ops.body));
    const refused = await s.call("RebootCompShareInstance", { ...REGION, UHostId: await idOf("alpha") });
    const until = /until (\S+)/.exec(String(refused.body.Message))?.[1];
    assert.ok(until, String(refused.body.Message));
    const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" });
    assert.ok(text.includes(reboot.OperationId), `names the holder operation: ${text}`);
    assert.match(text, /held by the operation Reboot/);
    assert.ok(text.includes(`since ${fmt.format(new Date(reboot.StartTime * 1000))}`), `says since when: ${text}`);
    assert.ok(text.includes(`until ${fmt.format(new Date(until))}`), `says until when: ${text}`);
    await assertNoViolations(page, "list with the lock alert");
    await shot(page, "lock.png");
    await advanceUntilShown(s, stateIn(page, "alpha", "Running"), "alpha Running after the reboot");
  });

  async function idOf(name: string): Promise<string> {
    const res = await s.call("DescribeCompShareInstance", REGION);
    const found = (res.body.UHostSet as { UHostId: string; Name: string }[]).find((i) => i.Name === name);
    assert.ok(found, `instance ${name}`);
    return found.UHostId;
  }

  it("stops after a confirmation; Escape closes a dialog and gives the focus back", async () => {
    const stop = row(page, "alpha").getByRole("button", { name: "Stop", exact: true });
    await stop.click();
    const dialog = page.getByRole("dialog", { name: "Stop alpha?" });
    await dialog.waitFor();
    await assertNoViolations(page, "stop dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await page.evaluate("document.activeElement?.closest('tr')?.querySelector('a')?.textContent + ' ' + document.activeElement?.textContent"), "alpha Stop", "focus back on Stop");
    assert.ok(await stateIn(page, "alpha", "Running").isVisible(), "nothing was done");
    // Keyboard only: Enter opens it, Tab stays inside, the confirmation stops.
    await stop.focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
    assert.equal(await page.evaluate("!!document.activeElement?.closest('dialog[open]')"), true, "Tab stays in the dialog");
    await dialog.getByRole("button", { name: "Stop", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await stateIn(page, "alpha", "Stopping").or(stateIn(page, "alpha", "Stopped")).waitFor();
    await advanceUntilShown(s, stateIn(page, "alpha", "Stopped"), "alpha Stopped");
    assert.equal(await row(page, "alpha").getByRole("button", { name: "Start", exact: true }).isEnabled(), true);
    assert.equal(await row(page, "alpha").getByRole("button", { name: "Reboot", exact: true }).isEnabled(), false);
  });

  it("filters by state, searches by name, renames, and starts a selection in a batch", async () => {
    await s.running();
    await page.getByRole("link", { name: "host", exact: true }).waitFor();
    await row(page, "host").getByRole("button", { name: "Rename", exact: true }).click();
    const rename = page.getByRole("dialog", { name: "Rename host" });
    await rename.getByLabel("New name").fill("beta");
    await assertNoViolations(page, "rename dialog");
    await rename.getByRole("button", { name: "Save" }).click();
    await page.getByRole("link", { name: "beta", exact: true }).waitFor();

    await page.getByLabel("State").selectOption("Stopped");
    await row(page, "alpha").waitFor();
    await row(page, "beta").waitFor({ state: "detached" });
    await page.getByLabel("State").selectOption("");
    await page.getByLabel("Search by name or ID").fill("bet");
    await row(page, "beta").waitFor();
    await row(page, "alpha").waitFor({ state: "detached" });
    await page.getByLabel("Search by name or ID").fill("");
    await row(page, "alpha").waitFor();

    await page.getByLabel("Select alpha").check();
    await page.getByRole("button", { name: "Start selected" }).click();
    await stateIn(page, "alpha", "Starting").or(stateIn(page, "alpha", "Running")).waitFor();
    await advanceUntilShown(s, stateIn(page, "alpha", "Running"), "alpha Running after the batch start");
    await page.getByLabel("Select alpha").uncheck();
    const dismiss = page.getByRole("button", { name: "Dismiss" });
    for (let n = await dismiss.count(); n > 0; n = await dismiss.count()) {
      await dismiss.first().click();
      await dismiss.nth(n - 1).waitFor({ state: "detached" });
    }
    await assertNoViolations(page, "instance list");
    await shot(page, "list-light.png");
    await shot(page, "console.png");
  });

  it("shows an instance's details, its operation history with failures, and its console output", async () => {
    await page.getByRole("link", { name: "alpha", exact: true }).click();
    await page.getByRole("heading", { name: "alpha", level: 1 }).waitFor();
    const history = page.getByRole("table").filter({ hasText: "Operation" });
    await history.getByRole("row").filter({ hasText: "Reboot" }).first().waitFor();
    // A reboot that fails in the driver: its failure stays in the history, with RetCode and message.
    await armFault(s.app.store.db, { method: "reboot", mode: "fail", instanceId: await idOf("alpha") });
    await page.getByRole("button", { name: "Reboot", exact: true }).click();
    const failed = history.getByRole("row").filter({ hasText: "Failed" });
    await advanceUntilShown(s, failed, "the failed reboot in the history");
    const failedText = (await failed.first().textContent()) ?? "";
    assert.match(failedText, /Reboot/);
    assert.match(failedText, /injected failure/);
    const retCode = ((await failed.first().getByRole("cell").nth(6).textContent()) ?? "").trim();
    assert.match(retCode, /^[1-9]\d*$/, `a RetCode other than 0: ${retCode}`);
    // Asked from the console, by the key that logged in.
    assert.equal(((await failed.first().getByRole("cell").nth(1).textContent()) ?? "").trim(), "console");
    assert.match((await failed.first().getByRole("cell").nth(2).textContent()) ?? "", new RegExp(`^${s.keys.PublicKey}`));
    await advanceUntilShown(s, page.getByRole("heading", { name: "alpha", level: 1 }).locator("..").getByText("Running", { exact: true }), "alpha Running");
    for (const action of ["Create", "Reboot", "Stop", "Start"]) {
      await history.getByRole("row").filter({ has: page.getByRole("cell", { name: new RegExp(`^${action}`) }) }).first().waitFor();
    }
    for (const column of ["Source", "Requester", "Started", "Ended", "Result", "RetCode", "Message"]) {
      await history.getByRole("columnheader", { name: column }).waitFor();
    }
    await page.getByRole("heading", { name: "Console output" }).waitFor();
    await page.getByText("Booting Linux").first().waitFor();
    await assertNoViolations(page, "instance page");
    await shot(page, "instance.png");

    await page.getByRole("button", { name: "Reset password" }).click();
    const reset = page.getByRole("dialog", { name: "Reset the password of alpha" });
    assert.equal(await reset.getByLabel("New password").getAttribute("type"), "password");
    await assertNoViolations(page, "reset password dialog");
    await page.keyboard.press("Escape");
    await reset.waitFor({ state: "hidden" });
    await page.getByRole("link", { name: "All instances" }).click();
    await page.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
  });

  it("switches to 中文 and to dark mode, the system's or the toggle's", async () => {
    await page.getByLabel("Language").selectOption("zh");
    await page.getByRole("heading", { name: "实例", level: 1 }).waitFor();
    await row(page, "alpha").getByRole("button", { name: "重启" }).waitFor();
    await assertNoViolations(page, "list in 中文");
    await shot(page, "zh.png");
    await page.getByLabel("Language").selectOption("en");
    await page.getByRole("heading", { name: "Instances", level: 1 }).waitFor();

    await page.emulateMedia({ colorScheme: "dark" });
    await untilInPage(page, "getComputedStyle(document.documentElement).colorScheme === 'dark'", "dark colour scheme");
    await page.getByRole("button", { name: "Dark mode", pressed: true }).waitFor();
    await assertNoViolations(page, "list in dark mode");
    await shot(page, "list-dark.png");
    await page.emulateMedia({ colorScheme: "light" });
    const toggle = page.getByRole("button", { name: "Dark mode" });
    await toggle.click();
    await page.getByRole("button", { name: "Dark mode", pressed: true }).waitFor();
    await untilInPage(page, "getComputedStyle(document.documentElement).colorScheme === 'dark'", "dark colour scheme");
    await page.goto(`${s.url}/console/#/instances/${await idOf("alpha")}`);
    await page.getByRole("heading", { name: "alpha", level: 1 }).waitFor();
    await page.getByText("Booting Linux").first().waitFor();
    await assertNoViolations(page, "instance page in dark mode");
    await shot(page, "instance-dark.png");
    await page.getByRole("button", { name: "Dark mode" }).click();
    await untilInPage(page, "getComputedStyle(document.documentElement).colorScheme === 'light'", "light colour scheme");
    await page.getByRole("link", { name: "All instances" }).click();
  });

  it("terminates a stopped instance after its name is typed", async () => {
    assert.equal(await row(page, "beta").getByRole("button", { name: "Terminate", exact: true }).isEnabled(), false, "a Running instance cannot be terminated");
    await row(page, "beta").getByRole("button", { name: "Stop", exact: true }).click();
    const stopDialog = page.getByRole("dialog", { name: "Stop beta?" });
    await stopDialog.getByRole("button", { name: "Stop", exact: true }).click();
    await stopDialog.waitFor({ state: "hidden" });
    await advanceUntilShown(s, stateIn(page, "beta", "Stopped"), "beta Stopped");
    await row(page, "beta").getByRole("button", { name: "Terminate", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Terminate beta?" });
    const confirm = dialog.getByRole("button", { name: "Terminate", exact: true });
    assert.equal(await confirm.isEnabled(), false);
    await dialog.getByLabel("Type the instance name to confirm").fill("bet");
    assert.equal(await confirm.isEnabled(), false);
    await assertNoViolations(page, "terminate dialog");
    await dialog.getByLabel("Type the instance name to confirm").fill("beta");
    await confirm.click();
    await dialog.waitFor({ state: "hidden" });
    for (let i = 0; i < 400 && (await row(page, "beta").count()) > 0; i++) {
      await s.clock.advance(1000);
      await row(page, "beta").waitFor({ state: "detached", timeout: 250 }).catch(() => undefined);
    }
    assert.equal(await row(page, "beta").count(), 0, "beta left the list");
  });

  it("falls back to polling when the event stream fails, and still follows the states", async () => {
    const p = await ctxA.newPage();
    try {
      // An EventSource that fails at once, as behind a proxy that drops event streams.
      await p.addInitScript(`window.EventSource = class extends EventTarget {
        static CONNECTING = 0; static OPEN = 1; static CLOSED = 2;
        constructor(url) {
          super();
          this.url = url;
          this.readyState = 0;
          setTimeout(() => { this.readyState = 2; const e = new Event("error"); this.onerror?.(e); this.dispatchEvent(e); }, 0);
        }
        close() { this.readyState = 2; }
      };`);
      await p.goto(`${s.url}/console/`);
      await p.getByRole("status").filter({ hasText: "refreshing every 60 s" }).waitFor();
      await row(p, "alpha").getByRole("button", { name: "Reboot", exact: true }).click();
      await stateIn(p, "alpha", "Rebooting").waitFor();
      await p.getByRole("status").filter({ hasText: "refreshing every 3 s" }).waitFor();
      await advanceUntilShown(s, stateIn(p, "alpha", "Running"), "alpha Running, by polling", 1000);
    } finally {
      await p.close();
    }
  });

  it("shows another account none of A's instances or events", async () => {
    const b = await s.account("console-b");
    const ctxB = await browser.newContext(CONTEXT);
    try {
      const pb = await ctxB.newPage();
      await pb.goto(`${s.url}/console/`);
      await logIn(pb, b);
      await pb.getByText("No instances yet.").waitFor({ timeout: TIMEOUT });
      // A stream of B's own, in B's page, with B's cookie.
      await pb.evaluate(`new Promise((resolve) => {
        window.seen = [];
        const es = new EventSource("/console/events");
        for (const k of ["instance.created", "instance.state", "instance.released", "operation.accepted", "operation.phase", "operation.succeeded", "operation.failed", "lock.taken", "lock.released"]) {
          es.addEventListener(k, (m) => window.seen.push(JSON.parse(m.data)));
        }
        es.onopen = () => resolve(true);
      })`);
      await row(page, "alpha").getByRole("button", { name: "Reboot", exact: true }).click();
      await stateIn(page, "alpha", "Rebooting").waitFor();
      await advanceUntilShown(s, stateIn(page, "alpha", "Running"), "A's reboot done");
      const idB = await s.running({ PublicKey: b.PublicKey, PrivateKey: b.PrivateKey });
      await pb.getByRole("row").filter({ hasText: idB }).getByText("Running", { exact: true }).waitFor();
      await untilInPage(pb, `window.seen.some((e) => e.UHostId === ${JSON.stringify(idB)} && e.State === "Running")`, "B's stream saw B's instance Running");
      const seen = (await pb.evaluate("window.seen")) as { UHostId: string }[];
      assert.ok(seen.length > 0);
      assert.ok(seen.every((e) => e.UHostId === idB), `B saw only its own events: ${JSON.stringify(seen)}`);
      const rows = await pb.getByRole("row").allTextContents();
      assert.ok(rows.every((t) => !t.includes("alpha")), `B does not see alpha: ${rows.join(" | ")}`);
      assert.equal(await pb.getByRole("link", { name: "alpha" }).count(), 0);
      // Naming A's instance does not help.
      await pb.goto(`${s.url}/console/#/instances/${await idOf("alpha")}`);
      await pb.getByText(/No instance .* in this account/).waitFor({ timeout: TIMEOUT });
    } finally {
      await ctxB.close();
    }
  });

  it("logs out, and nothing was refused by the CSP nor thrown in the page meanwhile", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    assert.deepEqual(problems, []);
  });
});
