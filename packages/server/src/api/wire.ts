/**
 * The wire protocol's listener, on every path of the API's port but the mounts:
 *
 *   method → read body → dispatch (parse, find Action, authenticate, rate limit, validate, scope,
 *   handler) → reply
 *
 * A method other than GET or POST (405) and a body over the limit (413) are refused here, before
 * any Action, and counted like dispatch's answers; every other answer is dispatch's, HTTP 200. A
 * client that goes away mid-body gets nothing and is neither an error nor counted.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { ApiError } from "@opencompshare/protocol";
import type { Services } from "../handlers/index.js";
import { authenticate } from "../http/authenticate.js";
import { BodyTooLarge, ClientGone, readBody } from "../http/body.js";
import { actionHint, concatenatedArrayForm, parseParams } from "../http/parse.js";
import { methodNotAllowed, refusal, reply } from "../http/reply.js";
import type { RequestListener } from "../http/server.js";
import type { Metrics } from "../metrics/metrics.js";
import { dispatch, type DispatchDeps } from "./dispatch.js";
import { asApiError } from "./errors.js";
import type { RateLimiter } from "./rate-limit.js";

export interface PipelineOptions {
  bodyLimit: number;
  rateLimiter: RateLimiter;
  metrics: Metrics;
}

export function createPipeline(services: Services, opts: PipelineOptions): RequestListener {
  const { db, sealer, log } = services;
  const deps: DispatchDeps = { services, rateLimiter: opts.rateLimiter, metrics: opts.metrics };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    const url = req.url ?? "/";
    const type = req.headers["content-type"];
    let action = "";
    let account: string | undefined;
    /** The RetCode answered; undefined when the client went away. */
    let retCode: number | undefined;
    try {
      if (req.method !== "POST" && req.method !== "GET") {
        res.setHeader("Allow", "GET, POST");
        retCode = refuse(res, requestId, action, methodNotAllowed(req.method), started, 405);
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(req, opts.bodyLimit);
      } catch (error) {
        // Nothing to answer and nothing went wrong here: not an internal error.
        if (error instanceof ClientGone) return;
        action = actionHint(url, type, undefined);
        if (error instanceof BodyTooLarge) retCode = refuse(res, requestId, action, error.refusal(), started, 413, true);
        else retCode = refuse(res, requestId, action, asApiError(error, requestId, log, "internal error", { action }), started);
        return;
      }
      const answered = await dispatch(deps, {
        requestId,
        started,
        params: () => parseParams(url, type, body),
        hint: () => actionHint(url, type, body),
        requester: async (params) => ({
          accountId: await authenticate(db, sealer, params, () => concatenatedArrayForm(params, type, body)),
          source: "api",
          requester: String(params.PublicKey),
        }),
      });
      ({ action, account } = answered);
      retCode = answered.envelope.RetCode;
      reply(res, requestId, answered.envelope);
    } finally {
      const ms = performance.now() - started;
      log.info({ reqId: requestId, account, action, ...(retCode === undefined ? { gone: true } : { retCode }), ms: Math.round(ms * 1000) / 1000 }, "request");
    }
  }

  /** A refusal of the transport's, before dispatch: answered with `status` and counted. */
  function refuse(res: ServerResponse, requestId: string, action: string, error: ApiError, started: number, status = 200, close = false): number {
    if (!res.headersSent) reply(res, requestId, refusal(action, error), status, close);
    opts.metrics.request(action, error.retCode, (performance.now() - started) / 1000);
    return error.retCode;
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, "unhandled error in the pipeline");
      if (!res.headersSent) res.writeHead(200).end();
    });
  };
}
