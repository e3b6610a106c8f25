/**
 * The state of a soak run, shared by its parts: the accounts and what each created and saw, every
 * operation accepted, the counts of answers, what the invariants will judge (cross-account
 * attempts, foreign listings, internal errors, unexpected exits), the server process that answers
 * now, and the signed call that every request goes through.
 */
import { flatten, sign, type NestedValue } from "@opencompshare/protocol";
import type { Keys } from "../helpers/client.js";
import type { ServerProcess } from "../helpers/process.js";
import { OPERATIONS, REGION, REQUEST_TIMEOUT_MS } from "./settings.js";

export const started = Date.now();
export const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
export const say = (line: string) => console.log(`[${elapsed()}] ${line}`);

export interface Account {
  name: string;
  keys: Keys;
  accountId: string;
  /** Instances it created (every id a RetCode 0 Create returned): for isolation checks. */
  created: Set<string>;
  /** Its instances as last seen, with their state. */
  own: Map<string, string>;
  /** The GPU type of each instance it created (a resize keeps it). */
  types: Map<string, string>;
  images: string[];
}

export interface Accepted {
  account: string;
  action: string;
  uhostId: string;
  requestId: string;
}

export interface Answer {
  retCode: number | null;
  body: Record<string, unknown>;
  requestId: string;
}

export const accounts: Account[] = [];
export const accepted: Accepted[] = [];
export const stats = new Map<string, Map<string, number>>();
export const cross = { attempts: 0, notFound: 0, neutral: 0, violations: [] as string[] };
export const listedForeign: string[] = [];
export const internalErrors: string[] = [];
export const unexpectedExits: string[] = [];
/** The server process that answers now (none while it restarts), and whether its end is the soak's own doing. */
export const live: { server: ServerProcess | undefined; killing: boolean } = { server: undefined, killing: false };
/** Every server process of the run, for their logs. */
export const processes: ServerProcess[] = [];

export const count = (action: string, outcome: string) => {
  const m = stats.get(action) ?? new Map<string, number>();
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
  stats.set(action, m);
};

/** A signed form POST to the current server; null RetCode when the server could not be reached (killed, restarting). */
export async function api(acct: Account, action: string, params: Record<string, NestedValue>): Promise<Answer> {
  const current = live.server;
  if (!current) return { retCode: null, body: {}, requestId: "" };
  const flat = flatten({ Action: action, ...params, PublicKey: acct.keys.PublicKey });
  flat.Signature = sign(flat, acct.keys.PrivateKey);
  const body = new URLSearchParams(Object.entries(flat).map(([k, v]): [string, string] => [k, v === null ? "" : String(v)]));
  try {
    const res = await fetch(`${current.url}/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const json = (await res.json()) as Record<string, unknown>;
    const retCode = typeof json.RetCode === "number" ? json.RetCode : -1;
    count(action, String(retCode));
    if (retCode === 8433) internalErrors.push(`${acct.name} ${action}: ${String(json.Message)}`);
    return { retCode, body: json, requestId: res.headers.get("x-ucloud-request-uuid") ?? "" };
  } catch {
    count(action, "no answer");
    return { retCode: null, body: {}, requestId: "" };
  }
}

/** Calls an action on one of the caller's instances; records an accepted operation. */
export async function onInstance(acct: Account, action: string, uhostId: string, extra: Record<string, NestedValue> = {}): Promise<Answer> {
  const res = await api(acct, action, { ...REGION, UHostId: uhostId, ...extra });
  if (res.retCode === 0 && OPERATIONS.has(action)) accepted.push({ account: acct.name, action, uhostId, requestId: res.requestId });
  return res;
}
