/**
 * The SDK's errors. Every failure of a call is one of four kinds:
 *
 * - `RetCodeError`: the API answered with a RetCode other than 0.
 * - `HttpError`: the HTTP status was 400 or above.
 * - `NetworkError`: no answer (connection refused or reset, DNS…); `TimeoutError` is one when
 *   the call's `timeoutMs` ran out.
 * - `InvalidResponseError`: an answer that is not a JSON envelope (or, with `validateResponses`,
 *   whose fields do not have the contract's types).
 *
 * A call aborted through its `signal` rejects with the signal's reason, as `fetch` does.
 *
 * @example
 * try {
 *   await client.rebootCompShareInstance({ UHostId: "uhost-1a2b" });
 * } catch (error) {
 *   if (error instanceof RetCodeError && error.symbol === "InstanceOperationInProgress") { … }
 * }
 */
import { symbolOf, type ErrorSymbol } from "@opencompshare/protocol";

/** What every SDK error carries: the Action called, the request id when an answer came. */
export class CompShareError extends Error {
  override name = "CompShareError";
  constructor(
    message: string,
    readonly action: string,
    readonly requestId: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The API answered with `RetCode` ≠ 0. */
export class RetCodeError extends CompShareError {
  override name = "RetCodeError";
  /** The symbol of the code in the error catalogue (`InstanceOperationInProgress`), if the code is known. */
  readonly symbol: ErrorSymbol | undefined;
  constructor(
    readonly retCode: number,
    /** The server's `Message`, as sent. */
    readonly apiMessage: string,
    action: string,
    requestId: string | undefined,
    /** The whole answer, as JSON. */
    readonly response: Record<string, unknown>,
  ) {
    const symbol = symbolOf(retCode);
    super(`${action}: ${symbol ?? "RetCode"} ${retCode}: ${apiMessage}${requestId ? ` (request ${requestId})` : ""}`, action, requestId);
    this.symbol = symbol;
  }
}

/** The HTTP status was 400 or above. 429, 502, 503 and 504 are retried for idempotent actions. */
export class HttpError extends CompShareError {
  override name = "HttpError";
  constructor(
    readonly status: number,
    /** The body as text (it may still carry a RetCode, as a 413 does). */
    readonly body: string,
    action: string,
    requestId: string | undefined,
    /** The server's `Retry-After`, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`${action}: HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ""}`, action, requestId);
  }
}

/** No answer: the connection failed or broke. `cause` is the underlying error. */
export class NetworkError extends CompShareError {
  override name = "NetworkError";
  constructor(message: string, action: string, options?: ErrorOptions) {
    super(`${action}: ${message}`, action, undefined, options);
  }
}

/** The call's `timeoutMs` ran out (across all its attempts). `cause` is the last attempt's error, if any. */
export class TimeoutError extends NetworkError {
  override name = "TimeoutError";
  constructor(
    readonly timeoutMs: number,
    action: string,
    options?: ErrorOptions,
  ) {
    super(`no answer within ${timeoutMs} ms`, action, options);
  }
}

/** An answer that is not a JSON object with a numeric RetCode, or that breaks the contract's types. */
export class InvalidResponseError extends CompShareError {
  override name = "InvalidResponseError";
  constructor(
    readonly reason: string,
    /** The body as text. */
    readonly body: string,
    readonly status: number,
    action: string,
    requestId: string | undefined,
  ) {
    super(`${action}: invalid response: ${reason}`, action, requestId);
  }
}
