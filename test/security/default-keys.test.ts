/**
 * The default account gets exactly the configured pair (or, with none configured, the generated
 * one): a start retires the generated or configured keys the configuration no longer names, logs
 * which, and keeps default-credentials.json true. Keys made with `ocs key create` stay.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { withAdmin } from "@opencompshare/server";
import type { Keys } from "../helpers/client.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";

const P1: Keys = { PublicKey: "configured-one", PrivateKey: "private-one" };
const P2: Keys = { PublicKey: "configured-two", PrivateKey: "private-two" };
const NONE = { OCS_PUBLIC_KEY: "", OCS_PRIVATE_KEY: "" };
const pairEnv = (k: Keys) => ({ OCS_PUBLIC_KEY: k.PublicKey, OCS_PRIVATE_KEY: k.PrivateKey });

describe("the default account's configured key pair", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-default-keys-"));
  const file = join(dataDir, "default-credentials.json");
  let shared: Record<string, string> = {};
  let s: TestServer | undefined;
  after(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  /** Starts on the same data directory and database as the previous start. */
  const restart = async (env: Record<string, string>) => {
    await s?.close();
    s = await startServer({ dataDir, keepData: true, env: { ...shared, ...env } });
    shared = {
      ...(s.config.databaseUrl ? { OCS_DATABASE_URL: s.config.databaseUrl } : {}),
      ...(s.config.masterKey ? { OCS_MASTER_KEY: s.config.masterKey } : {}),
    };
    return s;
  };
  const works = async (k: Keys) => (await s!.call("DescribeCompShareInstance", REGION, k)).body.RetCode;

  it("walks from the generated pair to two configured ones and back, leaving exactly one valid each time", async () => {
    let server = await restart(NONE);
    const generated = JSON.parse(readFileSync(file, "utf8")) as Keys;
    assert.equal(await works(generated), 0);
    const created = await withAdmin(server.config, (a) => a.createKey("default"));
    const operators: Keys = { PublicKey: created.PublicKey, PrivateKey: created.PrivateKey };

    server = await restart(pairEnv(P1));
    assert.equal(await works(P1), 0);
    assert.equal(await works(generated), 172, "the generated pair is retired");
    assert.ok(!existsSync(file), "default-credentials.json no longer holds a valid pair, so it is gone");
    assert.ok(server.logs.some((l) => l.includes("retired") && l.includes(generated.PublicKey)), "the log names the retired key");

    server = await restart(pairEnv(P2));
    assert.equal(await works(P2), 0);
    assert.equal(await works(P1), 172, "the previous configured pair is retired");
    assert.ok(server.logs.some((l) => l.includes("retired") && l.includes(P1.PublicKey)));

    server = await restart(pairEnv(P2));
    assert.ok(!server.logs.some((l) => l.includes("retired")), "the same configuration retires nothing");

    await restart(NONE);
    const again = JSON.parse(readFileSync(file, "utf8")) as Keys;
    assert.notEqual(again.PublicKey, generated.PublicKey, "a new generated pair");
    assert.equal(await works(again), 0);
    assert.equal(await works(P2), 172);
    assert.equal(await works(generated), 172, "an old generated pair stays retired");
    assert.equal(await works(operators), 0, "a key made with ocs key create stays valid throughout");

    const keys = await withAdmin(s!.config, (a) => a.listKeys("default"));
    const active = keys.filter((k) => k.Status === "active").map((k) => k.PublicKey).sort();
    assert.deepEqual(active, [again.PublicKey, operators.PublicKey].sort());
  });
});
