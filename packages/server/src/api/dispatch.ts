/**
 * The API's one road for a call of an Action, whichever transport carries it (the wire protocol,
 * api/wire.ts; the console's `/console/api/call`):
 *
 *   find the Action → who asks → rate limit → validate → scope → handler → envelope
 *
 * Every call is counted once (ocs_requests_total, by Action and RetCode) and every error is
 * mapped once (api/errors.ts): an ApiError answers its RetCode and Message, anything else a
 * ServiceError with the details in the log only. dispatch always resolves to an envelope; the
 * transport writes it.
 */
import { performance } from "node:perf_hooks";
import { ApiError, commonErrors, findAction, successEnvelope, type ActionContract, type ActionName, type Envelope, type WireParams } from "@opencompshare/protocol";
import { handlers, type Services } from "../handlers/index.js";
import type { Handler } from "../handlers/registry.js";
import { refusal } from "../http/reply.js";
import type { Metrics } from "../metrics/metrics.js";
import { asApiError } from "./errors.js";
import type { RateLimiter } from "./rate-limit.js";
import { scope } from "./scope.js";
import { validate } from "./validate.js";

/** What dispatch needs: the handlers' services, the per-account rate limits, the counters. */
export interface DispatchDeps {
  services: Services;
  rateLimiter: RateLimiter;
  metrics: Metrics;
}

/** Who runs an Action: the account, and the key that signed (or opened the console session). */
export interface Requester {
  accountId: string;
  source: "api" | "console";
  requester: string;
}

/** One call, as a transport hands it over. */
export interface Call {
  requestId: string;
  /** `performance.now()` when the request arrived (the duration counted starts there); now by default. */
  started?: number;
  /** The flat parameters; a parameter map that does not parse throws its ApiError here. */
  params: () => WireParams;
  /** The Action the request names, read loosely: the answer's Action when the parameters do not parse. */
  hint?: () => string;
  /**
   * Who asks, once the Action is known (so an unknown Action is refused before any key is looked
   * up): the wire verifies the signature, the console has its session. Throws an ApiError to refuse.
   */
  requester: (params: WireParams) => Promise<Requester>;
}

/** The answer, and what the transport logs with it. */
export interface Dispatched {
  envelope: Envelope;
  /** The Action named, or the hint ("" when none). */
  action: string;
  /** The account, once the requester is known. */
  account?: string;
}

export async function dispatch(deps: DispatchDeps, call: Call): Promise<Dispatched> {
  const started = call.started ?? performance.now();
  let action = "";
  let account: string | undefined;
  let envelope: Envelope;
  try {
    const params = call.params();
    action = typeof params.Action === "string" ? params.Action : "";
    if (!action) throw commonErrors.missingAction();
    const contract = findAction(action);
    // The test controls do not exist outside testing mode: 161, as for any unknown Action.
    if (!contract || (contract.testing && !deps.services.testing)) throw commonErrors.actionNotFound(action);
    const who = await call.requester(params);
    account = who.accountId;
    if (contract.testing) await operatorOnly(deps.services, who, action);
    // In testing mode replicas share the clock's offset through the database: every call reads it first.
    await deps.services.testing?.follow();
    deps.rateLimiter.take(account);
    envelope = await run(deps.services, contract, who, params, call.requestId);
  } catch (error) {
    if (!action) action = call.hint?.() ?? "";
    envelope = refusal(action, asApiError(error, call.requestId, deps.services.log, "internal error", { action }));
  }
  deps.metrics.request(action, envelope.RetCode, (performance.now() - started) / 1000);
  return { envelope, action, account };
}

/** The test controls change the clock and the state of every account: the operator's keys only. */
async function operatorOnly(services: Services, who: Requester, action: string): Promise<void> {
  const controls = services.testing;
  if (!controls || !(await controls.isOperator(who.accountId))) {
    throw new ApiError("NoPermission", `${action} is a test control: only the operator's (default) account may call it`);
  }
}

/** The stages after who asks is known: validate → scope → the Action's handler. */
async function run(services: Services, contract: ActionContract, who: Requester, params: WireParams, requestId: string): Promise<Envelope> {
  const request = validate(contract, params);
  const projectId = await scope(services.db, services.catalog, who.accountId, request);
  const handler = handlers[contract.name as ActionName] as unknown as Handler<ActionName>;
  const caller = { accountId: who.accountId, projectId, requestId, source: who.source, requester: who.requester };
  const fields = await handler({ caller, services }, request as never);
  return successEnvelope(contract.name, fields);
}
