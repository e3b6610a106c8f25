/**
 * The Monitoring section of an instance's page in a real browser, against a real server on the
 * ManualClock, whose simulated load is a function of that clock: the charts say (and draw) what
 * GetCompShareInstanceMonitor answers for the window the page asked for, follow the load when
 * the clock moves, ask for 1 h, 6 h or 24 h as picked, stop asking once the page is left, and
 * stay clean for axe in light and dark mode and in Chinese. With OCS_SCREENSHOTS=1 the test
 * saves docs/images/console-monitoring.png.
 */
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { advanceUntilShown, assertNoViolations, consoleInBrowser, CONTEXT as LAPTOP, logIn, OUTPUT, shot, untilInPage } from "../helpers/browser.js";
import { REGION, type TestServer } from "../helpers/server.js";
const POLL_MS = 30_000;
/** A taller screen, for all four charts. */
const CONTEXT = { ...LAPTOP, viewport: { width: 1280, height: 900 } } as const;
const CHARTS = [
  ["uhost_cpu_used", "CPU usage", "CPU 使用率"],
  ["cloudwatch_memory_usage", "Memory usage", "内存使用率"],
  ["cloudwatch_gpu_util", "GPU utilisation", "GPU 使用率"],
  ["cloudwatch_gpu_memory_usage", "GPU memory usage", "GPU 显存使用率"],
] as const;
const OVER: Record<number, string> = { 3600: "over the last hour", 21600: "over the last 6 hours", 86400: "over the last 24 hours" };

interface Window {
  StartTime: number;
  EndTime: number;
}
type Metric = { MetricKey: string; Results: { TagMap: Record<string, string>; Values: { Timestamp: number; Value: number }[] }[] };

describe("the instance page's monitoring charts", { timeout: 5 * 60_000 }, () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let id: string;
  /** The page's GetCompShareInstanceMonitor calls, in order. */
  const asked: Window[] = [];
  const problems: string[] = [];

  const isMonitor = (r: Request) => r.url().endsWith("/console/api/call") && (r.postDataJSON() as { Action?: string } | null)?.Action === "GetCompShareInstanceMonitor";

  before(async () => {
    ({ s, browser, ctx } = await consoleInBrowser(CONTEXT));
    // The page's timers on Playwright's clock: it flows, and fastForward brings the next poll at once.
    await ctx.clock.install();
    page = await ctx.newPage();
    page.on("request", (r) => {
      if (isMonitor(r)) asked.push(r.postDataJSON() as Window);
    });
    page.on("console", (m) => {
      if (m.type() === "error" || /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    id = await s.running();
    await page.goto(`${s.url}/console/`);
    await logIn(page);
  });

  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const serverNowS = () => Math.floor(s.clock.now() / 1000);
  const noViolations = (where: string) => assertNoViolations(page, where);

  /** What the server answers for the same window, said as the page should say it (one GPU: no GPU name). */
  async function expected(w: Window): Promise<string[]> {
    const r = await s.call("GetCompShareInstanceMonitor", { ...REGION, "UHostIds.0": id, StartTime: w.StartTime, EndTime: w.EndTime });
    assert.equal(r.body.RetCode, 0, JSON.stringify(r.body));
    const metrics = (r.body.Data as { List: { Metrics: Metric[] }[] }).List[0]!.Metrics;
    return CHARTS.map(([key, title]) => {
      const results = metrics.find((m) => m.MetricKey === key)!.Results;
      assert.equal(results.length, 1, `${key}: one series`);
      const values = [...results[0]!.Values].sort((a, b) => a.Timestamp - b.Timestamp).map((v) => v.Value);
      assert.ok(values.length > 10, `${key}: the server has data (${values.length} points)`);
      const f = (v: number) => v.toFixed(1);
      return `${title}: latest ${f(values.at(-1)!)} %, range ${f(Math.min(...values))}–${f(Math.max(...values))} % ${OVER[w.EndTime - w.StartTime]}`;
    });
  }

  const chart = (name: string) => page.getByRole("img", { name, exact: true });
  const labels = () => page.getByRole("img").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));

  /** Waits for the page's next monitor call that satisfies `ok`, and its answer. */
  async function nextCall(ok: (w: Window) => boolean, act: () => Promise<unknown>): Promise<Window> {
    const req = page.waitForRequest((r) => isMonitor(r) && ok(r.postDataJSON() as Window));
    await act();
    const r = await req;
    await r.response();
    return r.postDataJSON() as Window;
  }

  /** The pixels of the chart's canvas in its first series' colour (the theme's --chart-1). */
  const seriesPixels = (name: string): Promise<number> =>
    page.evaluate(`(() => {
      const el = [...document.querySelectorAll("[role=img]")].find((e) => e.getAttribute("aria-label") === ${JSON.stringify(name)});
      const canvas = el?.querySelector("canvas");
      if (!canvas) return -1;
      const hex = getComputedStyle(document.documentElement).getPropertyValue("--chart-1").trim();
      const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 200 && Math.abs(data[i] - want[0]) + Math.abs(data[i + 1] - want[1]) + Math.abs(data[i + 2] - want[2]) < 60) n++;
      }
      return n;
    })()`) as Promise<number>;

  /** Waits until the chart's canvas shows its line in the theme's colour (it is drawn anew when the theme changes). */
  async function waitDrawn(name: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await seriesPixels(name)) > 100) return;
      await page.waitForTimeout(50);
    }
    assert.fail(`${name}: never drawn in ${await page.evaluate(`getComputedStyle(document.documentElement).getPropertyValue("--chart-1")`)}`);
  }

  it("draws the server's data for the last hour, by the server's clock, and says its latest value and range", async () => {
    const w = await nextCall(() => true, () => page.getByRole("link", { name: "host", exact: true }).click());
    await page.getByRole("heading", { name: "Monitoring", level: 2 }).waitFor();
    assert.equal(w.EndTime - w.StartTime, 3600);
    // The browser's clock is days away from the server's: the window is the server's last hour.
    assert.ok(Math.abs(w.EndTime - serverNowS()) <= 60, `the window ends at the server's now: ${w.EndTime} vs ${serverNowS()}`);
    for (const label of await expected(w)) await chart(label).waitFor();
    assert.equal(await page.getByRole("button", { name: "1 hour", pressed: true }).count(), 1);
    for (const [, title] of CHARTS) {
      const drawn = await seriesPixels((await labels()).find((l) => l.startsWith(`${title}:`))!);
      assert.ok(drawn > 100, `${title}: the line is drawn (${drawn} pixels of its colour)`);
    }
    await noViolations("instance page with charts");
    await shot(page, "monitoring.png");
    if (process.env.OCS_SCREENSHOTS === "1") {
      // The page down to the end of the Monitoring section.
      const section = await page.getByRole("region", { name: "Monitoring" }).boundingBox();
      assert.ok(section);
      await page.screenshot({ path: join(OUTPUT, "console-monitoring.png"), fullPage: true, clip: { x: 0, y: 0, width: CONTEXT.viewport.width, height: Math.ceil(section.y + section.height + 24) } });
      copyFileSync(join(OUTPUT, "console-monitoring.png"), join(import.meta.dirname, "..", "..", "docs", "images", "console-monitoring.png"));
    }
  });

  it("moves with the simulated load when the server's clock moves, and again says what the server answers", async () => {
    const before = await labels();
    await s.clock.advance(11 * 60_000);
    const now = serverNowS();
    // The next poll asks for the window ending at the page's idea of now, learns the server's, and asks again.
    const w = await nextCall((x) => x.EndTime >= now, () => page.clock.fastForward(POLL_MS));
    assert.equal(w.EndTime - w.StartTime, 3600);
    const want = await expected(w);
    for (const label of want) await chart(label).waitFor();
    const after = await labels();
    assert.deepEqual(after, want);
    assert.notDeepEqual(after, before, "the charts changed");
  });

  it("asks for 6 hours or 24 hours as picked, and says so", async () => {
    for (const [button, span] of [["6 hours", 21600], ["24 hours", 86400], ["1 hour", 3600]] as const) {
      const w = await nextCall((x) => x.EndTime - x.StartTime === span, () => page.getByRole("button", { name: button }).click());
      await page.getByRole("button", { name: button, pressed: true }).waitFor();
      for (const label of await expected(w)) await chart(label).waitFor();
    }
  });

  it("stays clean for axe in dark mode and in Chinese, with every label translated", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await untilInPage(page, "getComputedStyle(document.documentElement).colorScheme === 'dark'", "dark colour scheme");
    // The charts are drawn again, in the dark theme's series colour.
    assert.equal(await page.evaluate(`getComputedStyle(document.documentElement).getPropertyValue("--chart-1").trim()`), "#4c9be8");
    for (const name of await labels()) await waitDrawn(name);
    await noViolations("instance page with charts, dark");
    await shot(page, "monitoring-dark.png");
    await page.getByLabel("Language").selectOption("zh");
    await page.getByRole("heading", { name: "监控", level: 2 }).waitFor();
    for (const b of ["1 小时", "6 小时", "24 小时"]) await page.getByRole("button", { name: b }).waitFor();
    const zh = await labels();
    CHARTS.forEach(([, , title], i) => assert.match(zh[i] ?? "", new RegExp(`^${title}：最近 1 小时，最新 \\d+\\.\\d%，范围 \\d+\\.\\d–\\d+\\.\\d%$`), zh[i]));
    await noViolations("instance page with charts, 中文, dark");
    await page.emulateMedia({ colorScheme: "light" });
    await noViolations("instance page with charts, 中文");
    await shot(page, "monitoring-zh.png");
    await page.getByLabel("Language").selectOption("en");
    await page.getByRole("heading", { name: "Monitoring", level: 2 }).waitFor();
  });

  it("says there is no data while the instance is not running", async () => {
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await advanceUntilShown(s, chart("CPU usage: no data, the instance is not running"), "no data once stopped");
    for (const [, title] of CHARTS) await chart(`${title}: no data, the instance is not running`).waitFor();
    await noViolations("instance page without data");
  });

  it("stops asking once the page is left, and nothing was refused by the CSP meanwhile", async () => {
    await page.getByRole("link", { name: "All instances" }).click();
    await page.getByRole("heading", { name: "Instances", level: 1 }).waitFor();
    const count = asked.length;
    await page.clock.fastForward(POLL_MS);
    await page.clock.fastForward(POLL_MS);
    await page.getByRole("row").filter({ hasText: id }).waitFor();
    assert.equal(asked.length, count, "no monitor call after the page was left");
    assert.deepEqual(problems, []);
  });
});
