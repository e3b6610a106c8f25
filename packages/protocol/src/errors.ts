/**
 * The one error catalogue: symbol → RetCode → message. Every error the server answers with
 * comes from here; `docs/errors.md` is kept in step by a test.
 *
 * Common codes keep UCloud's own messages (`Missing params [UHostId]`). The instance errors of
 * this project start with their symbol, then a colon and a sentence naming the instance.
 */

export interface ErrorSpec {
  readonly retCode: number;
  readonly summary: string;
}

export const ERRORS = {
  ApiTimeout: { retCode: 110, summary: "the API call timed out" },
  ServiceUnavailable: { retCode: 150, summary: "the service is unavailable" },
  RateLimited: { retCode: 153, summary: "too many requests for this account" },
  MissingAction: { retCode: 160, summary: "the request has no Action" },
  ActionNotFound: { retCode: 161, summary: "the Action does not exist" },
  MissingSignature: { retCode: 170, summary: "the request has no Signature" },
  SignatureError: { retCode: 171, summary: "the Signature does not match" },
  UserNotExists: { retCode: 172, summary: "the PublicKey is unknown or disabled" },
  MissingParams: { retCode: 220, summary: "a required parameter is absent" },
  ParamsNotAvailable: { retCode: 230, summary: "a parameter has a value that is not accepted" },
  ProjectNotExists: { retCode: 292, summary: "the ProjectId does not exist for this account" },
  ZonePermission: { retCode: 293, summary: "the zone is not open to this account" },
  NoPermission: { retCode: 299, summary: "the account may not do this" },
  InstanceNotFound: { retCode: 8039, summary: "unknown instance, terminated, or not the caller's" },
  InstanceMustBeStopped: { retCode: 8010, summary: "the action needs a stopped instance" },
  InstanceStateInvalid: { retCode: 8905, summary: "the instance's state does not allow the action" },
  InArrears: { retCode: 226601, summary: "the account is in arrears" },
  InstanceExpired: { retCode: 226602, summary: "the instance has expired" },
  ResourceNotEnough: { retCode: 226604, summary: "no host in the zone has the GPUs, CPUs and memory asked for" },
  AccountNotVerified: { retCode: 226606, summary: "the account has not been verified (an operator verifies it: ocs account verify)" },
  ImageTaskExists: { retCode: 226605, summary: "an update of the image's use time is already running (CompShare's \"Update image use time task exist.\"); this server runs no such task and answers it to no call" },
  InstanceOperationInProgress: { retCode: 226610, summary: "the instance's operation lock is held" },
  InstanceImageMaking: { retCode: 226611, summary: "a custom image of the instance is being made" },
  InstanceRecycling: { retCode: 226612, summary: "the instance is being reclaimed" },
  InstanceBackgroundTask: { retCode: 226613, summary: "a background task runs on the instance" },
  ImageNotFound: { retCode: 226614, summary: "unknown or unavailable image" },
  ImageNotSupported: { retCode: 226603, summary: "the image does not support the GPU type" },
  QuotaExceeded: { retCode: 226615, summary: "the account has as many instances as its quota allows" },
  DiskNotFound: { retCode: 226616, summary: "unknown disk, deleted, or not the caller's" },
  DiskNotAvailable: { retCode: 8434, summary: "the disk is attached, or busy with a task" },
  ImageNotPublishable: { retCode: 226617, summary: "only Available custom images of container instances can be published" },
  ImagePublished: { retCode: 226618, summary: "the image is published to the community; take it down first" },
  WithoutGpuLimit: { retCode: 226619, summary: "another instance of the account is already in no-GPU mode (one at a time)" },
  HostUnavailable: { retCode: 226620, summary: "the instance's host has not reported within its lease; nothing was changed" },
  ImageNotReady: { retCode: 226621, summary: "the custom image is still being made (Making): it cannot be deleted yet" },
  BalanceNotEnough: { retCode: 226622, summary: "the balance does not cover the first period of a prepaid purchase; nothing was made" },
  ServiceError: { retCode: 8433, summary: "an internal error; nothing was changed" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorSymbol = keyof typeof ERRORS;

/** Symbols whose Message keeps UCloud's historical wording instead of `Symbol: sentence`. */
const UCLOUD_WORDING: Partial<Record<ErrorSymbol, true>> = {
  ApiTimeout: true,
  ServiceUnavailable: true,
  MissingAction: true,
  ActionNotFound: true,
  MissingSignature: true,
  SignatureError: true,
  UserNotExists: true,
  MissingParams: true,
  ParamsNotAvailable: true,
};

/** An error as answered: RetCode and Message, raised by any layer and mapped once by the pipeline. */
export class ApiError extends Error {
  readonly retCode: number;
  readonly symbol: ErrorSymbol;
  constructor(symbol: ErrorSymbol, detail: string) {
    // An answer, not a bug: capturing a stack trace would cost more than the refusal itself.
    // (stackTraceLimit is V8's, in Node and Chromium alike; elsewhere setting it does nothing.)
    const v8 = Error as ErrorConstructor & { stackTraceLimit?: number };
    const limit = v8.stackTraceLimit;
    v8.stackTraceLimit = 0;
    super(UCLOUD_WORDING[symbol] ? detail : `${symbol}: ${detail}`);
    v8.stackTraceLimit = limit;
    this.symbol = symbol;
    this.retCode = ERRORS[symbol].retCode;
  }
}

/** The symbol of a RetCode, for clients that receive only the number. */
export function symbolOf(retCode: number): ErrorSymbol | undefined {
  for (const [symbol, spec] of Object.entries(ERRORS)) if (spec.retCode === retCode) return symbol as ErrorSymbol;
  return undefined;
}

/** Builders for the messages whose wording UCloud fixed. */
export const commonErrors = {
  missingAction: () => new ApiError("MissingAction", "Missing Action"),
  actionNotFound: (action: string) => new ApiError("ActionNotFound", `Action [${action}] not found`),
  missingSignature: () => new ApiError("MissingSignature", "Missing Signature"),
  signature: () => new ApiError("SignatureError", "Signature VerifyAC Error"),
  userNotExists: () => new ApiError("UserNotExists", "User Not Exists"),
  missingParams: (names: readonly string[]) => new ApiError("MissingParams", `Missing params [${names.join(", ")}]`),
  /** 230 with the rule after UCloud's wording: `Params [CPU] not available: 4090 x1 takes 16 CPUs`. */
  invalidParam: (name: string, reason: string) => new ApiError("ParamsNotAvailable", `Params [${name}] not available: ${reason}`),
  /**
   * 230 for several parameters at once, each with its rule: `Params [Limit, Offset] not
   * available: Limit at least 0; Offset expected an integer`. One parameter reads as invalidParam.
   */
  invalidParams: (issues: ReadonlyArray<{ path: string; reason: string }>) =>
    issues.length === 1
      ? commonErrors.invalidParam(issues[0]!.path, issues[0]!.reason)
      : new ApiError("ParamsNotAvailable", `Params [${issues.map((i) => i.path).join(", ")}] not available: ${issues.map((i) => `${i.path} ${i.reason}`).join("; ")}`),
};
