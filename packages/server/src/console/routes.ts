/**
 * `/console`: the page and its files, login and logout, the session, every API Action for the
 * session's account (through the wire protocol's own road: api/dispatch.ts, which finds the
 * Action, rate-limits, counts and maps its errors), and the event stream. docs/console.md
 * describes each route.
 *
 * A POST needs the session's CSRF token in `X-CSRF-Token`, on top of the SameSite=Strict cookie.
 * Every answer carries a strict Content-Security-Policy.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, commonErrors, errorEnvelope, ERRORS, REQUEST_ID_HEADER, type Envelope, type WireParams } from "@opencompshare/protocol";
import { dispatch, type DispatchDeps } from "../api/dispatch.js";
import { asApiError, refusalStatus } from "../api/errors.js";
import { authenticate } from "../http/authenticate.js";
import { BodyTooLarge, ClientGone, readBody } from "../http/body.js";
import { parseParams } from "../http/parse.js";
import { methodNotAllowed, refusal } from "../http/reply.js";
import type { RequestListener } from "../http/server.js";
import type { EventStreams, StreamSession } from "../events/stream.js";
import { negotiate, type ConsoleAssets } from "./assets.js";
import { csrfMatches, endSession, findSession, issueNonce, NONCE_TTL_S, openSession, sessionByHash, SESSION_TTL_MS, useNonce, type Session } from "./sessions.js";

export const CONSOLE_PATH = "/console";
export const SESSION_COOKIE = "ocs_session";
export const CSRF_HEADER = "x-csrf-token";
/** The Action a login signature is computed for. */
export const LOGIN_ACTION = "ConsoleLogin";
const BODY_LIMIT = 256 * 1024;

export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** Dispatch's (the services, the rate limits, the counters), the page's files, the event streams. */
export interface ConsoleDeps extends DispatchDeps {
  assets: ConsoleAssets;
  streams: EventStreams;
}

/** A refusal of the console's own routes, with its HTTP status (a call's refusals are dispatch's, 200). */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly envelope: Envelope,
  ) {
    super(envelope.Message);
  }
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sessionCookie(value: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${value}; Path=${CONSOLE_PATH}; Max-Age=${maxAgeS}; HttpOnly; Secure; SameSite=Strict`;
}

function send(res: ServerResponse, requestId: string, status: number, envelope: Envelope, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(envelope);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    [REQUEST_ID_HEADER]: requestId,
    ...extra,
  });
  res.end(body);
}

function noContent(res: ServerResponse, requestId: string, extra: Record<string, string> = {}): void {
  res.writeHead(204, { ...SECURITY_HEADERS, "Cache-Control": "no-store", [REQUEST_ID_HEADER]: requestId, ...extra });
  res.end();
}

const sessionFields = (s: Session) => ({ AccountId: s.accountId, CsrfToken: s.csrfToken, ExpireTime: Math.floor(s.expiresAt / 1000) });

export function consoleRoutes(deps: ConsoleDeps): RequestListener {
  const { db, sealer, clock, log } = deps.services;

  async function session(req: IncomingMessage): Promise<Session | undefined> {
    const token = cookie(req, SESSION_COOKIE);
    return token ? findSession(db, sealer, token, clock.now()) : undefined;
  }

  async function required(req: IncomingMessage, action: string, csrf: boolean): Promise<Session> {
    const s = await session(req);
    if (!s) throw new Refusal(401, refusal(action, new ApiError("SignatureError", "no console session: log in again")));
    if (csrf && !csrfMatches(s, header(req, CSRF_HEADER))) {
      throw new Refusal(403, refusal(action, commonErrors.invalidParam("X-CSRF-Token", "the request lacks this session's CSRF token; nothing was done")));
    }
    return s;
  }

  async function body(req: IncomingMessage): Promise<WireParams> {
    const raw = await readBody(req, BODY_LIMIT);
    const type = req.headers["content-type"] ?? "";
    if (!/^application\/json\b/i.test(type)) throw commonErrors.invalidParam("Content-Type", "the console sends JSON");
    return parseParams("/", type, raw.length === 0 ? Buffer.from("{}") : raw);
  }

  async function api(req: IncomingMessage, res: ServerResponse, route: string, requestId: string): Promise<string> {
    // The time of the server's clock: the page asks for usage over windows that end "now" on the
    // server, whatever the browser's clock says.
    res.setHeader("Date", new Date(clock.now()).toUTCString());
    if (route === "session" && req.method === "GET") {
      // Asking whether there is a session is no error when there is none (a first visit, or a
      // reload after the session ended): 204, so that the page logs nothing; a cookie that names
      // no live session is dropped on the way.
      const s = await session(req);
      if (!s) {
        noContent(res, requestId, cookie(req, SESSION_COOKIE) === undefined ? {} : { "Set-Cookie": sessionCookie("", 0) });
        return "";
      }
      send(res, requestId, 200, { RetCode: 0, Action: "ConsoleSessionResponse", ...sessionFields(s) });
      return s.accountId;
    }
    if (req.method !== "POST") {
      throw new Refusal(405, refusal("", methodNotAllowed(req.method)));
    }
    if (route === "nonce") {
      send(res, requestId, 200, { RetCode: 0, Action: "ConsoleNonceResponse", Nonce: issueNonce(sealer, clock.now()), ExpiresIn: NONCE_TTL_S });
      return "";
    }
    if (route === "login") {
      const params = await body(req);
      const { PublicKey, Nonce, Signature } = params;
      if (typeof Nonce !== "string" || Nonce === "") throw commonErrors.missingParams(["Nonce"]);
      const accountId = await authenticate(db, sealer, { Action: LOGIN_ACTION, PublicKey, Nonce, Signature } as WireParams).catch((error: unknown) => {
        throw error instanceof ApiError ? new Refusal(401, refusal(LOGIN_ACTION, error)) : error;
      });
      if (!(await useNonce(db, sealer, Nonce, clock.now()))) {
        throw new Refusal(401, refusal(LOGIN_ACTION, commonErrors.invalidParam("Nonce", "unknown, used or expired; ask for a new one")));
      }
      const opened = await openSession(db, sealer, accountId, String(PublicKey), clock.now());
      log.info({ reqId: requestId, account: accountId }, "console login");
      send(res, requestId, 200, { RetCode: 0, Action: "ConsoleLoginResponse", ...sessionFields(opened.session) }, {
        "Set-Cookie": sessionCookie(opened.token, SESSION_TTL_MS / 1000),
      });
      return accountId;
    }
    if (route === "logout") {
      const s = await required(req, "ConsoleLogout", true);
      await endSession(db, s.tokenHash);
      deps.streams.endSession(s.tokenHash);
      send(res, requestId, 200, { RetCode: 0, Action: "ConsoleLogoutResponse" }, { "Set-Cookie": sessionCookie("", 0) });
      return s.accountId;
    }
    if (route === "call") {
      const s = await required(req, "", true);
      const params = await body(req);
      // The wire's road from the Action on: the same answers, refusals and counters.
      const who = { accountId: s.accountId, source: "console", requester: s.publicKey } as const;
      send(res, requestId, 200, (await dispatch(deps, { requestId, params: () => params, requester: async () => who })).envelope);
      return s.accountId;
    }
    throw new Refusal(404, refusal("", new ApiError("ActionNotFound", `no console route ${route}`)));
  }

  function page(req: IncomingMessage, res: ServerResponse, path: string, requestId: string): void {
    if (req.method !== "GET" && req.method !== "HEAD") throw new Refusal(405, refusal("", methodNotAllowed(req.method)));
    // A ServiceError's RetCode with the build's instructions as they are (no `ServiceError:` before them).
    if (deps.assets.missing) throw new Refusal(503, errorEnvelope("", ERRORS.ServiceError.retCode, deps.assets.missing));
    const file = deps.assets.files.get(path);
    if (!file) throw new Refusal(404, refusal("", new ApiError("ActionNotFound", `no console file ${path}`)));
    const headers: Record<string, string | number> = {
      ...SECURITY_HEADERS,
      "Content-Type": file.type,
      ETag: file.etag,
      Vary: "Accept-Encoding",
      "Cache-Control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      [REQUEST_ID_HEADER]: requestId,
    };
    if (req.headers["if-none-match"] === file.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const chosen = negotiate(file, header(req, "accept-encoding"));
    if (chosen.encoding) headers["Content-Encoding"] = chosen.encoding;
    headers["Content-Length"] = chosen.body.length;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : chosen.body);
  }

  const streamOf = deps.streams.forSession(async (req): Promise<StreamSession | undefined> => {
    const s = await session(req);
    if (!s) return undefined;
    return { accountId: s.accountId, id: s.tokenHash, alive: async () => (await sessionByHash(db, sealer, s.tokenHash, clock.now())) !== undefined };
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const path = (req.url ?? "/").split("?")[0]!.slice(CONSOLE_PATH.length).replace(/^\//, "");
    let account: string | undefined;
    let status = 200;
    try {
      if (path === "events") {
        streamOf(req, res);
        return;
      }
      if (path.startsWith("api/")) account = await api(req, res, path.slice(4), requestId);
      else page(req, res, path, requestId);
    } catch (error) {
      if (error instanceof ClientGone) return;
      if (error instanceof Refusal) {
        status = error.status;
        send(res, requestId, error.status, error.envelope);
      } else if (error instanceof BodyTooLarge) {
        status = 413;
        send(res, requestId, 413, refusal("", error.refusal()));
      } else {
        const refused = asApiError(error, requestId, log, "console: internal error");
        status = refusalStatus(refused);
        if (!res.headersSent) send(res, requestId, status, refusal("", refused));
      }
    } finally {
      if (path.startsWith("api/")) log.info({ reqId: requestId, account, console: path, status }, "console request");
    }
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, "console: unhandled error");
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
