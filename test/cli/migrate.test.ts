/**
 * Migrations as a rolling upgrade runs them: `ocs migrate` once, before the replicas start with
 * `--no-migrate`. And the admin commands never make a database of their own in a folder where
 * the server does not run.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { freePort } from "../helpers/process.js";
import { ocs } from "./run-ocs.js";

describe("ocs migrate and serve --no-migrate", () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), "ocs-migrate-"));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("applies every migration on a new data directory and says which; a second run applies none", async () => {
    const dir = fresh();
    const first = await ocs(["migrate"], { OCS_DATA_DIR: dir });
    assert.equal(first.code, 0, first.stderr);
    const applied = (JSON.parse(first.stdout) as { applied: string[] }).applied;
    assert.ok(applied.length >= 8, first.stdout);
    assert.equal(applied[0], "001_initial");
    assert.deepEqual(applied, [...applied].sort());
    const again = await ocs(["migrate"], { OCS_DATA_DIR: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { applied: [] });
  });

  it("serve --no-migrate refuses a schema that is not current, naming what is pending and what to run", async () => {
    const dir = fresh();
    assert.equal((await ocs(["migrate"], { OCS_DATA_DIR: dir })).code, 0);
    // An older release's schema: the newest migration not applied yet.
    const db = new Database(join(dir, "ocs.db"));
    const newest = (db.prepare("select name from kysely_migration order by name desc limit 1").get() as { name: string }).name;
    db.prepare("delete from kysely_migration where name = ?").run(newest);
    db.close();
    const env = { OCS_DATA_DIR: dir, OCS_HOST: "127.0.0.1", OCS_PORT: String(await freePort()) };
    const refused = await ocs(["serve", "--no-migrate"], env);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /schema is not current/);
    assert.ok(refused.stderr.includes(newest), refused.stderr);
    assert.match(refused.stderr, /ocs migrate/);
    assert.ok(!existsSync(join(dir, "ocs.pid")), "nothing left behind");
    const viaEnv = await ocs(["serve"], { ...env, OCS_MIGRATE: "false" });
    assert.equal(viaEnv.code, 2, viaEnv.stderr);
    assert.match(viaEnv.stderr, /schema is not current/);
    const bad = await ocs(["serve"], { ...env, OCS_MIGRATE: "perhaps" });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /OCS_MIGRATE \(--migrate\) must be true or false/);
  });

  it("an admin command where no database is refuses, says where it looked, and creates nothing", async () => {
    const elsewhere = fresh();
    const r = await ocs(["account", "create", "bob"], {}, undefined, elsewhere);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(join(elsewhere, "data", "ocs.db")), r.stderr);
    assert.match(r.stderr, /OCS_DATA_DIR/);
    assert.deepEqual(readdirSync(elsewhere), [], "no data directory was made");
  });
});
