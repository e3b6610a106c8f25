/** A console session over plain HTTP, as the page makes it: nonce, signed login, cookie, CSRF header. */
import { sign } from "@opencompshare/protocol";
import type { Keys } from "../helpers/client.js";

export interface ConsoleAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export interface ConsoleSession {
  cookie: string;
  csrf: string;
  accountId: string;
  setCookie: string;
  call(action: string, params?: Record<string, unknown>, opts?: { csrf?: string | null }): Promise<ConsoleAnswer>;
  post(route: string, body?: unknown, opts?: { csrf?: string | null }): Promise<ConsoleAnswer>;
}

async function answer(res: Response): Promise<ConsoleAnswer> {
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<ConsoleAnswer> {
  return answer(await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) }));
}

export async function nonce(base: string): Promise<string> {
  const r = await postJson(`${base}/console/api/nonce`, {});
  return String(r.body.Nonce);
}

export const loginSignature = (keys: Keys, n: string): string => sign({ Action: "ConsoleLogin", Nonce: n, PublicKey: keys.PublicKey }, keys.PrivateKey);

export async function tryLogin(base: string, keys: Keys, n?: string): Promise<ConsoleAnswer> {
  const used = n ?? (await nonce(base));
  return postJson(`${base}/console/api/login`, { PublicKey: keys.PublicKey, Nonce: used, Signature: loginSignature(keys, used) });
}

/** Logs in; `base` is where the calls go afterwards (another replica, say). */
export async function login(loginBase: string, keys: Keys, base = loginBase): Promise<ConsoleSession> {
  const r = await tryLogin(loginBase, keys);
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  const setCookie = r.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  const session: ConsoleSession = {
    cookie,
    setCookie,
    csrf: String(r.body.CsrfToken),
    accountId: String(r.body.AccountId),
    post: async (route, body = {}, opts = {}) => {
      const csrf = opts.csrf === undefined ? session.csrf : opts.csrf;
      return postJson(`${base}/console/api/${route}`, body, { Cookie: cookie, ...(csrf === null ? {} : { "X-CSRF-Token": csrf }) });
    },
    call: (action, params = {}, opts = {}) => session.post("call", { Action: action, ...params }, opts),
  };
  return session;
}

export interface ConsoleStream {
  /** Each `data:` payload so far, parsed. */
  items: Record<string, unknown>[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Waits until `cond(items)` holds (real time, bounded). */
  until(cond: (items: Record<string, unknown>[]) => boolean, what?: string, ms?: number): Promise<void>;
  close(): void;
}

/** Opens the console's event stream with a session cookie, as the page's EventSource does. */
export async function consoleStream(base: string, cookie: string, query = ""): Promise<ConsoleStream> {
  const abort = new AbortController();
  const res = await fetch(`${base}/console/events${query}`, { headers: { Cookie: cookie, Accept: "text/event-stream" }, signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`console stream refused: ${res.status} ${await res.text()}`);
  const items: Record<string, unknown>[] = [];
  let opened = false;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let at;
        while ((at = buf.indexOf("\n\n")) >= 0) {
          const message = buf.slice(0, at);
          buf = buf.slice(at + 2);
          opened = true;
          const data = message
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trim())
            .join("\n");
          if (data) items.push(JSON.parse(data) as Record<string, unknown>);
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  const stream: ConsoleStream = {
    items,
    ended,
    async until(cond, what = "the condition", ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!(opened && cond(items))) {
        if (Date.now() > deadline) throw new Error(`console stream: ${what} not within ${ms} ms; got ${JSON.stringify(items.map((i) => i.Kind))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => abort.abort(),
  };
  return stream;
}
