/**
 * The page's only way to the server: JSON POSTs under /console/api with the session's CSRF token
 * (kept in memory, never stored), and API Actions through /console/api/call, which answer the
 * API's own envelope.
 */
export interface Envelope {
  RetCode: number;
  Message?: string;
  Action?: string;
  [field: string]: unknown;
}

export interface SessionInfo {
  AccountId: string;
  CsrfToken: string;
  ExpireTime: number;
}

/** An answer that is not a success: its HTTP status and the envelope (RetCode, Message). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly envelope: Envelope,
  ) {
    super(envelope.Message ?? `RetCode ${envelope.RetCode}`);
  }
  get retCode(): number {
    return this.envelope.RetCode;
  }
}

let csrf = "";
/** The server's clock minus the browser's, in ms, from the Date of the server's last answer. */
let skewMs = 0;

/** Keeps the server's time: its Date header says when it answered, by its clock. */
function noteServerTime(res: Response): void {
  const date = Date.parse(res.headers.get("Date") ?? "");
  if (!Number.isNaN(date)) skewMs = date - Date.now();
}

/** Now on the server's clock (ms), as of its last answer: the monitoring windows end there. */
export function serverNow(): number {
  return Date.now() + skewMs;
}
let onUnauthorized: () => void = () => undefined;

export function setCsrf(token: string): void {
  csrf = token;
}

/** Called when the server says the session is gone (401), so the page can show the login again. */
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

async function answer(res: Response): Promise<Envelope> {
  let body: Envelope;
  try {
    body = (await res.json()) as Envelope;
  } catch {
    body = { RetCode: -1, Message: `HTTP ${res.status}` };
  }
  return body;
}

export async function post(route: string, body: unknown = {}): Promise<Envelope> {
  const res = await fetch(`/console/api/${route}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...(csrf ? { "X-CSRF-Token": csrf } : {}) },
    body: JSON.stringify(body),
  });
  noteServerTime(res);
  const env = await answer(res);
  if (res.status === 401 && route !== "login") onUnauthorized();
  if (!res.ok || env.RetCode !== 0) throw new ApiFailure(res.status, env);
  return env;
}

export async function session(): Promise<SessionInfo | undefined> {
  const res = await fetch("/console/api/session", { credentials: "same-origin" });
  noteServerTime(res);
  // 204: no session (a first visit), which is no error.
  if (res.status !== 200) return undefined;
  const env = (await answer(res)) as Envelope & SessionInfo;
  return env.RetCode === 0 ? env : undefined;
}

/** Runs an API Action as the session's account; throws ApiFailure unless RetCode is 0. */
export async function call<T extends object = Record<string, unknown>>(action: string, params: Record<string, unknown> = {}): Promise<Envelope & T> {
  return (await post("call", { ...params, Action: action })) as Envelope & T;
}
