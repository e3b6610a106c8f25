/**
 * The request pipeline, as named stages in order:
 *
 *   read body → parse → find Action → authenticate → rate limit → validate → scope → dispatch → reply
 *
 * Errors are mapped once, here: an ApiError becomes its RetCode; anything else becomes 8433
 * with the details in the log only. Nothing a client sends produces an HTTP 500.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import {
  ApiError,
  commonErrors,
  errorEnvelope,
  findAction,
  successEnvelope,
  type ActionContract,
  type ActionName,
  type Envelope,
  type WireParams,
} from "@opencompshare/protocol";
import { handlers, type Services } from "../actions/index.js";
import type { Handler } from "../actions/registry.js";
import { authenticate } from "./authenticate.js";
import { BodyTooLarge, ClientGone, readBody } from "./body.js";
import { actionHint, concatenatedArrayForm, parseParams } from "./parse.js";
import type { RateLimiter } from "./rate-limit.js";
import { reply } from "./reply.js";
import { scope } from "./scope.js";
import { validate } from "./validate.js";
import type { Metrics } from "../metrics/metrics.js";

export interface PipelineOptions {
  bodyLimit: number;
  rateLimiter: RateLimiter;
  metrics: Metrics;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Who runs an Action: the account, and the key that signed (or opened the console session). */
export interface Requester {
  accountId: string;
  source: "api" | "console";
  requester: string;
}

/**
 * The stages after authentication, for an account already known: validate → scope → dispatch.
 * The wire protocol and the console both run every Action through here.
 */
export async function runAction(services: Services, contract: ActionContract, who: Requester, params: WireParams, requestId: string): Promise<Envelope> {
  const request = validate(contract, params);
  const projectId = await scope(services.db, services.catalog, who.accountId, request);
  const handler = handlers[contract.name as ActionName] as unknown as Handler<ActionName>;
  const caller = { accountId: who.accountId, projectId, requestId, source: who.source, requester: who.requester };
  const fields = await handler({ caller, services }, request as never);
  return successEnvelope(contract.name, fields);
}

export function createPipeline(services: Services, opts: PipelineOptions): RequestListener {
  const { db, sealer, log } = services;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    let action = "";
    let body: Buffer | undefined;
    let account: string | undefined;
    let retCode = 0;
    let gone = false;
    try {
      if (req.method !== "POST" && req.method !== "GET") {
        retCode = 230;
        res.setHeader("Allow", "GET, POST");
        reply(res, requestId, errorEnvelope("", 230, `Params [Method] not available: ${String(req.method)}`), 405);
        return;
      }
      body = await readBody(req, opts.bodyLimit);
      const params = parseParams(req.url ?? "/", req.headers["content-type"], body);
      action = typeof params.Action === "string" ? params.Action : "";
      if (!action) throw commonErrors.missingAction();
      const contract = findAction(action);
      if (!contract) throw commonErrors.actionNotFound(action);
      const signed = body;
      account = await authenticate(db, sealer, params, () => concatenatedArrayForm(params, req.headers["content-type"], signed));
      opts.rateLimiter.take(account);
      reply(res, requestId, await runAction(services, contract, { accountId: account, source: "api", requester: String(params.PublicKey) }, params, requestId));
    } catch (error) {
      if (error instanceof ClientGone) {
        // Nothing to answer and nothing went wrong here: not an internal error.
        gone = true;
        return;
      }
      if (!action) action = actionHint(req.url ?? "/", req.headers["content-type"], body);
      if (error instanceof BodyTooLarge) {
        retCode = 230;
        reply(res, requestId, errorEnvelope(action, 230, `Params [body] not available: ${error.message}`), 413, true);
        return;
      }
      const apiError =
        error instanceof ApiError ? error : new ApiError("ServiceError", `internal error, request ${requestId}; nothing was changed`);
      if (!(error instanceof ApiError)) log.error({ reqId: requestId, action, err: error }, "internal error");
      retCode = apiError.retCode;
      if (!res.headersSent) reply(res, requestId, errorEnvelope(action, apiError.retCode, apiError.message));
    } finally {
      const ms = performance.now() - started;
      if (!gone) opts.metrics.request(action, retCode, ms / 1000);
      log.info({ reqId: requestId, account, action, ...(gone ? { gone } : { retCode }), ms: Math.round(ms * 1000) / 1000 }, "request");
    }
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, "unhandled error in the pipeline");
      if (!res.headersSent) res.writeHead(200).end();
    });
  };
}
