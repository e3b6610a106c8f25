/**
 * The one mapping of what went wrong to what is answered, by catalogue symbol:
 *
 * - an ApiError is answered as it is: its RetCode and Message (http/reply.ts `refusal`);
 * - anything else is a ServiceError (8433) that names the request and says nothing was changed;
 *   the details go to the log only. Nothing a client sends produces an internal error. When the
 *   database does not answer, its message says so and asks to try again: the official SDKs retry
 *   RetCodes of 2000 and above (Python's `RetCodeException.retryable`, Go's
 *   `NewServerCodeError`), so 8433 is retried by them where 150 would not be.
 *
 * The API answers every refusal with HTTP 200 (UCloud's convention). The routes beside it that
 * answer envelopes with other statuses (the event stream, the console's session routes) take the
 * status from `refusalStatus`.
 */
import { ApiError, type ErrorSymbol } from "@opencompshare/protocol";
import type { Logger } from "../log.js";
import { databaseUnavailable } from "../store/outage.js";

/** The error answered for `error`; an internal one is logged with `context` under `message`. */
export function asApiError(error: unknown, requestId: string, log: Logger, message = "internal error", context: Record<string, unknown> = {}): ApiError {
  if (error instanceof ApiError) return error;
  if (databaseUnavailable(error)) {
    log.warn({ reqId: requestId, ...context, err: error }, "the database does not answer");
    return new ApiError("ServiceError", `the service is briefly unavailable (its database does not answer), request ${requestId}; nothing was changed; try again`);
  }
  log.error({ reqId: requestId, ...context, err: error }, message);
  return new ApiError("ServiceError", `internal error, request ${requestId}; nothing was changed`);
}

/** Refusals of who is asking: 401, so that EventSource stops retrying and the console asks for a login. */
const UNAUTHORIZED: ReadonlySet<ErrorSymbol> = new Set(["MissingAction", "MissingSignature", "SignatureError", "UserNotExists"]);

/** The HTTP status of a refusal answered outside the API: 401, 429, 500, or 400 for the rest. */
export function refusalStatus(error: ApiError): number {
  if (UNAUTHORIZED.has(error.symbol)) return 401;
  if (error.symbol === "RateLimited") return 429;
  if (error.symbol === "ServiceError") return 500;
  return 400;
}
