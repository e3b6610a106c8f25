/**
 * What the console knows of instances and operations, and which actions each state allows: the
 * protocol's own models, states, rule table and RetCodes (@opencompshare/protocol/web), so the
 * page cannot drift from the server.
 */
import { ERRORS, InstanceStates, RULES, State, TRANSITIONAL as MOVING, type Instance as InstanceModel, type Operation as OperationModel } from "@opencompshare/protocol/web";

/**
 * The fields of an instance the console shows: Describe's model, with the disk and address lists
 * possibly absent, and the state as the event stream spells it (any string).
 */
export type Instance = { State: string } & Pick<
  InstanceModel,
  | "UHostId"
  | "Name"
  | "Region"
  | "Zone"
  | "GpuType"
  | "GPU"
  | "CPU"
  | "Memory"
  | "ChargeType"
  | "CompShareImageName"
  | "OsName"
  | "CreateTime"
  | "ExpireTime"
  | "StartTime"
  | "StopTime"
  | "TotalDiskSpace"
  | "SshLoginCommand"
> &
  Partial<Pick<InstanceModel, "DiskSet" | "IPSet">>;

export type Operation = OperationModel;

export const STATES = InstanceStates.filter((s) => s !== State.Unknown);

/** States that change by themselves soon, and the unknown one: the list is polled every 3 s while one is shown. */
export const TRANSITIONAL: ReadonlySet<string> = new Set([...MOVING, State.Unknown]);

export type RowAction = "start" | "stop" | "reboot" | "terminate" | "rename" | "resetPassword";

export const ACTION_NAMES = {
  start: "StartCompShareInstance",
  stop: "StopCompShareInstance",
  reboot: "RebootCompShareInstance",
  terminate: "TerminateCompShareInstance",
  rename: "ModifyCompShareInstanceName",
  resetPassword: "ResetCompShareInstancePassword",
} as const satisfies Record<RowAction, string>;

/**
 * Whether a row offers `action` in `state`: the server's rule table. Rename has no rule (any
 * state). Reboot stays offered while Rebooting: the server then refuses it because the first
 * reboot holds the instance's lock, and the page says which operation holds it, since when and
 * until when.
 */
export function allowed(action: RowAction, state: string): boolean {
  if (action === "rename") return true;
  if (action === "reboot" && state === State.Rebooting) return true;
  return RULES[ACTION_NAMES[action]].from.includes(state);
}

/** RetCode of a refusal because another operation holds the instance's lock. */
export const LOCK_HELD = ERRORS.InstanceOperationInProgress.retCode;

export interface LockHolder {
  action: string;
  operationId: string;
  until: number;
  /** When the holder took it (Unix seconds), once known. */
  since?: number;
}

/** Reads "…locked by RebootCompShareInstance (operation op-…) until 2026-11-26T12:10:00.000Z". */
export function parseLock(message: string): LockHolder | undefined {
  const m = /locked by (\S+) \(operation ([^)\s]+)\) until (\S+)/.exec(message);
  if (!m) return undefined;
  const until = Date.parse(m[3] ?? "");
  return { action: m[1] ?? "", operationId: m[2] ?? "", until: Number.isNaN(until) ? 0 : Math.floor(until / 1000) };
}

/** UTF-8 text in base64, as the API wants passwords. */
export function base64(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The disks of an instance in GB: its system disk and its data disks (TotalDiskSpace adds them up). */
export function disksOf(inst: Pick<Instance, "DiskSet" | "TotalDiskSpace">): { system: number; data: number[]; total: number } {
  const set = inst.DiskSet ?? [];
  if (set.length === 0) return { system: inst.TotalDiskSpace, data: [], total: inst.TotalDiskSpace };
  const boot = set.filter((d) => d.IsBoot === "True");
  return { system: boot.reduce((n, d) => n + d.Size, 0), data: set.filter((d) => d.IsBoot !== "True").map((d) => d.Size), total: set.reduce((n, d) => n + d.Size, 0) };
}

/** The parts of an SshLoginCommand as the server writes it: `ssh [-p PORT] USER@HOST` (port 22 when none). */
export function sshLogin(command: string): { user: string; host: string; port: number } | undefined {
  const m = /^ssh(?: -p (\d{1,5}))? ([^\s@]+)@(\S+)$/.exec(command.trim());
  return m ? { user: m[2] ?? "", host: m[3] ?? "", port: m[1] ? Number(m[1]) : 22 } : undefined;
}
