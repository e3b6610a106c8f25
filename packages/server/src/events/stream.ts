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
import { ApiError, commonErrors, REQUEST_ID_HEADER, RESET_EVENT, type InstanceEvent, type WireParams } from "@opencompshare/protocol";
import type { Logger } from "pino";
import { asApiError, refusalStatus } from "../api/errors.js";
import type { Clock } from "../clock.js";
import { authenticate } from "../http/authenticate.js";
import { methodNotAllowed, refusal, reply } from "../http/reply.js";
import type { RequestListener } from "../http/server.js";
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
  /**
   * The clock a signed URL's `Expires` is read against: the client signs it by its own wall
   * clock, so in testing mode (where the server's clock runs ahead) the real one, not `clock`.
   */
  wallClock?: Clock;
  hub: EventHub;
  log: Logger;
}

/** A console session as the stream needs it: whose it is, and whether it still holds. */
export interface StreamSession {
  accountId: string;
  /** Ends the streams of this session with `endSession`. */
  id: string;
  alive(): Promise<boolean>;
}

export type SessionResolver = (req: IncomingMessage) => Promise<StreamSession | undefined>;

interface Opened {
  account: string;
  after: number | undefined;
  instanceId: string | undefined;
  session?: string;
  alive?: () => Promise<boolean>;
}

export interface EventStreams {
  /** `GET /events`, signed. */
  handler: RequestListener;
  /** The same stream for a console session (a cookie instead of a signature). */
  forSession(resolve: SessionResolver): RequestListener;
  /** Ends the streams of a session on this replica (logout). */
  endSession(id: string): void;
  /** Streams open now. */
  readonly open: number;
  /** Ends every stream now (a drop): clients reconnect, here or to another replica. */
  closeAll(): void;
  /** Shutting down: ends every stream, and a stream opened from now on ends at once. */
  shutdown(): void;
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
  let closed = false;
  const bySession = new Map<string, Set<() => void>>();
  const perAccount = new Map<string, number>();

  function refuse(res: ServerResponse, requestId: string, error: unknown): void {
    const e = asApiError(error, requestId, deps.log, "event stream: internal error");
    // Not 200: EventSource gives up on these instead of reconnecting forever.
    reply(res, requestId, refusal(ACTION, e), refusalStatus(e));
  }

  function notGet(req: IncomingMessage, res: ServerResponse, requestId: string): boolean {
    if (req.method === "GET") return false;
    res.setHeader("Allow", "GET");
    reply(res, requestId, refusal(ACTION, methodNotAllowed(req.method)), 405);
    return true;
  }

  /** The stream's position and filter, and the per-account cap. */
  function request(req: IncomingMessage, params: WireParams, account: string): Omit<Opened, "account"> {
    const after = position(req, params);
    const instanceId = typeof params.UHostId === "string" && params.UHostId !== "" ? params.UHostId : undefined;
    if ((perAccount.get(account) ?? 0) >= STREAMS_PER_ACCOUNT) {
      throw new ApiError("RateLimited", `at most ${STREAMS_PER_ACCOUNT} event streams per account at once`);
    }
    return { after, instanceId };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    if (notGet(req, res, requestId)) return;
    let opened: Opened;
    try {
      const params: WireParams = Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams);
      const account = await authenticate(deps.db, deps.sealer, params);
      const expires = Number(params.Expires);
      const now = Math.floor((deps.wallClock ?? deps.clock).now() / 1000);
      if (params.Expires === undefined) throw commonErrors.missingParams(["Expires"]);
      if (!Number.isInteger(expires) || expires <= now) throw bad("Expires", "the signed URL has expired; sign a new one");
      if (expires > now + MAX_EXPIRES_S) throw bad("Expires", `at most ${MAX_EXPIRES_S} s ahead`);
      opened = { account, ...request(req, params, account) };
    } catch (error) {
      refuse(res, requestId, error);
      return;
    }
    await serve(res, requestId, opened);
  }

  async function handleSession(req: IncomingMessage, res: ServerResponse, resolve: SessionResolver): Promise<void> {
    const requestId = randomUUID();
    if (notGet(req, res, requestId)) return;
    let opened: Opened;
    try {
      const session = await resolve(req);
      if (!session) throw new ApiError("SignatureError", "no console session: log in again");
      const params: WireParams = Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams);
      opened = { account: session.accountId, ...request(req, params, session.accountId), session: session.id, alive: session.alive };
    } catch (error) {
      refuse(res, requestId, error);
      return;
    }
    await serve(res, requestId, opened);
  }

  async function serve(res: ServerResponse, requestId: string, opened: Opened): Promise<void> {
    const { account, after, instanceId } = opened;
    // Closing: a stream opened now ends at once (the client reconnects, to another replica or later).
    if (closed) {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" }).end();
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
    if (opened.session) {
      const ends = bySession.get(opened.session) ?? new Set<() => void>();
      ends.add(end);
      bySession.set(opened.session, ends);
      res.on("close", () => {
        ends.delete(end);
        if (ends.size === 0) bySession.delete(opened.session!);
      });
    }
    // The response closes when the client goes away (or when it is ended here).
    res.on("close", end);
    res.on("error", end);
    // Until the subscription holds, what it delivers (a reset, missed events) waits here: the
    // answer goes out only once the stream is subscribed, so a client that has its headers (the
    // SDK's waiters) may Describe and know that any later change reaches it as an event.
    let held: string[] | undefined = [];
    const write = (chunk: string) => {
      if (stop.signal.aborted) return;
      if (held) {
        held.push(chunk);
        return;
      }
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED) {
        deps.log.warn({ reqId: requestId, account }, "event stream: the client does not read; disconnected");
        end();
      }
    };

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
      held = undefined;
      if (!res.headersSent && !stop.signal.aborted) refuse(res, requestId, error);
      end();
      return;
    }
    if (stop.signal.aborted) return;
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no",
      Connection: "keep-alive",
      [REQUEST_ID_HEADER]: requestId,
    });
    const backlog = held;
    held = undefined;
    write(`: ${ACTION} ${requestId}\nretry: 2000\n\n${backlog.join("")}`);
    (async () => {
      while (!stop.signal.aborted) {
        try {
          await deps.clock.sleep(HEARTBEAT_MS, stop.signal);
        } catch {
          return;
        }
        // A session may have ended on another replica: the stream ends within a heartbeat.
        if (opened.alive && !(await opened.alive().catch(() => true))) {
          end();
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
    forSession: (resolve) => (req, res) => {
      handleSession(req, res, resolve).catch((error: unknown) => {
        deps.log.error({ err: error }, "event stream: unhandled error");
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
      });
    },
    endSession(id) {
      for (const end of [...(bySession.get(id) ?? [])]) end();
    },
    get open() {
      return open.size;
    },
    closeAll() {
      for (const end of [...open]) end();
    },
    shutdown() {
      closed = true;
      this.closeAll();
    },
  };
}
