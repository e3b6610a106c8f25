/**
 * The simulated fleet's sync (drivers/simulated/fleet.ts) on a real database of the test's
 * engine, as a server's start runs it each time the catalog may have changed: hosts the catalog
 * adds appear with their GPUs; a host that grew or shrank is resized (and Ready again); GPUs the
 * catalog no longer has leave unless given to an instance; a host the catalog dropped leaves, or
 * drains while an instance runs on it; a sync of an unchanged catalog writes nothing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migrate, openStore, type Store } from "@opencompshare/server";
import { Catalog } from "../../packages/server/src/catalog/catalog.js";
import { DEFAULT_CATALOG } from "../../packages/server/src/catalog/defaults.js";
import type { CatalogData } from "../../packages/server/src/catalog/catalog.js";
import { simulatedDevice, syncFleet } from "../../packages/server/src/drivers/simulated/fleet.js";
import { testDatabase, type TestDatabase } from "../helpers/database.js";

type Pool = CatalogData["fleet"][number];
const pool = (zone: string, gpuType: string, hosts: number, gpusPerHost: number, cpusPerHost = 64): Pool => ({ zone, gpuType, hosts, gpusPerHost, cpusPerHost, memoryGbPerHost: 256, cpuPlatform: "Amd/EPYC3" });
const catalogOf = (fleet: Pool[]) => new Catalog({ ...DEFAULT_CATALOG, fleet });

describe("the simulated fleet's sync", () => {
  let dir: string;
  let database: TestDatabase;
  let store: Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ocs-fleet-"));
    database = await testDatabase();
    store = await openStore({ dataDir: dir, databaseUrl: database.url });
    await migrate(store.db);
  });
  after(async () => {
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const hosts = async () =>
    (await store.db.selectFrom("hosts").select(["id", "cpus", "state", "gpu_type"]).where("kind", "=", "simulated").orderBy("id").execute()).map((h) => `${h.id} ${h.cpus} ${h.state}`);
  const gpus = async (host: string) =>
    (await store.db.selectFrom("host_gpus").select(["device", "idx", "instance_id"]).where("host_id", "=", host).orderBy("idx").execute()).map((g) => `${g.idx} ${g.device} ${g.instance_id ?? "-"}`);
  const sync = (fleet: Pool[]) => store.db.transaction().execute((tx) => syncFleet(tx, catalogOf(fleet), 1000));

  it("writes a fleet larger than one statement's rows: every host and every GPU", async () => {
    // 600 hosts and 4,800 GPUs: more than one multi-row insert of each.
    await sync([pool("cn-wlcb-01", "4090", 600, 8)]);
    const all = await hosts();
    assert.equal(all.length, 600);
    assert.equal(all[0], "sim-cn-wlcb-01-4090-001 64 Ready");
    assert.equal(all[599], "sim-cn-wlcb-01-4090-600 64 Ready");
    const count = await store.db.selectFrom("host_gpus").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 4800);
    assert.deepEqual(await gpus("sim-cn-wlcb-01-4090-600"), Array.from({ length: 8 }, (_, n) => `${n} ${simulatedDevice(n)} -`));
  });

  it("follows the catalog: resizes, adds and removes GPUs, drains or removes dropped hosts", async () => {
    await sync([pool("cn-wlcb-01", "4090", 3, 4), pool("cn-sh2-02", "5090", 2, 2)]);
    assert.deepEqual(await hosts(), [
      "sim-cn-sh2-02-5090-001 64 Ready",
      "sim-cn-sh2-02-5090-002 64 Ready",
      "sim-cn-wlcb-01-4090-001 64 Ready",
      "sim-cn-wlcb-01-4090-002 64 Ready",
      "sim-cn-wlcb-01-4090-003 64 Ready",
    ]);
    // An instance holds GPU 3 of host 001 and runs on host 003 (a GPU of it given away).
    await store.db.updateTable("host_gpus").set({ instance_id: "uhost-a" }).where("host_id", "=", "sim-cn-wlcb-01-4090-001").where("idx", "=", 3).execute();
    await store.db.updateTable("host_gpus").set({ instance_id: "uhost-b" }).where("host_id", "=", "sim-cn-wlcb-01-4090-003").where("idx", "=", 0).execute();
    await store.db.insertInto("instances").values(instanceOn("uhost-b", "sim-cn-wlcb-01-4090-003") as never).execute();

    // Now: two 4090 hosts of 2 GPUs and 96 CPUs; the 5090 pool has three hosts of 4 GPUs.
    await sync([pool("cn-wlcb-01", "4090", 2, 2, 96), pool("cn-sh2-02", "5090", 3, 4)]);
    assert.deepEqual(await hosts(), [
      "sim-cn-sh2-02-5090-001 64 Ready",
      "sim-cn-sh2-02-5090-002 64 Ready",
      "sim-cn-sh2-02-5090-003 64 Ready",
      "sim-cn-wlcb-01-4090-001 96 Ready",
      "sim-cn-wlcb-01-4090-002 96 Ready",
      "sim-cn-wlcb-01-4090-003 64 Draining",
    ]);
    // The free GPUs past the second left; the one an instance holds stays until it is given back.
    assert.deepEqual(await gpus("sim-cn-wlcb-01-4090-001"), [`0 ${simulatedDevice(0)} -`, `1 ${simulatedDevice(1)} -`, `3 ${simulatedDevice(3)} uhost-a`]);
    assert.deepEqual(await gpus("sim-cn-wlcb-01-4090-002"), [`0 ${simulatedDevice(0)} -`, `1 ${simulatedDevice(1)} -`]);
    assert.deepEqual(await gpus("sim-cn-sh2-02-5090-001"), Array.from({ length: 4 }, (_, n) => `${n} ${simulatedDevice(n)} -`));
    assert.equal((await gpus("sim-cn-sh2-02-5090-003")).length, 4);
    // The 600 hosts of the first test are gone with their GPUs.
    assert.equal((await gpus("sim-cn-wlcb-01-4090-600")).length, 0);

    // The drained host comes back Ready when the catalog has it again.
    await sync([pool("cn-wlcb-01", "4090", 3, 2, 96), pool("cn-sh2-02", "5090", 3, 4)]);
    assert.equal((await hosts()).at(-1), "sim-cn-wlcb-01-4090-003 96 Ready");
  });

  it("writes nothing when the catalog did not change", async () => {
    const fleet = [pool("cn-wlcb-01", "4090", 3, 2, 96), pool("cn-sh2-02", "5090", 3, 4)];
    await sync(fleet);
    const before = await snapshot();
    let writes = 0;
    await store.db.transaction().execute(async (tx) => {
      const counting = tx.withPlugin({
        transformQuery: (args) => {
          if (args.node.kind !== "SelectQueryNode") writes++;
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      await syncFleet(counting, catalogOf(fleet), 2000);
    });
    assert.equal(writes, 0);
    assert.deepEqual(await snapshot(), before);
  });

  const snapshot = async () => ({
    hosts: await store.db.selectFrom("hosts").selectAll().orderBy("id").execute(),
    gpus: await store.db.selectFrom("host_gpus").selectAll().orderBy("host_id").orderBy("idx").execute(),
  });
});

function instanceOn(id: string, hostId: string) {
  return {
    id, account_id: "acc", project_id: "prj", zone: "cn-wlcb-01", name: id, state: "Running", cpu: 16, memory: 65536, gpu: 1, gpu_type: "4090",
    machine_type: "G", image_id: "compshareImage-x", charge_type: "Dynamic", login_mode: "Password", disks: "[]", password_sealed: "x",
    recycling: 0, task: null, task_op_id: null, created_at: 1, updated_at: 1, start_time: 1, stop_time: 0, stop_scheduler_time: 0, expire_time: 0, host_id: hostId,
  };
}
