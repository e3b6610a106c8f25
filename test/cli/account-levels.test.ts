/**
 * The operator's account standing commands, run as a user would, on the server's own data:
 * `ocs account create --level N|auto --unverified`, `ocs account level`, `ocs account verify
 * [--revoke]`, `ocs account quota`, and what `ocs account list` shows of them. Each takes effect
 * on the server's next create.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { OCS_BIN } from "../helpers/process.js";
import { CREATE, startServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);

interface Listed {
  Name: string;
  Level: number;
  LevelFrom: string;
  PaidIn: number;
  Verified: boolean;
  InstanceLimit: number;
  LimitFrom: string;
}

describe("ocs account level, verify, quota", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-cli-levels-"));
  let s: TestServer;
  let env: NodeJS.ProcessEnv = {};
  const ocs = (...args: string[]) => run(process.execPath, [OCS_BIN, ...args], { env });
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse((await ocs(...args)).stdout) as T;
  const listed = async (name: string): Promise<Listed | undefined> =>
    (await ocs("account", "list")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Listed)
      .find((a) => a.Name === name);
  const fails = (args: string[], code: number, stderr: RegExp) =>
    assert.rejects(ocs(...args), (e: { code: number; stderr: string }) => e.code === code && stderr.test(e.stderr));

  before(async () => {
    s = await startServer({ dataDir, keepData: true, env: { OCS_INSTANCE_QUOTA: "" } });
    env = {
      ...process.env,
      OCS_DATA_DIR: dataDir,
      ...(s.config.databaseUrl ? { OCS_DATABASE_URL: s.config.databaseUrl } : {}),
      ...(s.config.masterKey ? { OCS_MASTER_KEY: s.config.masterKey } : {}),
    };
    delete env.OCS_INSTANCE_QUOTA;
  });
  after(async () => {
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("account list shows each account's level, verification and instance limit", async () => {
    const def = await listed("default");
    assert.deepEqual(def, { ...def, Level: 4, LevelFrom: "operator", PaidIn: 0, Verified: true, InstanceLimit: 100, LimitFrom: "level" });
    await ocs("account", "create", "plain");
    const plain = await listed("plain");
    assert.deepEqual([plain?.Level, plain?.LevelFrom, plain?.Verified, plain?.InstanceLimit], [1, "operator", true, 5]);
  });

  it("create --level and --unverified; verify and verify --revoke answer the next create", async () => {
    const creds = await json<{ PublicKey: string; PrivateKey: string }>("account", "create", "newbie", "--level", "auto", "--unverified");
    const keys = { PublicKey: creds.PublicKey, PrivateKey: creds.PrivateKey };
    assert.deepEqual(
      [(await listed("newbie"))?.Level, (await listed("newbie"))?.LevelFrom, (await listed("newbie"))?.Verified, (await listed("newbie"))?.InstanceLimit],
      [0, "payments", false, 1],
    );
    const refused = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" }, keys);
    assert.equal(refused.body.RetCode, 226606, JSON.stringify(refused.body));
    const verified = await json<Listed>("account", "verify", "newbie");
    assert.equal(verified.Verified, true);
    assert.equal((await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" }, keys)).body.RetCode, 0);
    const second = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" }, keys);
    assert.equal(second.body.Message, "QuotaExceeded: the account is at Level 0, which allows 1 instance; it has 1, and 1 more do not fit");
    // A top-up lifts an account left to its payments to Level 1.
    await ocs("balance", "topup", "newbie", "1");
    assert.deepEqual([(await listed("newbie"))?.Level, (await listed("newbie"))?.PaidIn], [1, 1]);
    assert.equal((await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" }, keys)).body.RetCode, 0);
    assert.equal((await json<Listed>("account", "verify", "newbie", "--revoke")).Verified, false);
    assert.equal((await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" }, keys)).body.RetCode, 226606);
  });

  it("level sets an operator's level, auto hands it back to the payments; quota gives an account its own", async () => {
    await ocs("account", "create", "lev", "--level", "3");
    assert.deepEqual([(await listed("lev"))?.Level, (await listed("lev"))?.InstanceLimit], [3, 50]);
    const two = await json<Listed>("account", "level", "lev", "2");
    assert.deepEqual([two.Level, two.LevelFrom, two.InstanceLimit], [2, "operator", 20]);
    const auto = await json<Listed>("account", "level", "lev", "auto");
    assert.deepEqual([auto.Level, auto.LevelFrom, auto.InstanceLimit], [0, "payments", 1]);
    const own = await json<Listed>("account", "quota", "lev", "7");
    assert.deepEqual([own.InstanceLimit, own.LimitFrom], [7, "account"]);
    const none = await json<Listed>("account", "quota", "lev", "0");
    assert.deepEqual([none.InstanceLimit, none.LimitFrom], [1, "level"]);
  });

  it("bad values exit 2; an unknown account 1", async () => {
    await fails(["account", "create", "x1", "--level", "5"], 2, /--level must be 0, 1, 2, 3, 4 or auto/);
    await fails(["account", "level", "lev", "9"], 2, /LEVEL must be 0, 1, 2, 3, 4 or auto/);
    await fails(["account", "quota", "lev", "lots"], 2, /N must be a whole number/);
    await fails(["account", "level", "nobody", "1"], 1, /no account nobody/);
    await fails(["account", "verify", "nobody"], 1, /no account nobody/);
    assert.equal(await listed("x1"), undefined, "a refused create makes no account");
  });
});
