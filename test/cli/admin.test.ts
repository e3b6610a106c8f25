/** The admin commands, run as a user would (`ocs account create`, `ocs key …`), on the server's own data. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { OCS_BIN } from "../helpers/process.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);

describe("ocs admin commands", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-cli-"));
  let s: TestServer;
  let env: NodeJS.ProcessEnv = {};
  const ocs = (...args: string[]) => run(process.execPath, [OCS_BIN, ...args], { env });
  before(async () => {
    s = await startServer({ dataDir, keepData: true, env: { OCS_INITIAL_BALANCE: "10000" } });
    // The same data directory and database as the server, as the README says.
    env = {
      ...process.env,
      OCS_DATA_DIR: dataDir,
      ...(s.config.databaseUrl ? { OCS_DATABASE_URL: s.config.databaseUrl } : {}),
      ...(s.config.masterKey ? { OCS_MASTER_KEY: s.config.masterKey } : {}),
    };
  });
  after(async () => {
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("account create prints the credentials as JSON, and they work against the server", async () => {
    const { stdout } = await ocs("account", "create", "alice");
    const creds = JSON.parse(stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(creds).sort(), ["AccountId", "AccountNumber", "PrivateKey", "ProjectId", "PublicKey"]);
    const keys = { PublicKey: creds.PublicKey as string, PrivateKey: creds.PrivateKey as string };
    const res = await s.call("DescribeCompShareInstance", REGION, keys);
    assert.equal(res.body.RetCode, 0);
    assert.equal(res.body.TotalCount, 0);
    // Without ProjectId the default project is used; with it, the same project.
    const withProject = await s.call("DescribeCompShareInstance", { ...REGION, ProjectId: creds.ProjectId as string }, keys);
    assert.equal(withProject.body.RetCode, 0);
  });

  it("key create adds a pair; key disable refuses it with 172; key enable restores it", async () => {
    const { stdout } = await ocs("key", "create", "alice");
    const pair = JSON.parse(stdout) as { PublicKey: string; PrivateKey: string };
    assert.equal((await s.call("DescribeCompShareInstance", REGION, pair)).body.RetCode, 0);
    await ocs("key", "disable", pair.PublicKey);
    const refused = await s.call("DescribeCompShareInstance", REGION, pair);
    assert.equal(refused.body.RetCode, 172);
    assert.equal(refused.body.Message, "User Not Exists");
    await ocs("key", "enable", pair.PublicKey);
    assert.equal((await s.call("DescribeCompShareInstance", REGION, pair)).body.RetCode, 0);
  });

  it("balance show / topup / set: JSON of the balance, what is unpaid and the ledger; bad amounts exit 2, an unknown account 1", async () => {
    const shown = JSON.parse((await ocs("balance", "show", "default")).stdout) as { Balance: number; Unpaid: number; Ledger: unknown[] };
    assert.equal(shown.Balance, 10000);
    assert.equal(shown.Unpaid, 0);
    const topped = JSON.parse((await ocs("balance", "topup", "default", "12.5")).stdout) as { Balance: number; PaidOrders: number; Ledger: Array<{ Kind: string; Amount: number }> };
    assert.equal(topped.Balance, 10012.5);
    assert.equal(topped.PaidOrders, 0);
    assert.deepEqual(topped.Ledger[0], { ...topped.Ledger[0], Kind: "topup", Amount: 12.5 });
    assert.equal(JSON.parse((await ocs("balance", "set", "default", "0")).stdout).Balance, 0);
    assert.equal(JSON.parse((await ocs("balance", "set", "default", "10000")).stdout).Balance, 10000);
    for (const bad of ["1.234", "abc", "0", "1e3"]) {
      await assert.rejects(ocs("balance", "topup", "default", bad), (e: { code: number; stderr: string }) => e.code === 2 && /CNY must be/.test(e.stderr), bad);
    }
    await assert.rejects(ocs("balance", "topup", "default", "--", "-1"), (e: { code: number; stderr: string }) => e.code === 2 && /CNY must be/.test(e.stderr));
    await assert.rejects(ocs("balance", "show", "nobody"), (e: { code: number; stderr: string }) => e.code === 1 && /no account nobody/.test(e.stderr));
  });

  it("instance policy ID shows the balance and the next step of the instance's timeline", async () => {
    const created = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Day" });
    const id = (created.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    const apiEnv = { ...env, UCLOUD_PUBLIC_KEY: s.keys.PublicKey, UCLOUD_PRIVATE_KEY: s.keys.PrivateKey, UCLOUD_BASE_URL: s.url, OCS_CONFIG: join(dataDir, "none.json") };
    const text = (await run(process.execPath, [OCS_BIN, "instance", "policy", id], { env: apiEnv })).stdout;
    assert.match(text, /ChargeType\s+Day/);
    // The Day instance paid its first day (36.73 CNY, the billing guide's price) at Create.
    assert.match(text, /Balance\s+9963\.27 CNY/);
    assert.match(text, /Timeline\s+expiry/);
    assert.match(text, /NextStep\s+expiry-reminder at /);
    const json = JSON.parse((await run(process.execPath, [OCS_BIN, "instance", "policy", id, "--output", "json"], { env: apiEnv })).stdout) as { NextStep: string; Timeline: string };
    assert.deepEqual([json.Timeline, json.NextStep], ["expiry", "expiry-reminder"]);
  });

  it("account list, key list (private keys masked), account disable and enable", async () => {
    const created = JSON.parse((await ocs("account", "create", "carol")).stdout) as { AccountId: string; PublicKey: string; PrivateKey: string };
    const keys = { PublicKey: created.PublicKey, PrivateKey: created.PrivateKey };
    const lines = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const accounts = lines((await ocs("account", "list")).stdout);
    const carol = accounts.find((a) => a.Name === "carol");
    assert.deepEqual(
      { ...carol, CreateTime: 0 },
      {
        AccountId: created.AccountId,
        Name: "carol",
        AccountNumber: carol?.AccountNumber,
        Status: "active",
        ActiveKeys: 1,
        Instances: 0,
        CreateTime: 0,
        // Made by `ocs account create`: verified, at Level 1 (test/cli/account-levels.test.ts has the rest).
        Level: 1,
        LevelFrom: "operator",
        PaidIn: 0,
        Verified: true,
        InstanceLimit: 5,
        LimitFrom: "level",
      },
    );
    assert.ok(accounts.some((a) => a.Name === "default"));
    const listed = await ocs("key", "list", "carol");
    assert.ok(!listed.stdout.includes(created.PrivateKey), "no private key is printed");
    assert.deepEqual(lines(listed.stdout).map((k) => [k.PublicKey, k.PrivateKey, k.Status, k.Origin]), [[created.PublicKey, "********", "active", "created"]]);

    const disabled = JSON.parse((await ocs("account", "disable", "carol")).stdout) as { Status: string; DisabledKeys: string[] };
    assert.deepEqual(disabled.DisabledKeys, [created.PublicKey]);
    assert.equal((await s.call("DescribeCompShareInstance", REGION, keys)).body.RetCode, 172);
    await assert.rejects(ocs("key", "create", "carol"), (e: { code: number; stderr: string }) => e.code === 1 && /disabled/.test(e.stderr));
    await assert.rejects(ocs("key", "enable", created.PublicKey), (e: { code: number; stderr: string }) => e.code === 1 && /account enable/.test(e.stderr));
    assert.equal(lines((await ocs("account", "list")).stdout).find((a) => a.Name === "carol")?.Status, "disabled");

    await ocs("account", "enable", "carol");
    assert.equal((await s.call("DescribeCompShareInstance", REGION, keys)).body.RetCode, 172, "its keys stay disabled");
    await ocs("key", "enable", created.PublicKey);
    assert.equal((await s.call("DescribeCompShareInstance", REGION, keys)).body.RetCode, 0);
  });

  it("refuses a duplicate account and an unknown one with exit code 1, bad usage with 2", async () => {
    await assert.rejects(ocs("account", "create", "alice"), (e: { code: number; stderr: string }) => e.code === 1 && /exists/.test(e.stderr));
    await assert.rejects(ocs("key", "create", "nobody"), (e: { code: number }) => e.code === 1);
    await assert.rejects(ocs("account"), (e: { code: number }) => e.code === 2);
    await assert.rejects(ocs("frobnicate"), (e: { code: number }) => e.code === 2);
  });

  it("keeps the master key private and stores no private key in clear", async () => {
    if (!s.config.masterKey) assert.equal(statSync(join(dataDir, "master.key")).mode & 0o777, 0o600);
    const rows = await s.app.store.db.selectFrom("api_keys").select(["private_key_sealed"]).execute();
    for (const r of rows) assert.match(r.private_key_sealed, /^v1:/);
    assert.ok(!rows.some((r) => r.private_key_sealed.includes("my_private_key")));
  });
});
