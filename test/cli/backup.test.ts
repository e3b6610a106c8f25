/**
 * `ocs backup` while the server serves a write load, and `ocs restore`: the copy opens, passes
 * its integrity check, and holds every operation acknowledged before the backup started. Restore
 * refuses while a server uses the directory. On PostgreSQL both point to pg_dump.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { ocs } from "./run-ocs.js";

describe("ocs backup and ocs restore", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ocs-backup-"));
  const out = mkdtempSync(join(tmpdir(), "ocs-backup-out-"));
  let s: TestServer;
  let env: Record<string, string>;
  before(async () => {
    s = await startServer({ dataDir, keepData: true });
    env = { OCS_DATA_DIR: dataDir, ...(s.config.databaseUrl ? { OCS_DATABASE_URL: s.config.databaseUrl } : {}), ...(s.config.masterKey ? { OCS_MASTER_KEY: s.config.masterKey } : {}) };
  });
  after(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it("copies the database during a write load; the copy holds every operation acknowledged before it started", async (t) => {
    if (s.app.store.engine === "postgres") {
      const r = await ocs(["backup", join(out, "x.db")], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /PostgreSQL: back it up with its own tools \(pg_dump/);
      assert.ok(!existsSync(join(out, "x.db")));
      t.diagnostic("PostgreSQL: the refusal that points to pg_dump");
      return;
    }
    // The load: reboots of a few instances, the clock moving so that each ends and the next is accepted.
    const ids = [await s.running(), await s.running(), await s.running()];
    const acknowledged: string[] = [];
    let turn = 0;
    const step = async () => {
      const r = await s.call("RebootCompShareInstance", { ...REGION, UHostId: ids[turn++ % ids.length]! });
      if (r.body.RetCode === 0) acknowledged.push(String(r.requestId));
      else assert.equal(r.body.RetCode, 226610, JSON.stringify(r.body));
      await s.clock.advance(1500);
    };
    while (acknowledged.length < 12) await step();
    const before = [...acknowledged];
    let loading = true;
    const load = (async () => {
      while (loading && turn < 2000) await step();
    })();
    const file = join(out, "during-load.db");
    const r = await ocs(["backup", file], env);
    loading = false;
    await load;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(acknowledged.length > before.length, "the load went on while the backup ran");
    const report = JSON.parse(r.stdout) as { File: string; Pages: number; Bytes: number };
    assert.equal(report.File, file);
    assert.ok(report.Pages > 0 && report.Bytes > 0);
    assert.match(r.stderr, /integrity ok/);
    const copy = new Database(file, { readonly: true });
    try {
      assert.equal(copy.pragma("integrity_check", { simple: true }), "ok");
      const held = new Set((copy.prepare("select request_id from operations").all() as { request_id: string }[]).map((x) => x.request_id));
      for (const id of before) assert.ok(held.has(id), `operation of request ${id}, acknowledged before the backup, is in it`);
    } finally {
      copy.close();
    }
    const again = await ocs(["backup", file], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
  });

  it("restore refuses while a server uses the directory, then puts the backup in place once it is stopped", async (t) => {
    if (s.app.store.engine === "postgres") {
      const r = await ocs(["restore", join(out, "x.db")], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /pg_dump/);
      t.diagnostic("PostgreSQL: the refusal that points to pg_dump");
      return;
    }
    const file = join(out, "during-load.db");
    const busy = await ocs(["restore", file], env);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /another ocs server .* uses the data directory.*stop it before restoring/);
    const id = await s.running();
    await s.close();
    const done = await ocs(["restore", file], env);
    assert.equal(done.code, 0, done.stderr);
    const report = JSON.parse(done.stdout) as { Restored: string; Previous: string };
    assert.ok(existsSync(report.Previous), "the replaced database is kept");
    s = await startServer({ dataDir, keepData: true });
    const described = await s.call("DescribeCompShareInstance", { ...REGION, UHostIds: [id] });
    assert.equal(described.body.TotalCount, 0, "the instance made after the backup is not in it");
    assert.equal((await s.call("DescribeCompShareInstance", { ...REGION, Limit: 100 })).body.TotalCount, 3, "the three instances of the backup");
    const junk = await ocs(["restore", join(out, "nothing-here.db")], env);
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /no backup at/);
  });
});
