/**
 * The console day to day, in a real browser against a real server on the ManualClock: a first
 * visit logs no error, the banners go when what they announced is over (the browser's own clock
 * is Playwright's, so that "later" needs no waiting), the Size names each disk, and the list
 * fits a phone.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { advanceUntilShown, assertNoViolations, consoleInBrowser, CONTEXT, logIn, row, shot, stateIn, TIMEOUT } from "../helpers/browser.js";
import { CREATE, REGION, type TestServer } from "../helpers/server.js";

describe("the console day to day", { timeout: 5 * 60_000 }, () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  before(async () => {
    ({ s, browser, ctx } = await consoleInBrowser());
    // The page's timers run on Playwright's clock: it flows, and fastForward jumps it.
    await ctx.clock.install();
    page = await ctx.newPage();
    await page.goto(`${s.url}/console/`);
    await logIn(page);
  });

  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it("logs no error in the browser console on a first visit, and no request fails", async () => {
    const fresh = await browser.newContext(CONTEXT);
    try {
      const p = await fresh.newPage();
      p.setDefaultTimeout(TIMEOUT);
      const errors: string[] = [];
      p.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
      });
      p.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      p.on("response", (r) => {
        if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
      });
      const failed = (r: Request) => errors.push(`failed ${r.url()}: ${r.failure()?.errorText ?? ""}`);
      p.on("requestfailed", failed);
      const asked = p.waitForResponse((r) => r.url().endsWith("/console/api/session"));
      await p.goto(`${s.url}/console/`);
      await asked;
      await p.getByRole("heading", { name: "Log in" }).waitFor();
      assert.deepEqual(errors, [], "a fresh visit without a session");
      await logIn(p);
      // A reload ends the event stream's request, as it should.
      p.off("requestfailed", failed);
      await p.reload();
      await p.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
      await p.getByRole("status").filter({ hasText: "Live updates" }).waitFor();
      assert.deepEqual(errors, [], "logging in and reloading");
    } finally {
      await fresh.close();
    }
  });

  it("keeps an accepted reboot's banner while the reboot runs, and takes it away when the reboot has ended", async () => {
    await s.running();
    await stateIn(page, "host", "Running").waitFor();
    await row(page, "host").getByRole("button", { name: "Reboot", exact: true }).click();
    const banner = page.getByRole("status").filter({ hasText: "Reboot accepted for host." });
    await banner.waitFor();
    await stateIn(page, "host", "Rebooting").waitFor();
    // Any time later by the page's clock, the reboot still runs (the server's clock stood still): the banner stays.
    await page.clock.fastForward(60_000);
    assert.equal(await banner.isVisible(), true, "still announced while the reboot runs");
    await advanceUntilShown(s, stateIn(page, "host", "Running"), "host Running after the reboot");
    await banner.waitFor({ state: "detached" });
  });

  it("takes a refusal away after a bounded time, or when the operation whose lock refused it has ended; Dismiss still works", async () => {
    const reboot = row(page, "host").getByRole("button", { name: "Reboot", exact: true });
    const busy = page.getByRole("alert").locator("p", { hasText: "the instance is busy" });
    await reboot.click();
    await stateIn(page, "host", "Rebooting").waitFor();
    await reboot.click();
    await busy.waitFor();
    // By hand.
    await busy.getByRole("button", { name: "Dismiss" }).click();
    await busy.waitFor({ state: "detached" });
    // By time: the reboot still holds the lock, but the refusal was read long ago.
    await reboot.click();
    await busy.waitFor();
    await page.clock.fastForward(10_000);
    assert.equal(await busy.isVisible(), true, "a refusal is not gone at once");
    await page.clock.fastForward(11_000);
    await busy.waitFor({ state: "detached" });
    // With the operation that held the lock.
    await reboot.click();
    await busy.waitFor();
    await advanceUntilShown(s, stateIn(page, "host", "Running"), "host Running after the second reboot");
    await busy.waitFor({ state: "detached" });
  });

  it("names the system disk and each data disk in the Size of an instance", async () => {
    const created = await s.call("CreateCompShareInstance", {
      ...CREATE,
      Name: "disks",
      Disks: [
        { IsBoot: true, Size: 100, Type: "CLOUD_SSD" },
        { IsBoot: false, Size: 100, Type: "CLOUD_SSD" },
      ],
    });
    assert.equal(created.body.RetCode, 0, JSON.stringify(created.body));
    const id = (created.body.UHostIds as string[])[0]!;
    const described = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    const inst = (described.body.UHostSet as { TotalDiskSpace: number; DiskSet: { IsBoot: string; Size: number }[] }[])[0]!;
    assert.equal(inst.TotalDiskSpace, 200);
    assert.deepEqual(inst.DiskSet.map((d) => [d.IsBoot, d.Size]), [["True", 100], ["False", 100]]);
    await page.goto(`${s.url}/console/#/instances/${id}`);
    await page.getByRole("heading", { name: "disks", level: 1 }).waitFor();
    const size = page.locator("dt", { hasText: "Size" }).locator("xpath=following-sibling::dd[1]");
    await size.getByText("100 GB system disk + 100 GB data disk (200 GB in all)", { exact: false }).waitFor();
    assert.match((await size.textContent()) ?? "", /64 GB memory, 100 GB system disk \+ 100 GB data disk \(200 GB in all\)$/);
    await page.getByLabel("Language").selectOption("zh");
    await page.locator("dt", { hasText: "配置" }).locator("xpath=following-sibling::dd[1]").getByText("系统盘 100 GB + 数据盘 100 GB（共 200 GB）").waitFor();
    await page.getByLabel("Language").selectOption("en");
    await page.getByRole("link", { name: "All instances" }).click();
  });

  it("fits a phone: compact rows, nothing wider than the screen, the same actions", async () => {
    const phone = await browser.newContext({ ...CONTEXT, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      p.setDefaultTimeout(TIMEOUT);
      await p.goto(`${s.url}/console/`);
      await logIn(p);
      await stateIn(p, "host", "Running").waitFor();
      await row(p, "disks").waitFor();
      await shot(p, "phone-list.png");
      for (const name of ["host", "disks"]) {
        const box = await row(p, name).boundingBox();
        assert.ok(box, `the row of ${name}`);
        assert.ok(box.height <= 120, `the row of ${name} is ${box.height} px tall`);
        assert.ok(box.width <= 390, `the row of ${name} is ${box.width} px wide`);
      }
      assert.ok(Number(await p.evaluate("document.documentElement.scrollWidth")) <= 390, "the list page does not scroll sideways");
      // Every action is still there, and works.
      // The actions the state allows, on one line.
      const actions = row(p, "host").getByRole("button");
      assert.deepEqual(await actions.allTextContents(), ["Stop", "Reboot", "Rename", "Reset password"]);
      const tops = await actions.evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().top));
      assert.equal(new Set(tops).size, 1, `one line: ${tops.join(", ")}`);
      await assertNoViolations(p, "list on a phone");
      await row(p, "host").getByRole("link", { name: "host", exact: true }).click();
      await p.getByRole("heading", { name: "host", level: 1 }).waitFor();
      assert.ok(Number(await p.evaluate("document.documentElement.scrollWidth")) <= 390, "the instance page does not scroll sideways");
      await assertNoViolations(p, "instance page on a phone");
      await shot(p, "phone-instance.png");
    } finally {
      await phone.close();
    }
  });
});
