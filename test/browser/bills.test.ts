/**
 * The console's Bills page (#/bills) in a real browser, against a real server on the
 * ManualClock: the hours of a pay-as-you-go instance (paid while the balance lasted, then
 * unpaid), the balance and what is unpaid, 20 bills to a page, the payment filter, a top-up
 * that pays them, Chinese and dark mode, text that stays text (a remark full of markup), and
 * another account that sees none of it. axe-core checks each state; nothing may be refused by
 * the CSP.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { insertEntry } from "../../packages/server/src/store/repositories/ledger.js";
import { assertNoViolations, consoleInBrowser, CONTEXT, logIn, shot, TIMEOUT, untilInPage } from "../helpers/browser.js";
import { REGION, type TestServer } from "../helpers/server.js";
import { balance, HOUR, MIN, runningInstance, setBalance, topUp } from "../policies/helpers.js";

interface Bill {
  BillId: string;
  ResourceId: string;
  Kind: string;
  Amount: number;
  PayStatus: string;
}
interface Bills {
  TotalCount: number;
  BillSet: Bill[];
  Balance: number;
  Unpaid: number;
}

const signed = (n: number) => (n > 0 ? `+${n.toFixed(2)}` : n.toFixed(2));
const yuan = (n: number) => `${n < 0 ? "-" : ""}¥${Math.abs(n).toFixed(2)}`;
const MARKUP = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`;

describe("the console's Bills page", { timeout: 5 * 60_000 }, () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let id = "";
  const problems: string[] = [];

  const api = async (params: Record<string, string | number> = {}): Promise<Bills> => {
    const r = await s.call("DescribeCompShareBills", { Limit: 100, ...params });
    assert.equal(r.body.RetCode, 0, JSON.stringify(r.body));
    return r.body as unknown as Bills;
  };
  const dataRows = () => page.locator("table.bills tbody tr");
  const rowOf = (billId: string) => page.locator(`table.bills tbody tr[data-bill="${billId}"]`);
  /** The value shown under a term of the summary. */
  const summary = (term: string) => page.locator(".bills-summary div").filter({ has: page.getByRole("term").filter({ hasText: term }) }).getByRole("definition");

  before(async () => {
    ({ s, browser, ctx } = await consoleInBrowser());
    page = await ctx.newPage();
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));

    // An hour's price, then a balance for 20 of them: 25 hours make 20 paid bills and 5 unpaid.
    const price = await s.call("GetCompShareInstancePrice", { ...REGION, GpuType: "4090", Gpu: 1, Cpu: 16, Memory: 65536, ChargeType: "Postpay", CompShareImageId: "compshareImage-ubuntu2204" });
    const q = (price.body.PriceDetail as Array<{ Instance: number; Disks: number; SystemDisks: number; CompShareImage: number }>)[0]!;
    const hourly = Math.round((q.Instance + q.Disks + q.SystemDisks + q.CompShareImage) * 100) / 100;
    await setBalance(s, Math.round(20.5 * hourly * 100) / 100);
    id = await runningInstance(s, { ChargeType: "Postpay" });
    await s.clock.advance(25 * HOUR + 10 * MIN);
    await s.app.policies.pass();
    // A remark full of markup: the page must show it as text.
    const at = s.clock.now();
    await insertEntry(s.app.store.db, {
      id: "disk:markup:1",
      accountId: (await balance(s)).AccountId,
      instanceId: "bsi-0123456789ab",
      kind: "disk",
      amountCents: -1,
      status: "paid",
      periodStart: at - HOUR,
      periodEnd: at,
      balanceAfterCents: 0,
      note: MARKUP,
      createdAt: at,
      paidAt: at,
    });
  });

  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it("shows the balance, what is unpaid, and the newest 20 bills, each as the API answers it", async () => {
    const all = await api();
    assert.ok(all.TotalCount > 20, `more than a page: ${all.TotalCount}`);
    assert.equal(all.BillSet.filter((b) => b.PayStatus === "Unpaid").length, 5);
    await page.goto(`${s.url}/console/`);
    await logIn(page);
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Bills" }).click();
    await page.getByRole("heading", { name: "Bills", level: 1 }).waitFor();
    assert.equal(await page.getByRole("link", { name: "Bills" }).getAttribute("aria-current"), "page");
    await untilInPage(page, `document.querySelectorAll("table.bills tbody tr").length === 20`, "the first page of bills");
    assert.equal(await summary("Balance").textContent(), yuan(all.Balance));
    assert.equal(await summary("Unpaid").textContent(), yuan(all.Unpaid));
    await page.getByText(`${yuan(all.Unpaid)} is unpaid.`).waitFor();
    await page.getByRole("status").filter({ hasText: `1–20 of ${all.TotalCount}` }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Previous page" }).isDisabled(), true);

    for (const b of all.BillSet.slice(0, 20)) {
      const cells = await rowOf(b.BillId).locator("td").allTextContents();
      assert.equal(cells.length, 7);
      assert.ok(cells[1]?.startsWith(b.ResourceId), `resource: ${cells[1]}`);
      assert.equal(cells[4], signed(b.Amount));
      assert.equal(cells[5]?.startsWith(b.PayStatus), true, `status: ${cells[5]}`);
      if (b.Kind === "hour") {
        assert.ok(cells[2]?.startsWith("Pay-as-you-go hour"), cells[2]);
        assert.match(cells[3] ?? "", / – /, "an hour's period");
      }
    }
    // An instance's bill links to the instance's page.
    const hour = all.BillSet.find((b) => b.Kind === "hour") as Bill;
    assert.equal(await rowOf(hour.BillId).getByRole("link", { name: id }).getAttribute("href"), `#/instances/${id}`);
    await assertNoViolations(page, "bills page");
    await shot(page, "bills.png");
  });

  it("keeps markup in a bill as text: no element is made from it, and no script runs", async () => {
    const cell = rowOf("disk:markup:1").locator("td").nth(2);
    assert.ok((await cell.textContent())?.includes(MARKUP), "the remark shown as it is");
    assert.equal(await page.locator("table.bills img, table.bills script").count(), 0);
    assert.equal(await page.evaluate("window.pwned === undefined"), true);
    assert.ok((await rowOf("disk:markup:1").locator("td").nth(1).textContent())?.includes("disk"), "a disk's bill says so");
  });

  it("pages forward and back", async () => {
    const all = await api();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByRole("status").filter({ hasText: `21–${all.TotalCount} of ${all.TotalCount}` }).waitFor();
    await untilInPage(page, `document.querySelectorAll("table.bills tbody tr").length === ${all.TotalCount - 20}`, "the second page");
    const ids = await dataRows().evaluateAll((rows) => rows.map((r) => r.getAttribute("data-bill")));
    assert.deepEqual(ids, all.BillSet.slice(20).map((b) => b.BillId));
    assert.equal(await page.getByRole("button", { name: "Next page" }).isDisabled(), true);
    await assertNoViolations(page, "bills page 2");
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByRole("status").filter({ hasText: `1–20 of ${all.TotalCount}` }).waitFor();
  });

  it("shows only the unpaid bills when asked, and none once a top-up has paid them", async () => {
    const unpaid = await api({ PayStatus: "Unpaid" });
    await page.getByLabel("Show").selectOption("Unpaid");
    await untilInPage(page, `document.querySelectorAll("table.bills tbody tr").length === ${unpaid.TotalCount}`, "the unpaid bills");
    const ids = await dataRows().evaluateAll((rows) => rows.map((r) => r.getAttribute("data-bill")));
    assert.deepEqual(ids, unpaid.BillSet.map((b) => b.BillId));
    for (const text of await dataRows().allTextContents()) assert.ok(text.includes("Unpaid"), text);

    await topUp(s, 1000);
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.getByText("No bill matches the filter.").waitFor();
    assert.equal(await summary("Unpaid").textContent(), "¥0.00");
    assert.equal(await page.getByText("is unpaid.").count(), 0);
    const after = await api();
    assert.equal(await summary("Balance").textContent(), yuan(after.Balance));

    await page.getByLabel("Show").selectOption("Paid");
    await untilInPage(page, `document.querySelectorAll("table.bills tbody tr").length === 20`, "the paid bills");
    // Paid by the top-up, after they were written: the pay time is shown.
    const paidLater = unpaid.BillSet[0] as Bill;
    await page.getByLabel("Show").selectOption("");
    await untilInPage(page, `document.querySelectorAll("table.bills tbody tr").length === 20`, "every bill");
    const topup = after.BillSet.find((b) => b.Kind === "topup") as Bill;
    const cells = await rowOf(topup.BillId).locator("td").allTextContents();
    assert.deepEqual([cells[1], cells[3], cells[4]], ["Account", "—", "+1000.00"], "no resource, no period, a credit");
    assert.ok(cells[2]?.startsWith("Top-up"), cells[2]);
    assert.match((await rowOf(paidLater.BillId).locator("td").nth(5).textContent()) ?? "", /^Paid ?paid /);
  });

  it("speaks Chinese and stays clean in dark mode", async () => {
    await page.getByLabel("Language").selectOption("zh");
    await page.getByRole("heading", { name: "账单", level: 1 }).waitFor();
    await page.getByRole("columnheader", { name: "金额（元）" }).waitFor();
    assert.ok((await dataRows().allTextContents()).some((t) => t.includes("按量计费（小时）")));
    await assertNoViolations(page, "bills page in Chinese");
    await page.getByRole("button", { name: "深色模式" }).click();
    await assertNoViolations(page, "bills page in Chinese, dark");
    await shot(page, "bills-zh-dark.png");
    await page.getByRole("button", { name: "深色模式" }).click();
    await page.getByLabel("语言 Language").selectOption("en");
    await page.getByRole("heading", { name: "Bills", level: 1 }).waitFor();
  });

  it("fits a phone: the table scrolls in its frame, the page never sideways", async () => {
    const phone = await browser.newContext({ ...CONTEXT, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      p.setDefaultTimeout(TIMEOUT);
      await p.goto(`${s.url}/console/`);
      await logIn(p);
      await p.getByRole("link", { name: "Bills" }).click();
      await untilInPage(p, `document.querySelectorAll("table.bills tbody tr").length === 20`, "the bills on a phone");
      assert.ok(Number(await p.evaluate("document.documentElement.scrollWidth")) <= 390, "the page does not scroll sideways");
      await shot(p, "phone-bills.png");
    } finally {
      await phone.close();
    }
  });

  it("shows another account none of these bills, only its own balance", async () => {
    const b = await s.account("bills-b");
    const ctxB = await browser.newContext(CONTEXT);
    try {
      const pb = await ctxB.newPage();
      await pb.goto(`${s.url}/console/`);
      await logIn(pb, b);
      await pb.goto(`${s.url}/console/#/bills`);
      await pb.getByRole("heading", { name: "Bills", level: 1 }).waitFor({ timeout: TIMEOUT });
      const theirs = (await s.call("DescribeCompShareBills", {}, { PublicKey: b.PublicKey, PrivateKey: b.PrivateKey })).body as unknown as Bills;
      assert.ok(theirs.BillSet.every((x) => x.ResourceId === ""), `B has no bill of a resource: ${JSON.stringify(theirs.BillSet)}`);
      // B's own bills (an opening balance, if the account got one), and nothing else.
      if (theirs.TotalCount === 0) await pb.getByText("No bills yet.").waitFor({ timeout: TIMEOUT });
      else await untilInPage(pb, `document.querySelectorAll("table.bills tbody tr").length === ${theirs.TotalCount}`, "B's own bills");
      const shown = await pb.locator("table.bills tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-bill")));
      assert.deepEqual(shown, theirs.BillSet.map((x) => x.BillId));
      const text = (await pb.locator(".bills-summary").textContent()) ?? "";
      assert.ok(text.includes(yuan(theirs.Balance)), text);
      assert.ok(!(await pb.content()).includes(id), "none of A's resources");
    } finally {
      await ctxB.close();
    }
  });

  it("goes back to the instances by the header's link; nothing was refused by the CSP nor thrown", async () => {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Instances" }).click();
    await page.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
    assert.deepEqual(problems, []);
  });
});
