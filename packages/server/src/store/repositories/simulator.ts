/**
 * The simulated fleet's tables (`sim_machines`, `sim_access`, `sim_images`, `sim_journal`): the
 * one place they are read and written. Rows leave as records (numbers as numbers, the machine's
 * spec parsed); what the simulator does with them — timed actions and their outcomes — is
 * drivers/simulated/. The reboot's road (the machine read, the action write with its journal line) runs on every driver call: those queries are prepared.
 */
import { randomUUID } from "node:crypto";
import type { MachineSpec } from "@opencompshare/protocol";
import { prepared, rowsOf } from "../prepared.js";
import type { Db, Executor } from "../schema.js";

/** A simulated machine as stored: its power, the action in flight (until when) and its boots. */
export interface SimMachine {
  id: string;
  power: "on" | "off";
  /** The action in flight (`boot`, `shutdown`, `reboot`, …) or null. */
  action: string | null;
  actionUntil: number;
  bootCount: number;
}

/** What completing an action leaves: the power it sets (unchanged when absent) and the boots it adds. */
export interface SimOutcome {
  power?: "on" | "off";
  boots?: number;
  gone?: true;
}

/** A simulated image being built: from when until when. */
export interface SimImage {
  startedAt: number;
  readyAt: number;
}

/** One line of a machine's journal: an action it started, and until when it ran. */
export interface SimJournalEntry {
  action: string;
  startedAt: number;
  until: number;
}

// ——— Machines ———

/** Every driver call reads its machine, and every timed action writes two rows: prepared once. */
const machineById = prepared(1, (db, id: string) => db.selectFrom("sim_machines").select(["id", "power", "action", "action_until", "boot_count"]).where("id", "=", id));
const startAction = prepared(3, (db, id: string, action: string, until: number) => db.updateTable("sim_machines").set({ action, action_until: until }).where("id", "=", id));
const journal = prepared(5, (db, journalId: string, id: string, action: string, startedAt: number, until: number) =>
  db.insertInto("sim_journal").values({ id: journalId, machine_id: id, action, started_at: startedAt, until }),
);

/** The machine as stored, whatever action is in flight; undefined when there is none. */
export async function simMachine(db: Executor, id: string): Promise<SimMachine | undefined> {
  const [row] = await rowsOf(machineById(db, id));
  if (!row) return undefined;
  return { id: row.id, power: row.power === "on" ? "on" : "off", action: row.action, actionUntil: Number(row.action_until), bootCount: Number(row.boot_count) };
}

/** Adds a machine, powered off and idle, unless one by that id exists. */
export async function insertSimMachine(db: Executor, id: string, spec: MachineSpec): Promise<void> {
  await db
    .insertInto("sim_machines")
    .values({ id, power: "off", action: null, action_until: 0, boot_count: 0, spec: JSON.stringify(spec) })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

/** Cuts the power at once: off, with no action in flight. */
export async function powerOffSimMachine(db: Executor, id: string): Promise<void> {
  await db.updateTable("sim_machines").set({ power: "off", action: null, action_until: 0 }).where("id", "=", id).execute();
}

/** Records `action` in flight from `startedAt` until `until`, and its line in the journal, in one transaction. */
export async function startSimAction(db: Db, id: string, action: string, startedAt: number, until: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await startAction(tx, id, action, until);
    await journal(tx, randomUUID(), id, action, startedAt, until);
  });
}

/**
 * Completes the machine's action with `outcome` if that action is still the one in flight (a
 * compare-and-set on the action and its end): gone removes the machine, else the power is set,
 * the boots added and the machine left idle. Answers the machine as it then stands.
 */
export async function completeSimAction(db: Executor, machine: SimMachine, outcome: SimOutcome): Promise<SimMachine | undefined> {
  const action = machine.action as string;
  if (outcome.gone) {
    const gone = await db.deleteFrom("sim_machines").where("id", "=", machine.id).where("action", "=", action).where("action_until", "=", machine.actionUntil).executeTakeFirst();
    // Its public address is free again once the machine is gone.
    if (Number(gone.numDeletedRows) > 0) await db.deleteFrom("sim_access").where("machine_id", "=", machine.id).execute();
  } else {
    await db
      .updateTable("sim_machines")
      .where("id", "=", machine.id)
      .where("action", "=", action)
      .where("action_until", "=", machine.actionUntil)
      .set((eb) => ({
        power: outcome.power ?? machine.power,
        action: null,
        action_until: 0,
        boot_count: eb("boot_count", "+", outcome.boots ?? 0),
      }))
      .execute();
  }
  return simMachine(db, machine.id);
}

/** The machine's spec; throws when there is no such machine. */
export async function simMachineSpec(db: Executor, id: string): Promise<MachineSpec> {
  const row = await db.selectFrom("sim_machines").select("spec").where("id", "=", id).executeTakeFirstOrThrow();
  return JSON.parse(row.spec) as MachineSpec;
}

export async function setSimMachineSpec(db: Executor, id: string, spec: MachineSpec): Promise<void> {
  await db.updateTable("sim_machines").set({ spec: JSON.stringify(spec) }).where("id", "=", id).execute();
}

/** The machine's journal, oldest first. */
export async function simJournal(db: Executor, machineId: string): Promise<SimJournalEntry[]> {
  const rows = await db.selectFrom("sim_journal").select(["action", "started_at", "until"]).where("machine_id", "=", machineId).orderBy("started_at").execute();
  return rows.map((r) => ({ action: r.action, startedAt: Number(r.started_at), until: Number(r.until) }));
}

// ——— Access ———

/** Where a simulated machine is reached from outside, and who logs in there. */
export interface SimAccess {
  publicIp: string;
  sshUser: string;
  sshPort: number;
}

export async function simAccess(db: Executor, id: string): Promise<SimAccess | undefined> {
  const row = await db.selectFrom("sim_access").select(["public_ip", "ssh_user", "ssh_port"]).where("machine_id", "=", id).executeTakeFirst();
  return row ? { publicIp: row.public_ip, sshUser: row.ssh_user, sshPort: Number(row.ssh_port) } : undefined;
}

/** Every public address a simulated machine holds. */
export async function simPublicIps(db: Executor): Promise<Set<string>> {
  return new Set((await db.selectFrom("sim_access").select("public_ip").execute()).map((r) => r.public_ip));
}

/**
 * Gives machine `id` its access unless it has one; false when the address is another machine's
 * (the unique address decides between replicas claiming it at once) or the machine has one already.
 */
export async function claimSimAccess(db: Executor, id: string, access: SimAccess): Promise<boolean> {
  const done = await db
    .insertInto("sim_access")
    .values({ machine_id: id, public_ip: access.publicIp, ssh_user: access.sshUser, ssh_port: access.sshPort })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(done.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** A new login for the machine (its image changed), its address kept. */
export async function setSimLogin(db: Executor, id: string, sshUser: string, sshPort: number): Promise<void> {
  await db.updateTable("sim_access").set({ ssh_user: sshUser, ssh_port: sshPort }).where("machine_id", "=", id).execute();
}

// ——— Images ———

/** Starts building an image, unless one by that id exists. */
export async function insertSimImage(db: Executor, id: string, startedAt: number, readyAt: number): Promise<void> {
  await db
    .insertInto("sim_images")
    .values({ id, started_at: startedAt, ready_at: readyAt })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

export async function simImage(db: Executor, id: string): Promise<SimImage | undefined> {
  const row = await db.selectFrom("sim_images").select(["started_at", "ready_at"]).where("id", "=", id).executeTakeFirst();
  return row ? { startedAt: Number(row.started_at), readyAt: Number(row.ready_at) } : undefined;
}

export async function deleteSimImage(db: Executor, id: string): Promise<void> {
  await db.deleteFrom("sim_images").where("id", "=", id).execute();
}
