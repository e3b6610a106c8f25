/**
 * kill -9 of a real server process while the driver deletes or resizes a detached disk, or
 * deletes a custom image (an armed `hang` holds the call), then a restart on the same data:
 * recovery takes the operation over and finishes it, so nothing stays Deleting or Resizing, and
 * the operation ends once, Succeeded, by the restarted server. Time is real here (two
 * processes); nothing asserts on durations.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { call, type Keys } from "../helpers/client.js";
import { crashableServer, stateAt } from "../helpers/crash.js";
import { poll } from "../helpers/process.js";
import { CREATE, DEFAULT_KEYS, REGION } from "../helpers/server.js";
import type { Sql } from "../helpers/sql.js";

describe("a crash in the middle of an operation on a detached disk or a custom image", () => {
  const crash = crashableServer("ocs-resource-crash", { OCS_SIM_BOOT_MS: "1500", OCS_SIM_IMAGE_MS: "1500" });
  const keys: Keys = DEFAULT_KEYS;
  let sql: Sql;
  let source = "";
  before(async () => {
    const server = await crash.start();
    const created = await call(server.url, keys, "CreateCompShareInstance", CREATE);
    assert.equal(created.body.RetCode, 0, JSON.stringify(created.body));
    source = (created.body.UHostIds as string[])[0] as string;
    const url = server.url;
    await poll(async () => (await stateAt(url, source, keys)) === "Running");
    sql = await crash.sql();
  });

  const one = async (statement: string, params: unknown[]) => (await sql.run(statement, params))[0];

  /** A detached disk of the caller's, as DetachCompshareDisk leaves one. */
  async function detachedDisk(): Promise<string> {
    const id = `bsi-crash${randomUUID().slice(0, 8)}`;
    const owner = await one("select account_id, project_id from instances where id = ?", [source]);
    await sql.run(
      "insert into disks (id, account_id, project_id, zone, name, size_gb, disk_type, charge_type, status, instance_id, device, host_id, op_id, paid_amount, period_start, expire_time, created_at, updated_at) values (?, ?, ?, ?, ?, 100, 'CLOUD_SSD', 'Dynamic', 'Available', null, '', null, null, 0, 0, 0, ?, ?)",
      [id, owner?.account_id, owner?.project_id, REGION.Zone, id, Date.now(), Date.now()],
    );
    return id;
  }

  /**
   * Sends `action` with a `hang` armed on `method` for `resource`, kills the server with SIGKILL
   * once the driver call hangs, and starts it again on the same data directory and database.
   */
  async function killDuring(method: string, resource: string, action: string, params: Record<string, string | number>, table: "disks" | "images", transitional: string): Promise<void> {
    const server = crash.server;
    assert.ok(server);
    await sql.run("insert into machine_faults (id, method, instance_id, mode, remaining, delay_ms) values (?, ?, ?, 'hang', 1, 0)", [randomUUID(), method, resource]);
    const answer = call(server.url, keys, action, { ...REGION, ...params }).catch(() => undefined);
    await poll(async () => Number((await one("select remaining from machine_faults where instance_id = ?", [resource]))?.remaining) === 0);
    assert.equal((await one("select status from operations where instance_id = ?", [resource]))?.status, "running", "killed while it runs");
    assert.equal((await one(`select status from ${table} where id = ?`, [resource]))?.status, transitional);
    assert.equal(await crash.kill9(), "SIGKILL");
    assert.equal(await answer, undefined, "the request died with the server");
    await crash.start();
  }

  /** The one operation on `resource`: Succeeded, finished by recovery, ended and reported once. */
  async function endedOnce(resource: string, action: string): Promise<void> {
    const ops = await sql.run("select id, action, status, recovered, ended_at from operations where instance_id = ?", [resource]);
    assert.equal(ops.length, 1, JSON.stringify(ops));
    const op = ops[0] as { id: string; action: string; status: string; recovered: number; ended_at: number };
    assert.deepEqual([op.action, op.status, Number(op.recovered)], [action, "succeeded", 1], JSON.stringify(op));
    assert.ok(Number(op.ended_at) > 0);
    const reported = async (kind: string) => Number((await one("select count(*) as n from events where kind = ? and data like ?", [kind, `%${op.id}%`]))?.n);
    assert.equal(await reported("operation.resumed"), 1);
    assert.equal(await reported("operation.succeeded"), 1);
    assert.equal(await reported("operation.failed"), 0);
  }

  const diskStatus = async (id: string) => (await one("select status, size_gb, op_id from disks where id = ?", [id])) as { status: string; size_gb: number; op_id: string | null };

  it("DeleteCompshareDisk: the disk ends Deleted, the operation Succeeded once", async () => {
    const disk = await detachedDisk();
    await killDuring("deleteDisk", disk, "DeleteCompshareDisk", { UDiskId: disk }, "disks", "Deleting");
    await poll(async () => (await diskStatus(disk)).status !== "Deleting");
    const after = await diskStatus(disk);
    assert.deepEqual([after.status, after.op_id], ["Deleted", null]);
    await endedOnce(disk, "DeleteCompshareDisk");
    const server = crash.server;
    assert.ok(server);
    const again = await call(server.url, keys, "DeleteCompshareDisk", { ...REGION, UDiskId: disk });
    assert.deepEqual(again.body, { Action: "DeleteCompshareDiskResponse", RetCode: 0, UDiskId: disk });
  });

  it("ResizeCompShareDisk of a detached disk: the disk ends Available with the new size, the operation Succeeded once", async () => {
    const disk = await detachedDisk();
    await killDuring("resizeDisk", disk, "ResizeCompShareDisk", { UDiskId: disk, Size: 150 }, "disks", "Resizing");
    await poll(async () => (await diskStatus(disk)).status !== "Resizing");
    const after = await diskStatus(disk);
    assert.deepEqual([after.status, Number(after.size_gb), after.op_id], ["Available", 150, null]);
    await endedOnce(disk, "ResizeCompShareDisk");
  });

  it("TerminateCompShareCustomImage: the image ends deleted, the operation Succeeded once", async () => {
    const server = crash.server;
    assert.ok(server);
    const made = await call(server.url, keys, "CreateCompShareCustomImage", { ...REGION, UHostId: source, Name: "crash-image" });
    assert.equal(made.body.RetCode, 0, JSON.stringify(made.body));
    const image = made.body.CompShareImageId as string;
    await poll(async () => (await one("select status from images where id = ?", [image]))?.status === "Available");
    await killDuring("deleteImage", image, "TerminateCompShareCustomImage", { CompShareImageId: image }, "images", "Deleting");
    await poll(async () => (await one("select status from images where id = ?", [image])) === undefined);
    await endedOnce(image, "TerminateCompShareCustomImage");
    const restarted = crash.server;
    assert.ok(restarted);
    const listed = await call(restarted.url, keys, "DescribeCompShareCustomImages", { ...REGION, CompShareImageId: image });
    assert.equal(listed.body.TotalCount, 0);
  });
});
