/**
 * The event stream of the account (`GET /events`, an extension of ours) as an async iterator:
 * what changed on the account's instances, in order. A dropped connection is made again,
 * re-signed, and resumes after the last event received (Last-Event-ID), so nothing is missed
 * while the server keeps it (its retention); past that the iterator yields a `reset` item:
 * re-read the state with Describe, the events go on after it.
 *
 * @example
 * for await (const e of client.events({ signal })) {
 *   if (e.Kind === "instance.state") console.log(e.UHostId, e.State);
 * }
 */
import { EVENTS_PATH, REQUEST_ID_HEADER, RESET_EVENT, type InstanceEvent, type NestedValue, type ResetNotice, type WireParams } from "@opencompshare/protocol";
import { encodeForm } from "./encoding.js";
import { HttpError, NetworkError, RetCodeError } from "./errors.js";
import { sleep } from "./retry.js";
import { SseParser, type SseMessage } from "./sse.js";

export interface EventsOptions {
  /** Start after this event id (a position kept from an earlier stream); default: from now. */
  after?: number | undefined;
  /** Only this instance's events. */
  uhostId?: string | undefined;
  /** Ends the iteration (it returns; it does not throw). */
  signal?: AbortSignal | undefined;
  /** Reconnect when the connection drops. Default true; false ends the iteration instead. */
  reconnect?: boolean | undefined;
  /** The clock that dates the signed URL, in ms. Default `Date.now` (a test server's clock, in tests). */
  now?: (() => number) | undefined;
  /** Called each time the stream is open, the first time and after every reconnect. */
  onOpen?: (() => void) | undefined;
}

/** Yielded when the position asked for was past the server's retention. */
export interface ResetItem extends ResetNotice {
  Kind: "reset";
}

export type StreamItem = InstanceEvent | ResetItem;

export interface StreamDeps {
  baseUrl: string;
  userAgent: string;
  fetch: typeof globalThis.fetch;
  sign(action: string, params: Record<string, NestedValue>): WireParams;
}

/** How long a signed stream URL stays valid (the server takes at most an hour). */
const EXPIRES_S = 600;
const ACTION = "StreamEvents";

async function refusal(res: Response): Promise<Error> {
  const text = await res.text().catch(() => "");
  const requestId = res.headers.get(REQUEST_ID_HEADER) ?? undefined;
  try {
    const body = JSON.parse(text) as { RetCode?: unknown; Message?: unknown };
    if (typeof body.RetCode === "number") return new RetCodeError(body.RetCode, String(body.Message ?? ""), ACTION, requestId, body);
  } catch {
    // not an envelope
  }
  return new HttpError(res.status, text, ACTION, requestId, undefined);
}

export async function* streamEvents(deps: StreamDeps, opts: EventsOptions = {}): AsyncGenerator<StreamItem, void, undefined> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) return;
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let lastId = opts.after === undefined ? undefined : String(opts.after);
  let failures = 0;
  let retryMs = 1000;
  try {
    while (!stop.signal.aborted) {
      const params: Record<string, NestedValue> = { Expires: Math.floor((opts.now ?? Date.now)() / 1000) + EXPIRES_S };
      if (opts.uhostId) params.UHostId = opts.uhostId;
      const url = `${deps.baseUrl}${EVENTS_PATH}?${encodeForm(deps.sign(ACTION, params))}`;
      const headers: Record<string, string> = { Accept: "text/event-stream", "User-Agent": deps.userAgent };
      if (lastId !== undefined) headers["Last-Event-ID"] = lastId;
      let res: Response | undefined;
      try {
        res = await deps.fetch(url, { headers, signal: stop.signal });
      } catch (error) {
        if (stop.signal.aborted) return;
        if (opts.reconnect === false) throw new NetworkError(String((error as Error).message), ACTION, { cause: error });
      }
      if (res && res.status !== 200) {
        const error = await refusal(res);
        // Refusals (keys, parameters) do not get better by asking again; overload and outages may.
        if (res.status < 500 && res.status !== 429) throw error;
        if (opts.reconnect === false) throw error;
      }
      if (res?.status === 200 && !/^text\/event-stream\b/i.test(res.headers.get("content-type") ?? "")) {
        // Something else answers at this path (a proxy, a server without the stream): not worth asking again.
        const text = await res.text().catch(() => "");
        throw new HttpError(res.status, `not an event stream: ${text.slice(0, 200)}`, ACTION, res.headers.get(REQUEST_ID_HEADER) ?? undefined, undefined);
      }
      if (res?.status === 200 && res.body) {
        failures = 0;
        opts.onOpen?.();
        const queue: SseMessage[] = [];
        const parser = new SseParser((m) => queue.push(m));
        const decoder = new TextDecoder();
        const reader = res.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(decoder.decode(value, { stream: true }));
            if (parser.retryMs !== undefined) retryMs = parser.retryMs;
            for (const m of queue.splice(0)) {
              lastId = m.id ?? lastId;
              const data = JSON.parse(m.data) as object;
              yield m.event === RESET_EVENT ? ({ Kind: "reset", ...data } as ResetItem) : (data as InstanceEvent);
            }
          }
        } catch (error) {
          if (stop.signal.aborted) return;
          if (opts.reconnect === false) throw new NetworkError(`the stream broke off: ${String((error as Error).message)}`, ACTION, { cause: error });
        } finally {
          reader.cancel().catch(() => undefined);
        }
      }
      if (opts.reconnect === false) return;
      // Back off while it keeps failing: the server's retry at first, then doubling up to 30 s.
      const wait = Math.min(30_000, retryMs * 2 ** Math.min(failures, 5));
      failures++;
      await sleep(wait * (0.5 + Math.random() / 2), stop.signal).catch(() => undefined);
    }
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    stop.abort();
  }
}
