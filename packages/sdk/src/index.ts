/**
 * @opencompshare/sdk: a TypeScript client of the CompShare GPU-instance API.
 *
 * Typed methods come from the contract the server validates against (@opencompshare/protocol);
 * signing and encoding are those of the official SDKs; retries are safe by construction; waiters
 * report success, failure or timeout.
 */
export {
  CompShareClient,
  BaseClient,
  methodName,
  DEFAULT_BASE_URL,
  DEFAULT_REGION,
  DEFAULT_ZONE,
  DEFAULT_TIMEOUT_MS,
  type ClientConfig,
  type CallOptions,
  type Input,
  type Output,
  type ResponseEnvelope,
  type ApiResult,
  type ActionMethods,
  type MethodName,
} from "./client.js";
export { CompShareError, RetCodeError, HttpError, NetworkError, TimeoutError, InvalidResponseError } from "./errors.js";
export {
  DEFAULT_RETRY,
  RETRYABLE_STATUSES,
  RETRYABLE_RETCODES,
  isTransient,
  shouldRetry,
  backoffDelay,
  parseRetryAfter,
  type RetryPolicy,
} from "./retry.js";
export { signParams, encodeForm, type Credentials } from "./encoding.js";
export {
  waitUntilInstanceState,
  waitUntilInstanceGone,
  waitUntilImageAvailable,
  waitUntil,
  DEFAULT_WAIT_TIMEOUT_MS,
  DEFAULT_WAIT_INTERVAL_MS,
  DEFAULT_SAFETY_POLL_MS,
  type WaiterOptions,
  type InstanceWaiterOptions,
  type WaitMode,
  type WaiterResult,
  type Poll,
  type FailureReason,
  type Observation,
  type InstanceStateTarget,
} from "./waiters.js";
export { SDK_VERSION } from "./version.js";
export { streamEvents, type EventsOptions, type StreamItem, type ResetItem } from "./events.js";
export { SseParser, type SseMessage } from "./sse.js";
export {
  actions,
  symbolOf,
  ERRORS,
  InstanceStates,
  type ActionName,
  type ErrorSymbol,
  type Instance,
  type InstanceState,
  type Image,
  type ImageStatus,
  type Operation,
  type InstanceEvent,
  type EventKind,
  EventKinds,
} from "@opencompshare/protocol";
