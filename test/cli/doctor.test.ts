/**
 * `ocs doctor` with one fault of each kind: each is named, with what to fix, and a failed check
 * exits 1. A sound setup passes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { freePort } from "../helpers/process.js";
import { ocs } from "./run-ocs.js";

interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix?: string;
}

describe("ocs doctor", () => {
  const root = mkdtempSync(join(tmpdir(), "ocs-doctor-"));
  const dir = join(root, "data");
  let port: number;
  let holder: Server | undefined;
  const base = () => ({ OCS_DATA_DIR: dir, OCS_PORT: String(port) });
  const run = async (env: Record<string, string>) => {
    const r = await ocs(["doctor", "-o", "json"], { ...base(), ...env });
    return { code: r.code, checks: JSON.parse(r.stdout || "[]") as Check[], stderr: r.stderr };
  };
  const check = (checks: Check[], name: string) => {
    const c = checks.find((x) => x.name === name);
    assert.ok(c, `a ${name} check in ${JSON.stringify(checks)}`);
    return c;
  };
  before(async () => {
    port = await freePort();
    // A database with a sealed key in it: migrate, then an account.
    assert.equal((await ocs(["migrate"], { OCS_DATA_DIR: dir })).code, 0);
    assert.equal((await ocs(["account", "create", "doc"], { OCS_DATA_DIR: dir })).code, 0);
  });
  after(() => {
    holder?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("passes a sound setup", async () => {
    const r = await run({});
    assert.equal(r.code, 0, JSON.stringify(r.checks));
    assert.deepEqual(r.checks.map((c) => [c.name, c.status]), [["configuration", "ok"], ["catalog", "ok"], ["database", "ok"], ["migrations", "ok"], ["master key", "ok"], ["clock", "ok"], ["driver", "ok"], ["port", "ok"]]);
    const text = await ocs(["doctor"], base());
    assert.match(text.stdout, /^OK {4}configuration/m);
  });

  it("warns when testing mode is on, and still exits 0", async () => {
    const r = await run({ OCS_TESTING: "1" });
    assert.equal(r.code, 0, JSON.stringify(r.checks));
    const testing = check(r.checks, "testing mode");
    assert.equal(testing.status, "warn");
    assert.match(testing.detail, /OCS_TESTING is on/);
    assert.match(testing.fix ?? "", /never in production/);
    assert.equal((await run({})).checks.find((c) => c.name === "testing mode"), undefined, "no such check when it is off");
  });

  it("a bad setting", async () => {
    const r = await run({ OCS_PORT: "abc" });
    assert.equal(r.code, 1);
    assert.match(check(r.checks, "configuration").detail, /OCS_PORT/);
  });

  it("a catalog that cannot be read", async () => {
    const r = await run({ OCS_CATALOG: join(root, "nope.json") });
    assert.equal(r.code, 1);
    assert.match(check(r.checks, "catalog").detail, /OCS_CATALOG: cannot read .*nope\.json/);
  });

  it("a database that does not answer", async () => {
    const r = await run({ OCS_DATABASE_URL: `postgres://ocs:x@127.0.0.1:${await freePort()}/nope`, OCS_MASTER_KEY: "11".repeat(32) });
    assert.equal(r.code, 1);
    const c = check(r.checks, "database");
    assert.equal(c.status, "fail");
    assert.match(c.detail, /cannot reach it/);
    assert.match(c.fix ?? "", /OCS_DATABASE_URL/);
  });

  it("a migration pending", async () => {
    // An older release's record: the newest migration not applied (put back afterwards).
    const db = new Database(join(dir, "ocs.db"));
    const newest = db.prepare("select name, timestamp from kysely_migration order by name desc limit 1").get() as { name: string; timestamp: string };
    db.prepare("delete from kysely_migration where name = ?").run(newest.name);
    try {
      const r = await run({});
      const c = check(r.checks, "migrations");
      assert.equal(c.status, "warn");
      assert.ok(c.detail.includes(newest.name), c.detail);
      assert.match(c.fix ?? "", /ocs migrate/);
    } finally {
      db.prepare("insert into kysely_migration (name, timestamp) values (?, ?)").run(newest.name, newest.timestamp);
      db.close();
    }
  });

  it("a master key that does not open the stored keys", async () => {
    const r = await run({ OCS_MASTER_KEY: "22".repeat(32) });
    assert.equal(r.code, 1);
    const c = check(r.checks, "master key");
    assert.match(c.detail, /does not open the keys stored/);
  });

  it("a clock far from the database's", async () => {
    const r = await run({ OCS_CLOCK_SKEW_MS: "60000" });
    assert.equal(r.code, 1);
    const c = check(r.checks, "clock");
    assert.equal(c.status, "fail");
    assert.match(c.detail, /^\+60\d{3} ms against the database's/);
  });

  it("a driver that cannot run, and agents that do not report", async () => {
    const qemu = await run({ OCS_DRIVER: "qemu", OCS_QEMU: join(root, "no-qemu-here") });
    assert.equal(qemu.code, 1);
    assert.match(qemu.checks.find((c) => c.name === "driver" && c.status === "fail")?.detail ?? "", /no-qemu-here does not run/);
    const podman = await run({ OCS_DRIVER: "local", OCS_AGENT_BACKENDS: "podman", OCS_PODMAN: join(root, "no-podman-here") });
    assert.equal(podman.code, 1);
    const nopodman = podman.checks.find((c) => c.name === "podman" && c.status === "fail");
    assert.match(nopodman?.detail ?? "", /no-podman-here does not run/);
    assert.match(nopodman?.fix ?? "", /apt-get install podman runc/);
    const agents = await run({ OCS_DRIVER: "agent" });
    assert.equal(agents.code, 1);
    assert.match(check(agents.checks, "agents").detail, /no host is registered/);
    assert.equal((await ocs(["host", "add", "gpu-1"], { OCS_DATA_DIR: dir })).code, 0);
    const silent = await run({ OCS_DRIVER: "agent" });
    assert.match(check(silent.checks, "agents").detail, /0 of 1 hosts reporting.*silent: gpu-1 \(never\)/);
  });

  it("a port something else holds", async () => {
    holder = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.end("HTTP/1.1 500 no\r\n\r\n");
    });
    await new Promise<void>((resolve) => holder!.listen(port, "127.0.0.1", resolve));
    const r = await run({});
    assert.equal(r.code, 1);
    const c = check(r.checks, "port");
    assert.match(c.detail, /taken by something that is not an ocs server/);
    assert.match(c.fix ?? "", /OCS_PORT/);
  });
});
