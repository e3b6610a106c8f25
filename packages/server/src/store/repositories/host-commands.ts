/**
 * The hosts' command queue (`host_commands`): the one place it is read and written. Each command
 * is a machine-contract call for one host, with its epoch, its sealed arguments, and, once the
 * host reports, its result, failure or progress. What delivery and waiting mean is
 * `drivers/agent/queue.ts`.
 */
import type { CommandReport, MachineMethod } from "@opencompshare/protocol";
import type { Executor } from "../schema.js";

const LIVE = ["pending", "delivered"] as const;

export interface NewCommand {
  id: string;
  hostId: string;
  method: MachineMethod;
  instanceId: string | null;
  operationId: string | null;
  epoch: number;
  /** The arguments as JSON, sealed. */
  argsSealed: string;
  /** JSON of the fault the call was caught by (controls/faults.ts); null: none. */
  fault: string | null;
  now: number;
}

/** Where a command stands: its status, and its result, failure or progress once reported. */
export type CommandState =
  | { status: "pending" | "delivered"; progress: CommandProgress | null }
  | { status: "done"; value: unknown; progress: CommandProgress | null }
  | { status: "failed"; kind: string; message: string; progress: CommandProgress | null }
  | { status: "cancelled"; progress: CommandProgress | null };

/** A progress report: its JSON text (a new text is a new report) and its value. */
export interface CommandProgress {
  text: string;
  value: unknown;
}

/** A command as handed to a host: its arguments still sealed. */
export interface QueuedCommand {
  id: string;
  method: MachineMethod;
  instanceId: string | null;
  operationId: string | null;
  epoch: number;
  argsSealed: string;
  /** JSON of the fault the host applies before it acts; null: none. */
  fault: string | null;
}

export async function insertCommand(db: Executor, c: NewCommand): Promise<void> {
  await db
    .insertInto("host_commands")
    .values({
      id: c.id,
      host_id: c.hostId,
      instance_id: c.instanceId,
      operation_id: c.operationId,
      epoch: c.epoch,
      method: c.method,
      args: c.argsSealed,
      status: "pending",
      result: null,
      error_kind: null,
      error_message: null,
      progress: null,
      fault: c.fault,
      deliveries: 0,
      created_at: c.now,
      delivered_at: null,
      done_at: null,
    })
    .execute();
}

/** The command's state, or undefined when it is gone (pruned). */
export async function commandState(db: Executor, id: string): Promise<CommandState | undefined> {
  const row = await db.selectFrom("host_commands").select(["status", "result", "error_kind", "error_message", "progress"]).where("id", "=", id).executeTakeFirst();
  if (!row) return undefined;
  const progress = row.progress === null ? null : { text: row.progress, value: JSON.parse(row.progress) as unknown };
  switch (row.status) {
    case "done":
      return { status: "done", value: row.result === null ? undefined : (JSON.parse(row.result) as unknown), progress };
    case "failed":
      return { status: "failed", kind: row.error_kind ?? "refused", message: row.error_message ?? "", progress };
    case "cancelled":
      return { status: "cancelled", progress };
    default:
      return { status: row.status === "delivered" ? "delivered" : "pending", progress };
  }
}

/** Cancels the command if it has not ended. */
export async function cancelCommand(db: Executor, id: string, now: number): Promise<void> {
  await db.updateTable("host_commands").set({ status: "cancelled", done_at: now }).where("id", "=", id).where("status", "in", [...LIVE]).execute();
}

/** The oldest commands for a host that have not ended, but those it says it is running. */
export async function commandsToRun(db: Executor, hostId: string, running: readonly string[], limit: number): Promise<QueuedCommand[]> {
  let q = db
    .selectFrom("host_commands")
    .select(["id", "method", "instance_id", "operation_id", "epoch", "args", "fault"])
    .where("host_id", "=", hostId)
    .where("status", "in", [...LIVE])
    .orderBy("created_at")
    .limit(limit);
  if (running.length > 0) q = q.where("id", "not in", [...running]);
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, method: r.method as MachineMethod, instanceId: r.instance_id, operationId: r.operation_id, epoch: Number(r.epoch), argsSealed: r.args, fault: r.fault }));
}

/** Marks commands handed out (once more) at `now`, those that have not ended meanwhile. */
export async function markDelivered(db: Executor, ids: readonly string[], now: number): Promise<void> {
  await db
    .updateTable("host_commands")
    .set((eb) => ({ status: "delivered", delivered_at: now, deliveries: eb("deliveries", "+", 1) }))
    .where("id", "in", [...ids])
    .where("status", "in", [...LIVE])
    .execute();
}

/**
 * Records a host's report by compare-and-set: only for this command of this host, at its epoch,
 * while it has not ended. Returns whether it was taken.
 */
export async function recordReport(db: Executor, hostId: string, r: CommandReport, now: number): Promise<boolean> {
  const base = db.updateTable("host_commands").where("id", "=", r.id).where("host_id", "=", hostId).where("epoch", "=", r.epoch).where("status", "in", [...LIVE]);
  let res;
  if ("progress" in r) res = await base.set({ progress: JSON.stringify(r.progress ?? null) }).executeTakeFirst();
  else if (r.ok) res = await base.set({ status: "done", result: JSON.stringify(r.value ?? null), done_at: now }).executeTakeFirst();
  else res = await base.set({ status: "failed", error_kind: r.error.kind, error_message: r.error.message, done_at: now }).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Removes commands that ended before `before`. */
export async function pruneCommands(db: Executor, before: number): Promise<void> {
  await db.deleteFrom("host_commands").where("status", "in", ["done", "failed", "cancelled"]).where("done_at", "<", before).execute();
}
