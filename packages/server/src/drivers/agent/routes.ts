/**
 * The control plane's end of the agent protocol (`/agent/v1/…`, see protocol/src/agent.ts):
 * JSON over HTTP, each request authenticated by the host's token (`Authorization: Bearer`).
 * A request for another host than the token's is refused; nothing here is reachable with an
 * account's API keys.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { AGENT_PATH, HeartbeatSchema, parseWith, PollRequestSchema, RegistrationSchema, ReportRequestSchema, type Schema } from "@opencompshare/protocol";
import type { Logger } from "pino";
import type { Clock } from "../../clock.js";
import { BodyTooLarge, ClientGone, readBody } from "../../http/body.js";
import { markSeen } from "../../store/repositories/hosts.js";
import type { Db } from "../../store/schema.js";
import { authenticateHost, heartbeat, register } from "./registry.js";
import type { CommandQueue } from "./queue.js";

/** The longest a long-poll is held: under the HTTP server's 30 s request timeout. */
export const MAX_POLL_MS = 25_000;
const BODY_LIMIT = 4 * 1024 * 1024;

export interface AgentRoutesDeps {
  db: Db;
  clock: Clock;
  queue: CommandQueue;
  log: Logger;
  /** Aborts when the server begins to close: a long-poll held then is answered at once. */
  closing?: AbortSignal;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  if (res.headersSent) return;
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" }).end(JSON.stringify(body));
};

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new HttpProblem(400, `${what}: a JSON object is expected`);
  return value as Record<string, unknown>;
}

/** The body as its schema has it, or a 400 naming each field that does not match: never a cast. */
function checked<T>(schema: Schema<T>, body: Record<string, unknown>): T {
  const { value, issues } = parseWith(schema, body, "strict");
  if (value === undefined) throw new HttpProblem(400, issues.map((i) => `${i.path}: ${i.reason}`).join("; "));
  return value;
}

export function agentRoutes(deps: AgentRoutesDeps) {
  const { db, clock, queue, log } = deps;
  const closing = deps.closing ?? new AbortController().signal;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0]?.slice(AGENT_PATH.length) ?? "";
    if (req.method !== "POST") throw new HttpProblem(405, "POST only");
    const auth = req.headers.authorization;
    const hostId = await authenticateHost(db, auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined);
    if (!hostId) throw new HttpProblem(401, "unknown host token");
    let body: Record<string, unknown>;
    try {
      body = object(JSON.parse((await readBody(req, BODY_LIMIT)).toString("utf8")), "body");
    } catch (error) {
      if (error instanceof HttpProblem || error instanceof ClientGone) throw error;
      if (error instanceof BodyTooLarge) throw new HttpProblem(413, error.message);
      throw new HttpProblem(400, "body: not valid JSON");
    }
    if (body.hostId !== hostId) throw new HttpProblem(403, `the token is host ${hostId}'s`);
    switch (path) {
      case "/register": {
        const registration = checked(RegistrationSchema, body);
        await register(db, hostId, registration, clock.now());
        log.info({ host: hostId, gpus: registration.gpus.length }, "host registered");
        return send(res, 200, { ok: true });
      }
      case "/heartbeat": {
        const drifts = await heartbeat(db, hostId, checked(HeartbeatSchema, body), clock.now());
        for (const d of drifts) log.warn({ host: hostId, uhost: d.instanceId, from: d.from, to: d.to }, "the machine's power drifted from its instance's state: recorded as the host reports it");
        return send(res, 200, { ok: true });
      }
      case "/commands/poll": {
        const poll = checked(PollRequestSchema, body);
        const running = poll.running;
        const waitMs = Math.min(MAX_POLL_MS, poll.waitMs);
        const ac = new AbortController();
        const gone = () => ac.abort();
        req.socket.once("close", gone);
        try {
          // The long-poll counts as a heartbeat too: a host that polls is alive.
          await markSeen(db, hostId, clock.now());
          // Closing answers with what is due now (often nothing): the agent polls again, elsewhere or later.
          const commands = await queue.poll(hostId, running, waitMs, AbortSignal.any([ac.signal, closing]));
          return send(res, 200, { commands });
        } finally {
          req.socket.off("close", gone);
        }
      }
      case "/commands/report": {
        const taken = await queue.report(hostId, checked(ReportRequestSchema, body).report);
        return send(res, taken ? 200 : 409, { taken });
      }
      default:
        throw new HttpProblem(404, `no ${path}`);
    }
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof ClientGone) return;
      if (error instanceof HttpProblem) return send(res, error.status, { error: error.message });
      log.error({ err: error }, "agent request failed");
      send(res, 500, { error: "internal error" });
    });
  };
}
