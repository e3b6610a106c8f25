/**
 * Secrets: no private key, signature or password in the logs of a whole run; private keys and
 * passwords sealed at rest; key rotation.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { signedParams, send, type Keys } from "../helpers/client.js";
import { spawnServer } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS, REGION, startServer, type TestServer } from "../helpers/server.js";
import { databaseEnv, testDatabase } from "../helpers/database.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("secrets", () => {
  let s: TestServer;
  const secrets = new Set<string>([DEFAULT_KEYS.PrivateKey]);
  before(async () => {
    s = await startServer({ env: { OCS_LOG_LEVEL: "debug" } });
  });
  after(async () => {
    await s.close();
  });

  it("rotates keys: a second key works, the first disabled is refused with 172", async () => {
    const acct = await s.account("rotator");
    const first: Keys = acct;
    secrets.add(acct.PrivateKey);
    const { withAdmin } = await import("@opencompshare/server");
    const second = await withAdmin(s.config, (a) => a.createKey("rotator"));
    secrets.add(second.PrivateKey);
    assert.equal((await s.call("DescribeCompShareInstance", REGION, first)).body.RetCode, 0);
    await withAdmin(s.config, (a) => a.setKeyStatus(first.PublicKey, "disabled"));
    const refused = await s.call("DescribeCompShareInstance", REGION, first);
    assert.equal(refused.body.RetCode, 172);
    assert.equal(refused.body.Message, "User Not Exists");
    assert.equal((await s.call("DescribeCompShareInstance", REGION, second)).body.RetCode, 0);
  });

  it("keeps private keys and passwords sealed in the database", async () => {
    const password = b64("S3cret-at-rest!");
    secrets.add(password);
    const created = await s.call("CreateCompShareInstance", { ...CREATE, Password: password });
    assert.equal(created.body.RetCode, 0);
    const keys = await s.app.store.db.selectFrom("api_keys").select("private_key_sealed").execute();
    const instances = await s.app.store.db.selectFrom("instances").select("password_sealed").execute();
    const ops = await s.app.store.db.selectFrom("operations").select(["params", "checkpoint"]).execute();
    const stored = JSON.stringify([keys, instances, ops]);
    for (const secret of secrets) assert.ok(!stored.includes(secret), "a secret is stored in clear");
    for (const k of keys) assert.match(k.private_key_sealed, /^v1:/);
  });

  it("writes no private key, signature or password into the logs of a whole run", async () => {
    const id = await s.running();
    const newPassword = b64("An0ther-secret!");
    secrets.add(newPassword);
    const signatures: string[] = [];
    const signedCall = async (action: string, params: Record<string, string | number>, keys: Keys = s.keys) => {
      const flat = signedParams(action, params, keys);
      signatures.push(String(flat.Signature));
      return send(s.url, flat);
    };
    await signedCall("ResetCompShareInstancePassword", { ...REGION, UHostId: id, Password: newPassword });
    await s.until(async () => (await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet !== undefined);
    await signedCall("RebootCompShareInstance", { ...REGION, UHostId: id });
    await signedCall("DescribeCompShareInstance", REGION, { PublicKey: s.keys.PublicKey, PrivateKey: "wrong-key" });
    await signedCall("NoSuchAction", REGION);
    await s.until(async () => (await s.state(id)) === "Running");
    const all = s.logs.join("\n");
    assert.ok(s.logs.length > 10, "the run produced logs");
    for (const secret of secrets) assert.ok(!all.includes(secret), `a secret reached the logs: ${secret.slice(0, 4)}…`);
    for (const sig of signatures) assert.ok(!all.includes(sig), "a signature reached the logs");
    assert.ok(!all.includes(Buffer.from(newPassword, "base64").toString()), "a plain password reached the logs");
  });

  it("a real server process prints no secret either, with debug logs", async () => {
    const db = await testDatabase();
    const dataDir = join(s.config.dataDir, "proc");
    const proc = await spawnServer({
      ...databaseEnv(db),
      OCS_DATA_DIR: dataDir,
      OCS_PUBLIC_KEY: "proc_public",
      OCS_PRIVATE_KEY: "proc_private_key_value",
      OCS_LOG_LEVEL: "debug",
    });
    try {
      const keys = { PublicKey: "proc_public", PrivateKey: "proc_private_key_value" };
      const flat = signedParams("CreateCompShareInstance", { ...CREATE, Password: b64("Pr0c-pass!") }, keys);
      assert.equal((await send(proc.url, flat)).body.RetCode, 0);
      proc.child.kill("SIGTERM");
      await proc.exited;
      const out = proc.output();
      assert.ok(out.includes("serving"), "the process logged");
      for (const secret of ["proc_private_key_value", String(flat.Signature), b64("Pr0c-pass!"), "Pr0c-pass!"]) {
        assert.ok(!out.includes(secret), "a secret reached the process output");
      }
      if (!db.url) {
        const masterKey = readFileSync(join(dataDir, "master.key"), "utf8").trim();
        assert.ok(!out.includes(masterKey), "the master key reached the output");
      }
    } finally {
      proc.child.kill("SIGKILL");
      await db.drop();
    }
  });
});
