/**
 * `GET /events`: an account's event stream over Server-Sent Events.
 *
 * The query is signed like an API request (PublicKey, Signature over the other parameters) and
 * carries `Expires`, Unix seconds at most an hour ahead, so that a leaked URL stops working.
 * `UHostId` narrows the stream to one instance. The position to resume after is the
 * `Last-Event-ID` header (what EventSource sends when it reconnects) or the `LastEventId`
 * parameter; without one the stream starts now.
 *
 * A comment goes out at once and a heartbeat every 15 s, so proxies that close idle connections
 * after 60 s keep it open. A position past retention gets `event: reset` first. A client that
 * does not read is disconnected rather than buffered without bound; it resumes where it was.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, commonErrors, errorEnvelope, REQUEST_ID_HEADER, RESET_EVENT, type InstanceEvent, type WireParams } from "@opencompshare/protocol";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { authenticate } from "../http/authenticate.js";
import type { RequestListener } from "../http/pipeline.js";
import { reply } from "../http/reply.js";
import type { Sealer } from "../security/secrets.js";
import type { Db } from "../store/schema.js";
import type { EventHub } from "./hub.js";

export const HEARTBEAT_MS = 15_000;
/** How far ahead a signed stream URL may expire. */
export const MAX_EXPIRES_S = 3600;
/** Streams one account may hold open at once. */
export const STREAMS_PER_ACCOUNT = 32;
/** A client this far behind (bytes not yet taken by the socket) is disconnected. */
const MAX_BUFFERED = 1 << 20;

export interface StreamDeps {
  db: Db;
  sealer: Sealer;
  clock: Clock;
  hub: EventHub;
  log: Logger;
}

export interface EventStreams {
  handler: RequestListener;
  /** Streams open now. */
  readonly open: number;
  /** Ends every stream (shutdown): clients reconnect to another replica, or to this one restarted. */
  closeAll(): void;
}

const ACTION = "StreamEvents";

const bad = (name: string, why: string): ApiError => commonErrors.invalidParam(name, why);

/** A message of the stream: the event's id (what Last-Event-ID resumes after), its kind, its JSON. */
export function formatEvent(e: InstanceEvent): string {
  return `id: ${e.EventId}\nevent: ${e.Kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

function position(req: IncomingMessage, params: WireParams): number | undefined {
  const header = req.headers["last-event-id"];
  const raw = typeof header === "string" && header !== "" ? header : params.LastEventId;
  if (raw === undefined || raw === "") return undefined;
  const text = String(raw);
  if (!/^\d{1,15}$/.test(text)) throw bad("LastEventId", "an event id is a non-negative integer");
  return Number(text);
}

export function eventStreams(deps: StreamDeps): EventStreams {
  const open = new Set<() => void>();
  const perAccount = new Map<string, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    if (req.method !== "GET") {
      res.setHeader("Allow", "GET");
      reply(res, requestId, errorEnvelope(ACTION, 230, `Params [Method] not available: ${String(req.method)}`), 405);
      return;
    }
    let account: string;
    let after: number | undefined;
    let instanceId: string | undefined;
    try {
      const params: WireParams = Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams);
      account = await authenticate(deps.db, deps.sealer, params);
      const expires = Number(params.Expires);
      const now = Math.floor(deps.clock.now() / 1000);
      if (params.Expires === undefined) throw commonErrors.missingParams(["Expires"]);
      if (!Number.isInteger(expires) || expires <= now) throw bad("Expires", "the signed URL has expired; sign a new one");
      if (expires > now + MAX_EXPIRES_S) throw bad("Expires", `at most ${MAX_EXPIRES_S} s ahead`);
      after = position(req, params);
      instanceId = typeof params.UHostId === "string" && params.UHostId !== "" ? params.UHostId : undefined;
      if ((perAccount.get(account) ?? 0) >= STREAMS_PER_ACCOUNT) {
        throw new ApiError("RateLimited", `at most ${STREAMS_PER_ACCOUNT} event streams per account at once`);
      }
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError("ServiceError", `internal error, request ${requestId}`);
      if (!(error instanceof ApiError)) deps.log.error({ reqId: requestId, err: error }, "event stream: internal error");
      // Not 200: EventSource gives up on these instead of reconnecting forever.
      const status = [160, 170, 171, 172].includes(e.retCode) ? 401 : e.retCode === 153 ? 429 : e.retCode === 8433 ? 500 : 400;
      reply(res, requestId, errorEnvelope(ACTION, e.retCode, e.message), status);
      return;
    }

    perAccount.set(account, (perAccount.get(account) ?? 0) + 1);
    const stop = new AbortController();
    let subscription: { close(): void } | undefined;
    const end = () => {
      if (stop.signal.aborted) return;
      stop.abort();
      subscription?.close();
      open.delete(end);
      const n = (perAccount.get(account) ?? 1) - 1;
      if (n === 0) perAccount.delete(account);
      else perAccount.set(account, n);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    // The response closes when the client goes away (or when it is ended here).
    res.on("close", end);
    res.on("error", end);
    const write = (chunk: string) => {
      if (stop.signal.aborted) return;
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED) {
        deps.log.warn({ reqId: requestId, account }, "event stream: the client does not read; disconnected");
        end();
      }
    };

    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
      Connection: "keep-alive",
      [REQUEST_ID_HEADER]: requestId,
    });
    write(`: ${ACTION} ${requestId}\nretry: 2000\n\n`);
    try {
      const sub = await deps.hub.subscribe(
        {
          accountId: account,
          instanceId,
          deliver: (events) => write(events.map(formatEvent).join("")),
          reset: (notice) => write(`id: ${notice.ResumeAfter}\nevent: ${RESET_EVENT}\ndata: ${JSON.stringify(notice)}\n\n`),
        },
        after,
      );
      subscription = sub;
      if (stop.signal.aborted) sub.close();
    } catch (error) {
      deps.log.error({ reqId: requestId, err: error }, "event stream: could not subscribe");
      end();
      return;
    }
    (async () => {
      while (!stop.signal.aborted) {
        try {
          await deps.clock.sleep(HEARTBEAT_MS, stop.signal);
        } catch {
          return;
        }
        write(": heartbeat\n\n");
      }
    })().catch(() => undefined);
  }

  return {
    handler: (req, res) => {
      handle(req, res).catch((error: unknown) => {
        deps.log.error({ err: error }, "event stream: unhandled error");
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
      });
    },
    get open() {
      return open.size;
    },
    closeAll() {
      for (const end of [...open]) end();
    },
  };
}
