/**
 * `ocs bills` against a real server on the ManualClock (in this process): the hours of a
 * pay-as-you-go instance unpaid on an empty balance, `ocs balance topup` paying them, the table
 * and --json, the filters (--since, --until, --resource, --kind, --unpaid, --limit), the usage
 * errors, and another account's keys, which see none of it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { money, periodOf, timeOption } from "../../packages/cli/src/commands/bills.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { HOUR, MIN, runningInstance } from "../policies/helpers.js";
import { ocs, type Run } from "./run-ocs.js";

interface Bills {
  TotalCount: number;
  Balance: number;
  Unpaid: number;
  BillSet: Array<{ BillId: string; ResourceId: string; Kind: string; Amount: number; PayStatus: string; CreateTime: number }>;
}

/** The table's data rows (up to the blank line before the balance), split on runs of two or more spaces. */
const tableRows = (stdout: string): string[][] =>
  stdout
    .split("\n\n")[0]!
    .split("\n")
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(/ {2,}/));

describe("ocs bills", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-cli-bills-"));
  let s: TestServer;
  /** The `ocs` environment of the server's own commands (balance), and of the API as the default account. */
  let serverEnv: Record<string, string> = {};
  let env: Record<string, string> = {};
  let otherEnv: Record<string, string> = {};
  let id = "";
  let hourly = 0;
  const ok = (r: Run) => assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const bills = async (...args: string[]): Promise<Bills> => {
    const r = await ocs(["bills", ...args, "--json"], env);
    ok(r);
    return JSON.parse(r.stdout) as Bills;
  };

  before(async () => {
    s = await startServer({ dataDir, keepData: true, env: { OCS_INITIAL_BALANCE: "0" } });
    serverEnv = {
      OCS_DATA_DIR: dataDir,
      ...(s.config.databaseUrl ? { OCS_DATABASE_URL: s.config.databaseUrl } : {}),
      ...(s.config.masterKey ? { OCS_MASTER_KEY: s.config.masterKey } : {}),
    };
    env = { UCLOUD_PUBLIC_KEY: s.keys.PublicKey, UCLOUD_PRIVATE_KEY: s.keys.PrivateKey, UCLOUD_BASE_URL: s.url, OCS_CONFIG: join(dataDir, "none.json"), TZ: "UTC" };
    const other = await s.account("neighbour");
    otherEnv = { ...env, UCLOUD_PUBLIC_KEY: other.PublicKey, UCLOUD_PRIVATE_KEY: other.PrivateKey };
    const price = await s.call("GetCompShareInstancePrice", { ...REGION, GpuType: "4090", Gpu: 1, Cpu: 16, Memory: 65536, ChargeType: "Postpay", CompShareImageId: "compshareImage-ubuntu2204" });
    const q = (price.body.PriceDetail as Array<{ Instance: number; Disks: number; SystemDisks: number; CompShareImage: number }>)[0]!;
    hourly = Math.round((q.Instance + q.Disks + q.SystemDisks + q.CompShareImage) * 100) / 100;
    assert.ok(hourly > 0);
  });
  after(async () => {
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists the unpaid hours of an empty balance: a table, then the balance and what is unpaid", async () => {
    id = await runningInstance(s, { ChargeType: "Postpay" });
    await s.clock.advance(2 * HOUR + 10 * MIN);
    await s.app.policies.pass();

    const r = await ocs(["bills"], env);
    ok(r);
    assert.match(r.stdout, /^TIME +RESOURCE +KIND +PERIOD +AMOUNT +STATUS +BALANCE$/m);
    const hours = tableRows(r.stdout).filter((row) => row[2] === "hour");
    assert.equal(hours.length, 2, r.stdout);
    for (const row of hours) {
      assert.equal(row[1], id);
      assert.equal(row[4], money(-hourly));
      assert.equal(row[5], "Unpaid");
      assert.match(row[3] ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d – (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d$/, "the period");
    }
    assert.match(r.stdout, /^Balance +0\.00 CNY$/m);
    assert.match(r.stdout, new RegExp(`^Unpaid +${(2 * hourly).toFixed(2).replace(".", "\\.")} CNY$`, "m"));

    const json = await bills("--unpaid");
    assert.equal(json.TotalCount, 2);
    assert.ok(json.BillSet.every((b) => b.PayStatus === "Unpaid" && b.ResourceId === id && b.Amount === -hourly));
    // --output json is the same answer.
    const output = await ocs(["bills", "--unpaid", "--output", "json"], env);
    ok(output);
    assert.deepEqual((JSON.parse(output.stdout) as Bills).BillSet, json.BillSet);
  });

  it("`ocs balance topup` pays them: nothing unpaid, the top-up a credit of the account", async () => {
    ok(await ocs(["balance", "topup", "default", "100"], serverEnv));
    const r = await ocs(["bills", "--unpaid"], env);
    ok(r);
    assert.deepEqual(tableRows(r.stdout), [], "no unpaid bill");
    assert.match(r.stdout, /^Unpaid +0\.00 CNY$/m);
    assert.match(r.stdout, new RegExp(`^Balance +${(100 - 2 * hourly).toFixed(2).replace(".", "\\.")} CNY$`, "m"));

    const topup = tableRows((await ocs(["bills", "--kind", "topup"], env)).stdout);
    assert.equal(topup.length, 1);
    assert.deepEqual(topup[0]?.slice(1, 6), ["-", "topup", "-", "+100.00", "Paid"], "no resource, no period");
    const all = await bills("--resource", id);
    assert.equal(all.TotalCount, 2);
    assert.ok(all.BillSet.every((b) => b.PayStatus === "Paid"));
  });

  it("filters by time (Unix seconds or a date), pages with --limit and --offset", async () => {
    const pass = Math.floor(s.clock.now() / 1000);
    assert.equal((await bills("--since", String(pass), "--until", String(pass + 1))).TotalCount, 2, "the two hours, written at the pass");
    // The server's clock is on 2026-11-26; the top-up was written by the real clock, after it.
    assert.equal((await bills("--since", "2026-11-26T00:00:00Z", "--until", "2026-11-27T00:00:00Z")).TotalCount, 2);
    assert.equal((await bills("--since", String(pass + 1), "--kind", "hour")).TotalCount, 0);

    const first = await ocs(["bills", "--resource", id, "--limit", "1"], env);
    ok(first);
    assert.equal(tableRows(first.stdout).length, 1);
    assert.match(first.stderr, /showing 1 of 2; see --limit and --offset/);
    const page1 = await bills("--resource", id, "--limit", "1");
    const page2 = await bills("--resource", id, "--limit", "1", "--offset", "1");
    assert.equal(page1.BillSet.length, 1);
    assert.equal(page2.BillSet.length, 1);
    assert.notEqual(page1.BillSet[0]?.BillId, page2.BillSet[0]?.BillId);
  });

  it("usage errors exit 2 and say what is expected", async () => {
    const bad = await ocs(["bills", "--since", "last tuesday"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since must be Unix seconds, a time ago/);
    const backwards = await ocs(["bills", "--since", "2000", "--until", "1000"], env);
    assert.equal(backwards.code, 2);
    assert.match(backwards.stderr, /--until must be after --since/);
    const limit = await ocs(["bills", "--limit", "-1"], env);
    assert.equal(limit.code, 2);
    const help = await ocs(["bills", "--help"], env);
    ok(help);
    for (const flag of ["--since", "--until", "--resource", "--kind", "--unpaid", "--limit", "--json", "--output"]) assert.ok(help.stdout.includes(flag), flag);
    assert.match((await ocs(["help"], env)).stdout, /^ {2}bills /m);
  });

  it("another account's keys see none of these bills", async () => {
    const r = await ocs(["bills", "--limit", "100"], otherEnv);
    ok(r);
    assert.ok(!r.stdout.includes(id), r.stdout);
    assert.ok(tableRows(r.stdout).every((row) => row[2] !== "hour"));
    const json = JSON.parse((await ocs(["bills", "--resource", id, "--json"], otherEnv)).stdout) as Bills;
    assert.equal(json.TotalCount, 0);
    assert.equal(json.Unpaid, 0);
  });

  it("reads times and money as the help says", () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0);
    assert.equal(timeOption({ since: "1795000000" }, "since", now), 1795000000);
    assert.equal(timeOption({ since: "2h" }, "since", now), now / 1000 - 7200);
    assert.equal(timeOption({ since: "7d" }, "since", now), now / 1000 - 7 * 86400);
    assert.equal(timeOption({ since: "2026-11-26T00:00:00Z" }, "since", now), Date.UTC(2026, 10, 26) / 1000);
    assert.equal(timeOption({}, "since", now), undefined);
    assert.equal(money(-1.5), "-1.50");
    assert.equal(money(100), "+100.00");
    assert.equal(money(0), "0.00");
    assert.equal(periodOf({ BeginTime: 100, EndTime: 100 }), "");
  });
});
