/**
 * Data disks (`disks`): lookups scoped to their owner, the disks of an instance, compare-and-set
 * status writes, and the detached disks left in a transitional status with no running operation
 * (for recovery to settle). What is read leaves as a record (numbers as numbers); writes still
 * name the columns.
 */
import { randomBytes } from "node:crypto";
import type { MachineDisk } from "@opencompshare/protocol";
import { sql, type Insertable } from "kysely";
import type { DiskRow, DisksTable, Executor } from "../schema.js";

export const newDiskId = (): string => `bsi-${randomBytes(6).toString("hex")}`;

/** A data disk as stored: numbers as numbers. */
export interface DiskRecord {
  id: string;
  accountId: string;
  projectId: string;
  zone: string;
  name: string;
  sizeGb: number;
  diskType: string;
  chargeType: string;
  /** `Available` (detached), `InUse`, `Attaching`, `Detaching`, `Resizing`, `Deleting`, `Deleted`. */
  status: string;
  /** The instance it is attached to, or null. */
  instanceId: string | null;
  /** `/dev/vdb`… while attached. */
  device: string;
  /** The host its file is on, or null. */
  hostId: string | null;
  /** The operation working on it, or null. */
  opId: string | null;
  paidAmount: number;
  periodStart: number;
  /** The end of the prepaid period (0: none). */
  expireTime: number;
  createdAt: number;
  updatedAt: number;
}

export function toDiskRecord(r: DiskRow): DiskRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    projectId: r.project_id,
    zone: r.zone,
    name: r.name,
    sizeGb: Number(r.size_gb),
    diskType: r.disk_type,
    chargeType: r.charge_type,
    status: r.status,
    instanceId: r.instance_id,
    device: r.device,
    hostId: r.host_id,
    opId: r.op_id,
    paidAmount: Number(r.paid_amount),
    periodStart: Number(r.period_start),
    expireTime: Number(r.expire_time),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The disk, only if it belongs to this account and project. */
export async function findOwnedDisk(db: Executor, id: string, accountId: string, projectId: string): Promise<DiskRecord | undefined> {
  const row = await db
    .selectFrom("disks")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
  return row && toDiskRecord(row);
}

/** The data disks attached to an instance, in device order. */
export async function disksOf(db: Executor, instanceId: string): Promise<DiskRecord[]> {
  const rows = await db.selectFrom("disks").selectAll().where("instance_id", "=", instanceId).orderBy("device").orderBy("id").execute();
  return rows.map(toDiskRecord);
}

/** The data disks as the machine sees them. */
export const machineDisks = (disks: readonly DiskRecord[]): MachineDisk[] => disks.map((d) => ({ id: d.id, sizeGb: d.sizeGb }));

/** The first free virtio device name after the boot disk (`/dev/vdb`, `/dev/vdc`, …). */
export function nextDevice(disks: readonly { device: string }[]): string {
  const used = new Set(disks.map((d) => d.device));
  for (let i = 1; i < 26; i++) {
    const device = `/dev/vd${String.fromCharCode(97 + i)}`;
    if (!used.has(device)) return device;
  }
  throw new Error("no free virtio device name");
}

/** Writes `set` only if the disk's status is `from`. Returns whether it did. */
export async function casDisk(db: Executor, id: string, from: string | readonly string[], set: Partial<Omit<DiskRow, "id">>): Promise<boolean> {
  const res = await db
    .updateTable("disks")
    .set(set)
    .where("id", "=", id)
    .where("status", "in", typeof from === "string" ? [from] : [...from])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** A disk as the instance's DiskSet stores it. */
export interface StoredDisk {
  DiskId: string;
  IsBoot: boolean;
  Size: number;
  Type: string;
  Name?: string;
  Device?: string;
}

/** Rewrites the instance's DiskSet from its boot disk and its attached disk rows (call it in the transaction that changed them). */
export async function syncInstanceDisks(db: Executor, instanceId: string): Promise<void> {
  const inst = await db.selectFrom("instances").select("disks").where("id", "=", instanceId).executeTakeFirst();
  if (!inst) return;
  const boot = (JSON.parse(inst.disks) as StoredDisk[]).filter((d) => d.IsBoot);
  const data = (await disksOf(db, instanceId)).map<StoredDisk>((d) => ({
    DiskId: d.id,
    IsBoot: false,
    Size: d.sizeGb,
    Type: d.diskType,
    Name: d.name,
    Device: d.device,
  }));
  await db.updateTable("instances").set({ disks: JSON.stringify([...boot, ...data]) }).where("id", "=", instanceId).execute();
}

export async function insertDisk(db: Executor, row: Insertable<DisksTable>): Promise<void> {
  await db.insertInto("disks").values(row).execute();
}

/** What DescribeCompshareDisk filters on: the project, and optionally zones, an instance, a disk. */
export interface DiskQuery {
  projectId: string;
  zones?: readonly string[];
  instanceId?: string;
  diskId?: string;
  offset: number;
  limit: number;
}

/** A page of a project's disks (deleted ones left out), newest first, and how many there are in all. */
export async function listDisks(db: Executor, q: DiskQuery): Promise<{ rows: DiskRecord[]; total: number }> {
  let query = db.selectFrom("disks").where("project_id", "=", q.projectId).where("status", "!=", "Deleted");
  if (q.zones) query = query.where("zone", "in", q.zones.length > 0 ? [...q.zones] : [""]);
  if (q.instanceId) query = query.where("instance_id", "=", q.instanceId);
  if (q.diskId) query = query.where("id", "=", q.diskId);
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy("created_at", "desc").orderBy("id").offset(q.offset).limit(q.limit).execute(),
    query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows.map(toDiskRecord), total: Number(count.n) };
}

/** Starts the resize of an attached disk: InUse → Resizing under operation `opId`, by compare-and-set. */
export async function beginAttachedResize(tx: Executor, id: string, opId: string, now: number): Promise<void> {
  await tx.updateTable("disks").set({ status: "Resizing", op_id: opId, updated_at: now }).where("id", "=", id).where("status", "=", "InUse").execute();
}

/** The host a disk's file is on, or null. */
export async function hostOfDisk(db: Executor, id: string): Promise<string | null> {
  return (await db.selectFrom("disks").select("host_id").where("id", "=", id).executeTakeFirst())?.host_id ?? null;
}

/** A released instance's data disks: deleted with it, or detached and kept (Available) to be attached elsewhere. */
export async function releaseDisksOf(db: Executor, instanceId: string, deleteThem: boolean, now: number): Promise<void> {
  if (deleteThem) await db.deleteFrom("disks").where("instance_id", "=", instanceId).execute();
  else await db.updateTable("disks").set({ status: "Available", instance_id: null, device: "", updated_at: now }).where("instance_id", "=", instanceId).execute();
}

/** Ends a detached disk's operation: `set`, and no operation, if the disk is still `from` under operation `opId`. */
export async function endDiskOperation(db: Executor, id: string, from: string, opId: string, set: Partial<Omit<DiskRow, "id" | "op_id">>): Promise<void> {
  await db.updateTable("disks").set({ ...set, op_id: null }).where("id", "=", id).where("status", "=", from).where("op_id", "=", opId).execute();
}

/** A detached disk left in a transitional status: its id, that status, and the operation it names (null: none). */
export interface DiskLeftTransitional {
  id: string;
  status: string;
  opId: string | null;
}

/** Detached disks left `Resizing` or `Deleting` with no running operation named by their `op_id` (at most 500). */
export async function disksLeftTransitional(db: Executor): Promise<DiskLeftTransitional[]> {
  const rows = await db
    .selectFrom("disks")
    .select(["id", "status", "op_id"])
    .where("status", "in", ["Resizing", "Deleting"])
    .where("instance_id", "is", null)
    .where(sql<boolean>`not exists (select 1 from operations where operations.id = ${sql.ref("disks.op_id")} and operations.status = 'running')`)
    .limit(500)
    .execute();
  return rows.map((r) => ({ id: r.id, status: r.status, opId: r.op_id }));
}

/**
 * Settles a disk left transitional: to `Deleted` (its file gone: no host) or `Available`, and no
 * operation, if it is still `from` under operation `opId` (null: none). Returns whether it was.
 */
export async function settleLeftDisk(db: Executor, disk: DiskLeftTransitional, status: "Deleted" | "Available", now: number): Promise<boolean> {
  const gone = status === "Deleted";
  const res = await db
    .updateTable("disks")
    .set({ status, op_id: null, ...(gone ? { host_id: null } : {}), updated_at: now })
    .where("id", "=", disk.id)
    .where("status", "=", disk.status)
    .where((eb) => (disk.opId === null ? eb("op_id", "is", null) : eb("op_id", "=", disk.opId)))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
