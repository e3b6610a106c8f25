/**
 * Instances (`instances`): lookups scoped to their owner, listing, and compare-and-set state
 * writes. What the handlers read leaves as a record (numbers as numbers, the 0/1 flags as
 * booleans, the JSON columns parsed); writes still name the columns.
 */
import { State, type MachineAccess } from "@opencompshare/protocol";
import { sql } from "kysely";
import type { Executor, InstanceRow } from "../schema.js";
import { prepared, rowsOf } from "../prepared.js";
import type { StoredDisk } from "./disks.js";
import { appendEvent, inTransaction } from "./events.js";

/** The ports a container instance maps (the `ports` column, parsed). */
export interface StoredPorts {
  HttpPorts?: number[];
  TcpPorts?: number[];
}

/** One GPU as the instance's host last reported it (agent hosts add the device and its health). */
export interface StoredGpuInfo {
  GPU: string;
  GpuUsageRate: string;
  MemoryUsageRate: string;
  Device?: string;
  Healthy?: boolean;
  Reasons?: string[];
}

/** The `monitor` column, parsed: the GPU usage and health its host last reported. */
export interface StoredMonitor {
  GpuInfo?: StoredGpuInfo[];
}

/** An instance as stored: numbers, booleans, its JSON columns parsed as they are (not completed). */
export interface InstanceRecord {
  id: string;
  accountId: string;
  projectId: string;
  zone: string;
  name: string;
  state: string;
  cpu: number;
  /** MB. */
  memory: number;
  gpu: number;
  gpuType: string;
  machineType: string;
  imageId: string;
  chargeType: string;
  loginMode: string;
  /** The DiskSet it shows, boot disk first. */
  disks: StoredDisk[];
  passwordSealed: string;
  /** Being reclaimed. */
  recycling: boolean;
  /** The background task running on it (ResetPassword, Reinstall, Resize), or null. */
  task: string | null;
  taskOpId: string | null;
  createdAt: number;
  updatedAt: number;
  startTime: number;
  stopTime: number;
  stopSchedulerTime: number;
  /** The end of the prepaid period (0: none). */
  expireTime: number;
  /** The host placement chose; null until placed. */
  hostId: string | null;
  remark: string;
  tag: string;
  securityGroupId: string;
  enableUs3: boolean;
  /** `UHost` or `Container`. */
  instanceType: string;
  cpuPlatform: string;
  autoRenew: string;
  paidAmount: number;
  periodStart: number;
  ports: StoredPorts;
  /** Where the guest's SSH server is, as the driver last told; empty until it has (a machine never booted). */
  access: Partial<MachineAccess>;
  monitor: StoredMonitor;
  billedUntil: number;
  /** The first unpaid order (0: nothing unpaid). */
  arrearsSince: number;
  policyKey: string;
  policyStep: string;
  /** Resized into no-GPU mode: it starts without its GPUs until a compute resize. */
  withoutGpu: boolean;
  /** The machine is sized for no-GPU mode now. */
  machineWithoutGpu: boolean;
  /** The account id while started in no-GPU mode, else null. */
  noGpuSlot: string | null;
}

export function toInstanceRecord(r: InstanceRow): InstanceRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    projectId: r.project_id,
    zone: r.zone,
    name: r.name,
    state: r.state,
    cpu: Number(r.cpu),
    memory: Number(r.memory),
    gpu: Number(r.gpu),
    gpuType: r.gpu_type,
    machineType: r.machine_type,
    imageId: r.image_id,
    chargeType: r.charge_type,
    loginMode: r.login_mode,
    disks: JSON.parse(r.disks || "[]") as StoredDisk[],
    passwordSealed: r.password_sealed,
    recycling: Number(r.recycling) === 1,
    task: r.task,
    taskOpId: r.task_op_id,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    startTime: Number(r.start_time),
    stopTime: Number(r.stop_time),
    stopSchedulerTime: Number(r.stop_scheduler_time),
    expireTime: Number(r.expire_time),
    hostId: r.host_id,
    remark: r.remark,
    tag: r.tag,
    securityGroupId: r.security_group_id,
    enableUs3: Number(r.enable_us3) === 1,
    instanceType: r.instance_type,
    cpuPlatform: r.cpu_platform,
    autoRenew: r.auto_renew,
    paidAmount: Number(r.paid_amount),
    periodStart: Number(r.period_start),
    ports: JSON.parse(r.ports || "{}") as StoredPorts,
    access: JSON.parse(r.access || "{}") as Partial<MachineAccess>,
    monitor: JSON.parse(r.monitor || "{}") as StoredMonitor,
    billedUntil: Number(r.billed_until),
    arrearsSince: Number(r.arrears_since),
    policyKey: r.policy_key,
    policyStep: r.policy_step,
    withoutGpu: Number(r.without_gpu) === 1,
    machineWithoutGpu: Number(r.machine_without_gpu) === 1,
    noGpuSlot: r.no_gpu_slot,
  };
}

/** The instance, only if it belongs to this account and project. */
export async function findOwnedInstance(db: Executor, id: string, accountId: string, projectId: string): Promise<InstanceRecord | undefined> {
  const row = await db
    .selectFrom("instances")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
  return row && toInstanceRecord(row);
}


export interface ListQuery {
  projectId: string;
  ids?: string[] | undefined;
  zone?: string | undefined;
  tag?: string | undefined;
  offset: number;
  limit: number;
}

/**
 * A page of the project's instances, newest first, and their total. A project belongs to one
 * account (the pipeline resolved it for the caller), so the project scopes the query alone and
 * the (project_id, created_at, id) index serves it. When the page is not full, it tells the total
 * by itself and no count is run.
 */
export async function listInstances(db: Executor, q: ListQuery): Promise<{ rows: InstanceRecord[]; total: number }> {
  if (q.ids && q.ids.length > 0) return listByIds(db, { ...q, ids: q.ids });
  let base = db.selectFrom("instances").where("project_id", "=", q.projectId);
  if (q.zone) base = base.where("zone", "=", q.zone);
  if (q.tag) base = base.where("tag", "=", q.tag);
  const rows = (await base.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").offset(q.offset).limit(q.limit).execute()).map(toInstanceRecord);
  if (rows.length < q.limit && (rows.length > 0 || q.offset === 0)) return { rows, total: q.offset + rows.length };
  const count = await base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
}

/**
 * The instances named by id (UHostIds), filtered, newest first, and the page asked for. The ids
 * bound the rows, so they are read by primary key, all of them, and ordered and paged here: an
 * ORDER BY … LIMIT … OFFSET on the project's index would cost several times the lookups.
 */
async function listByIds(db: Executor, q: ListQuery & { ids: string[] }): Promise<{ rows: InstanceRecord[]; total: number }> {
  const ids = [...new Set(q.ids)];
  const found = ids.length === 1 ? await rowsOf(oneInProject(db, ids[0] as string, q.projectId)) : await db.selectFrom("instances").selectAll().where("id", "in", ids).where("project_id", "=", q.projectId).execute();
  const all = found.filter((r) => (!q.zone || r.zone === q.zone) && (!q.tag || r.tag === q.tag));
  all.sort((a, b) => Number(b.created_at) - Number(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return { rows: all.slice(q.offset, q.offset + q.limit).map(toInstanceRecord), total: all.length };
}

/** Describe's most common question, one instance by id: prepared once. */
const oneInProject = prepared(2, (db, id: string, projectId: string) => db.selectFrom("instances").selectAll().where("id", "=", id).where("project_id", "=", projectId));

/** What the guard decides on: the caller's instance, whether an image of it is being made, and its lock. */
export interface GuardSnapshot<I = InstanceRecord> {
  instance: I;
  imaging: boolean;
  lock: { holderOpId: string | null; expiresAt: number; holderAction: string | null } | null;
}

/** What the guard itself reads of the instance; the whole record only when an action's `prepare` needs it. */
export type GuardInstance = Pick<InstanceRecord, "id" | "state" | "recycling" | "task">;

const snapshotOf = (db: Executor, id: string, accountId: string, projectId: string) =>
  db
    .selectFrom("instances")
    .leftJoin("instance_locks", "instance_locks.instance_id", "instances.id")
    .leftJoin("operations", "operations.id", "instance_locks.holder_op_id")
    .select((eb) => [
      "instance_locks.holder_op_id as lock_holder_op_id",
      "instance_locks.expires_at as lock_expires_at",
      "operations.action as lock_holder_action",
      eb
        .exists(eb.selectFrom("images").select("images.id").whereRef("images.source_instance_id", "=", "instances.id").where("images.status", "=", "Making"))
        .as("imaging"),
    ])
    .where("instances.id", "=", id)
    .where("instances.account_id", "=", accountId)
    .where("instances.project_id", "=", projectId);

const fullSnapshot = prepared(3, (db, id: string, accountId: string, projectId: string) => snapshotOf(db, id, accountId, projectId).selectAll("instances"));
const guardSnapshotQuery = prepared(3, (db, id: string, accountId: string, projectId: string) =>
  snapshotOf(db, id, accountId, projectId).select(["instances.id", "instances.state", "instances.recycling", "instances.task"]),
);

type SnapshotRow = { lock_holder_op_id: string | null; lock_expires_at: number | null; lock_holder_action: string | null; imaging: unknown };

function toSnapshot<I>(row: (SnapshotRow & I) | undefined): GuardSnapshot<I> | undefined {
  if (!row) return undefined;
  const { lock_holder_op_id, lock_expires_at, lock_holder_action, imaging, ...instance } = row;
  return {
    instance: instance as I,
    // SQLite answers EXISTS with 0/1, PostgreSQL with a boolean.
    imaging: imaging === true || Number(imaging) === 1,
    lock: lock_expires_at === null ? null : { holderOpId: lock_holder_op_id, expiresAt: Number(lock_expires_at), holderAction: lock_holder_action },
  };
}

/**
 * The guard's snapshot in one read: the instance (only if it belongs to this account and
 * project), its lock and the lock holder's action, and whether a custom image of it is being
 * made. One statement instead of three: it is the whole of a refused reboot's database work.
 * `guardSnapshot` reads the whole instance row; `guardFields` only what the guard needs.
 */
export async function guardSnapshot(db: Executor, id: string, accountId: string, projectId: string): Promise<GuardSnapshot | undefined> {
  const snapshot = toSnapshot<InstanceRow>((await rowsOf(fullSnapshot(db, id, accountId, projectId)))[0]);
  return snapshot && { ...snapshot, instance: toInstanceRecord(snapshot.instance) };
}

export async function guardFields(db: Executor, id: string, accountId: string, projectId: string): Promise<GuardSnapshot<GuardInstance> | undefined> {
  const snapshot = toSnapshot<Pick<InstanceRow, "id" | "state" | "recycling" | "task">>((await rowsOf(guardSnapshotQuery(db, id, accountId, projectId)))[0]);
  if (!snapshot) return undefined;
  const { id: instanceId, state, recycling, task } = snapshot.instance;
  return { ...snapshot, instance: { id: instanceId, state, recycling: Number(recycling) === 1, task } };
}

/**
 * Writes `set` only if the instance is in state `from` (when given). Returns whether it did:
 * every state write is a compare-and-set on the expected state. A write of the state is
 * reported as an `instance.state` event, in the same transaction.
 */
export async function casInstance(
  db: Executor,
  id: string,
  from: string | undefined,
  set: Partial<Omit<InstanceRow, "id">>,
): Promise<boolean> {
  const state = set.state;
  if (state === undefined) {
    let q = db.updateTable("instances").set(set).where("id", "=", id);
    if (from !== undefined) q = q.where("state", "=", from);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
  return inTransaction(db, async (tx) => {
    let q = tx.updateTable("instances").set(set).where("id", "=", id);
    if (from !== undefined) q = q.where("state", "=", from);
    const row = await q.returning("account_id").executeTakeFirst();
    if (!row) return false;
    if (from === state) return true;
    const data = from !== undefined && from !== state ? { State: state, PreviousState: from } : { State: state };
    await appendEvent(tx, row.account_id, { kind: "instance.state", instanceId: id, data, at: Number(set.updated_at ?? Date.now()) });
    return true;
  });
}

/** Whether any instance is placed on host `hostId`. */
export async function anyInstanceOn(db: Executor, hostId: string): Promise<boolean> {
  return (await db.selectFrom("instances").select("id").where("host_id", "=", hostId).executeTakeFirst()) !== undefined;
}

/** The GPU usage an instance shows (Describe's GpuInfo), as its host last reported it. */
export async function setMonitor(db: Executor, id: string, monitor: object): Promise<void> {
  await db.updateTable("instances").set({ monitor: JSON.stringify(monitor) }).where("id", "=", id).execute();
}

/**
 * Where the instance's SSH server is, as its machine told: the operations write it when the
 * machine boots; a fleet that knows the address sooner (the simulated one, when the machine is
 * made) may write it then. Until it is written the instance shows no address.
 */
export async function setAccess(db: Executor, id: string, access: MachineAccess): Promise<void> {
  await db.updateTable("instances").set({ access: JSON.stringify(access) }).where("id", "=", id).execute();
}

/** How many instances an account has. */
export async function countInstancesOf(db: Executor, accountId: string): Promise<number> {
  return Number((await db.selectFrom("instances").select((eb) => eb.fn.countAll<number>().as("n")).where("account_id", "=", accountId).executeTakeFirstOrThrow()).n);
}

/**
 * The account's one instance in no-GPU mode other than `exceptId`, if any. Stopped instances
 * first give their slot back: a stopped instance holds none, however it came to stop.
 */
export async function noGpuSlotHolder(tx: Executor, accountId: string, exceptId: string): Promise<string | undefined> {
  await tx.updateTable("instances").set({ no_gpu_slot: null }).where("no_gpu_slot", "=", accountId).where("state", "=", State.Stopped).execute();
  return (await tx.selectFrom("instances").select("id").where("no_gpu_slot", "=", accountId).where("id", "!=", exceptId).executeTakeFirst())?.id;
}

/**
 * Of the instances `ids` on host `hostId`, those settled for `stableSince`: Running or Stopped,
 * no background task, not being reclaimed, unchanged since then, no live lock and no running
 * operation. A host's report may correct these, and only these.
 */
export async function settledOn(db: Executor, hostId: string, ids: readonly string[], stableSince: number, now: number): Promise<Array<{ id: string; state: string }>> {
  return db
    .selectFrom("instances")
    .select(["id", "state"])
    .where("host_id", "=", hostId)
    .where("state", "in", [State.Running, State.Stopped])
    .where("task", "is", null)
    .where("recycling", "=", 0)
    .where("updated_at", "<", stableSince)
    .where("id", "in", [...ids])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("instance_locks")
            .select("instance_locks.instance_id")
            .whereRef("instance_locks.instance_id", "=", "instances.id")
            .where("instance_locks.holder_op_id", "is not", null)
            .where("instance_locks.expires_at", ">", now),
        ),
      ),
    )
    .where((eb) => eb.not(eb.exists(eb.selectFrom("operations").select("operations.id").whereRef("operations.instance_id", "=", "instances.id").where("operations.status", "=", "running"))))
    .execute();
}

/** The host an instance was placed on, or null (never placed). */
export async function hostOfInstance(db: Executor, id: string): Promise<string | null> {
  return (await db.selectFrom("instances").select("host_id").where("id", "=", id).executeTakeFirst())?.host_id ?? null;
}

/** An instance's sealed password (base64 of the password, sealed), or null. */
export async function sealedPassword(db: Executor, id: string): Promise<string | null> {
  return (await db.selectFrom("instances").select("password_sealed").where("id", "=", id).executeTakeFirst())?.password_sealed ?? null;
}

/** What an instance holds on its host: the host, its CPUs and its memory (MB). */
export async function holdingsOf(db: Executor, id: string): Promise<{ hostId: string | null; cpu: number; memoryMb: number } | undefined> {
  const row = await db.selectFrom("instances").select(["host_id", "cpu", "memory"]).where("id", "=", id).executeTakeFirst();
  return row ? { hostId: row.host_id, cpu: Number(row.cpu), memoryMb: Number(row.memory) } : undefined;
}

/** Removes a released instance's row and its lock's. */
export async function deleteInstance(db: Executor, id: string): Promise<void> {
  await db.deleteFrom("instances").where("id", "=", id).execute();
  await db.deleteFrom("instance_locks").where("instance_id", "=", id).execute();
}

/** A new instance's row. */
export async function insertInstance(db: Executor, row: InstanceRow): Promise<void> {
  await db.insertInto("instances").values(row).execute();
}

/** Running instances whose stop schedule has come (at most `limit`), with the schedule each had. */
export async function dueStops(db: Executor, now: number, limit: number): Promise<Array<{ id: string; accountId: string; projectId: string; scheduledAt: number }>> {
  const rows = await db
    .selectFrom("instances")
    .select(["id", "account_id", "project_id", "stop_scheduler_time"])
    // A literal 0, so that the partial index (stop_scheduler_time > 0) applies.
    .where(sql<boolean>`stop_scheduler_time > 0`)
    .where("stop_scheduler_time", "<=", now)
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, projectId: r.project_id, scheduledAt: Number(r.stop_scheduler_time) }));
}

/** Claims a due stop by clearing its schedule, if it is still the one seen: two replicas never both act on it. */
export async function claimStop(db: Executor, id: string, scheduledAt: number): Promise<boolean> {
  const claimed = await db.updateTable("instances").set({ stop_scheduler_time: 0 }).where("id", "=", id).where("stop_scheduler_time", "=", scheduledAt).executeTakeFirst();
  return Number(claimed.numUpdatedRows) === 1;
}

/** An instance's state now, or undefined when it is gone. */
export async function stateOf(db: Executor, id: string): Promise<string | undefined> {
  return (await db.selectFrom("instances").select("state").where("id", "=", id).executeTakeFirst())?.state;
}
