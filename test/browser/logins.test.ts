/**
 * The login an instance's page shows, in a real browser against a real server on the ManualClock:
 * for a system image (Ubuntu) ubuntu on port 22, for a container image root on port 23, the public
 * and private addresses from IPSet, and the SSH command from SshLoginCommand, which a button copies
 * to the clipboard. In English and in Chinese, clean for axe.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { assertNoViolations, consoleInBrowser, logIn } from "../helpers/browser.js";
import { CREATE, REGION, type TestServer } from "../helpers/server.js";

interface Described {
  SshLoginCommand: string;
  IPSet: Array<{ IP: string; Type: string }>;
}

describe("the instance page's login", { timeout: 5 * 60_000 }, () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  const running = async (image: string): Promise<string> => {
    const res = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay", CompShareImageId: image });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    return id;
  };
  const described = async (id: string): Promise<Described> =>
    ((await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id })).body.UHostSet as Described[])[0] as Described;

  /** The value the details list shows under `term`. */
  const detail = async (term: string): Promise<string> => {
    const dt = page.locator("dl.details dt", { hasText: new RegExp(`^${term}$`) });
    await dt.waitFor();
    return ((await dt.locator("xpath=following-sibling::dd[1]").textContent()) ?? "").trim();
  };

  before(async () => {
    ({ s, browser, ctx } = await consoleInBrowser());
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.url });
    page = await ctx.newPage();
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${s.url}/console/`);
    await logIn(page);
  });

  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it("a system image's instance: ubuntu, port 22, its addresses and its SSH command, which Copy copies", async () => {
    const id = await running(CREATE.CompShareImageId);
    const d = await described(id);
    const pub = d.IPSet.find((x) => x.Type !== "Private")?.IP ?? "";
    const priv = d.IPSet.find((x) => x.Type === "Private")?.IP ?? "";
    assert.match(pub, /^\d+\.\d+\.\d+\.\d+$/);
    await page.goto(`${s.url}/console/#/instances/${id}`);
    assert.equal(await detail("Login"), "ubuntu, port 22");
    assert.equal(await detail("Public IP"), pub);
    assert.equal(await detail("Private IP"), priv);
    await page.getByText(`ssh ubuntu@${pub}`, { exact: true }).waitFor();
    await page.getByRole("button", { name: "Copy the SSH command" }).click();
    await page.getByRole("status").filter({ hasText: "Copied." }).waitFor();
    assert.equal(await page.evaluate("navigator.clipboard.readText()"), `ssh ubuntu@${pub}`);
    assert.equal(d.SshLoginCommand, `ssh ubuntu@${pub}`);
    await assertNoViolations(page, "a VM's page");
  });

  it("a container image's instance: root, port 23, in English and in Chinese", async () => {
    const id = await running("compshareImage-pytorch24");
    const d = await described(id);
    const pub = d.IPSet.find((x) => x.Type !== "Private")?.IP ?? "";
    await page.goto(`${s.url}/console/#/instances/${id}`);
    assert.equal(await detail("Login"), "root, port 23");
    assert.equal(await detail("SSH command").then((t) => t.startsWith(`ssh -p 23 root@${pub}`)), true);
    await page.getByLabel("Language").selectOption("zh");
    assert.equal(await detail("登录"), "root，端口 23");
    assert.equal(await detail("外网 IP"), pub);
    await page.getByRole("button", { name: "复制 SSH 登录命令" }).waitFor();
    await assertNoViolations(page, "a container's page, in Chinese");
    await page.getByLabel("语言").selectOption("en");
    assert.deepEqual(problems, []);
  });
});
