/** What the console knows of instances and operations, and which actions each state allows. */
export interface Instance {
  UHostId: string;
  Name: string;
  State: string;
  Region: string;
  Zone: string;
  GpuType: string;
  GPU: number;
  CPU: number;
  Memory: number;
  ChargeType: string;
  CompShareImageName: string;
  OsName: string;
  CreateTime: number;
  ExpireTime: number;
  StartTime: number;
  StopTime: number;
  TotalDiskSpace: number;
  /** The system disk (IsBoot "True") and the data disks, each Size in GB. */
  DiskSet?: { DiskId: string; IsBoot: string; Size: number; Name: string }[];
  SshLoginCommand: string;
  IPSet?: { IP: string; Type: string }[];
}

export interface Operation {
  OperationId: string;
  UHostId: string;
  Action: string;
  Status: string;
  Phase: string;
  RequestId: string;
  StartTime: number;
  EndTime: number;
  ErrorCode: number;
  ErrorMessage: string;
  Recovered: boolean;
  /** `api`, `console`, `policy` or `schedule`. */
  Source: string;
  /** The public key of the request or session; the policy step or the scheduler otherwise. */
  Requester: string;
}

export const STATES = ["Initializing", "Starting", "Running", "Stopping", "Stopped", "Install Fail", "Rebooting", "Resizing"] as const;

/** States that change by themselves soon: the list is polled every 3 s while one is shown. */
export const TRANSITIONAL = new Set(["Initializing", "Starting", "Stopping", "Rebooting", "Resizing", ""]);

export type RowAction = "start" | "stop" | "reboot" | "terminate" | "rename" | "resetPassword";

/**
 * The server's rule table (packages/server/src/domain/rules.ts), by state. Reboot stays offered
 * while Rebooting: the server then refuses it because the first reboot holds the instance's
 * lock, and the page says which operation holds it, since when and until when.
 */
const ALLOWED: Record<RowAction, readonly string[] | "any"> = {
  start: ["Stopped", ""],
  stop: ["Running", ""],
  reboot: ["Running", "Rebooting"],
  terminate: ["Running", "Stopped", "Install Fail", ""],
  rename: "any",
  resetPassword: ["Running", "Stopped"],
};

export function allowed(action: RowAction, state: string): boolean {
  const from = ALLOWED[action];
  return from === "any" || from.includes(state);
}

export const ACTION_NAMES: Record<RowAction, string> = {
  start: "StartCompShareInstance",
  stop: "StopCompShareInstance",
  reboot: "RebootCompShareInstance",
  terminate: "TerminateCompShareInstance",
  rename: "ModifyCompShareInstanceName",
  resetPassword: "ResetCompShareInstancePassword",
};

/** RetCode of a refusal because another operation holds the instance's lock. */
export const LOCK_HELD = 226610;

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
