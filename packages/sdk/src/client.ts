/**
 * The CompShare client: one typed method per Action of the contract, named after it
 * (`RebootCompShareInstance` → `client.rebootCompShareInstance`). The methods are not written
 * by hand: their types are a mapped type over `actions` of @opencompshare/protocol — the very
 * schemas the server validates against — and a loop over the same map defines them.
 *
 * @example
 * const client = new CompShareClient({ publicKey, privateKey });   // https://api.compshare.cn, cn-wlcb
 * const { UHostIds } = await client.createCompShareInstance({
 *   CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204",
 * });
 * await client.rebootCompShareInstance({ UHostId: UHostIds[0]! }, { timeoutMs: 10_000 });
 */
import {
  actions,
  findAction,
  parseWith,
  REQUEST_ID_HEADER,
  type ActionContract,
  type ActionName,
  type Actions,
  type NestedValue,
  type RequestOf,
  type ResponseOf,
} from "@opencompshare/protocol";
import { encodeForm, signParams } from "./encoding.js";
import { streamEvents, type EventsOptions, type StreamItem } from "./events.js";
import { HttpError, InvalidResponseError, NetworkError, RetCodeError, TimeoutError } from "./errors.js";
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, shouldRetry, sleep, type RetryPolicy } from "./retry.js";
import { SDK_VERSION } from "./version.js";

/** CompShare itself. */
export const DEFAULT_BASE_URL = "https://api.compshare.cn";
/** CompShare has one region and one zone. */
export const DEFAULT_REGION = "cn-wlcb";
export const DEFAULT_ZONE = "cn-wlcb-01";
/** A call (all its attempts and the waits between them) gives up after this long by default. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface ClientConfig {
  publicKey: string;
  privateKey: string;
  /** A temporary token (STS), sent and signed as `SecurityToken`. */
  securityToken?: string | undefined;
  /** Sent as `Region` when a request leaves it out. Default `cn-wlcb`. */
  region?: string | undefined;
  /** Sent as `Zone` to the Actions that require one, when a request leaves it out. Default `cn-wlcb-01`. */
  zone?: string | undefined;
  /** Sent as `ProjectId` when a request leaves it out; unset means the account's default project. */
  projectId?: string | undefined;
  /** Default `https://api.compshare.cn`; requests go to `${baseUrl}/`. */
  baseUrl?: string | undefined;
  /** Default deadline of a call, all attempts included, in ms. Default 60 000; 0 means none. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt of an idempotent Action. Default 2; 0 turns retries off. */
  maxRetries?: number | undefined;
  /** Upper bound of the first wait between attempts, doubled each retry. Default 200 ms. */
  retryBaseDelayMs?: number | undefined;
  /** No wait between attempts is longer. Default 5000 ms. */
  retryMaxDelayMs?: number | undefined;
  /** Appended to the SDK's User-Agent (`OpenCompShare-SDK/0.1.0 Node.js/v20… <yours>`). */
  userAgent?: string | undefined;
  /** Check every answer against the contract's types; a mismatch is an InvalidResponseError. Default false. */
  validateResponses?: boolean | undefined;
  /** Replaces the global `fetch` (a proxy agent, a recorder…). */
  fetch?: typeof globalThis.fetch | undefined;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call, its attempts and the waits between them; the call rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Deadline of this call, all attempts included, in ms: a TimeoutError after it. */
  timeoutMs?: number | undefined;
  /** Retries for this call; 0 turns them off. Non-idempotent Actions are never retried. */
  maxRetries?: number | undefined;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ScopeKey = "Region" | "Zone" | "ProjectId";

/** The request of Action `A` as a method takes it: Region, Zone and ProjectId default to the client's. */
export type Input<A extends ActionName> = Simplify<
  Omit<RequestOf<Actions[A]>, ScopeKey> & Partial<Pick<RequestOf<Actions[A]>, Extract<keyof RequestOf<Actions[A]>, ScopeKey>>>
>;

/** The fields every answer has. */
export interface ResponseEnvelope {
  Action: string;
  RetCode: number;
  Message?: string;
}

/** The answer of Action `A`: the envelope and the Action's own fields. */
export type Output<A extends ActionName> = Simplify<ResponseEnvelope & ResponseOf<Actions[A]>>;

/** An answer with what came with it. */
export interface ApiResult<T> {
  data: T;
  /** The `X-UCLOUD-REQUEST-UUID` header of the answer. */
  requestId: string | undefined;
  status: number;
  /** How many attempts the call took. */
  attempts: number;
}

type MethodArgs<A extends ActionName> =
  Partial<Input<A>> extends Input<A> ? [input?: Input<A>, options?: CallOptions] : [input: Input<A>, options?: CallOptions];

/** `RebootCompShareInstance` → `rebootCompShareInstance`. */
export type MethodName<A extends ActionName> = Uncapitalize<A>;

/** One method per Action of the contract. */
export type ActionMethods = { [A in ActionName as MethodName<A>]: (...args: MethodArgs<A>) => Promise<Output<A>> };

export const methodName = <A extends ActionName>(action: A): MethodName<A> =>
  (action.charAt(0).toLowerCase() + action.slice(1)) as MethodName<A>;

/** The longest delay setTimeout takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Actions outside the contract count as idempotent only when their name says they read. */
const READS = /^(Describe|Get|List)[A-Z]/;

type Envelope = ResponseEnvelope & Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  const message = typeof cause?.message === "string" && cause.message ? cause.message : (error as Error | undefined)?.message;
  return [code, message].filter(Boolean).join(": ") || "the request failed";
}

/** The client without its generated methods; `CompShareClient` is this plus `ActionMethods`. */
export class BaseClient {
  readonly baseUrl: string;
  readonly region: string;
  readonly zone: string;
  readonly projectId: string | undefined;
  readonly publicKey: string;
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly retry: Readonly<RetryPolicy>;
  readonly validateResponses: boolean;
  readonly #privateKey: string;
  readonly #securityToken: string | undefined;
  readonly #fetch: typeof globalThis.fetch;

  constructor(config: ClientConfig) {
    if (!config?.publicKey || !config.privateKey) throw new TypeError("CompShareClient: publicKey and privateKey are required");
    const baseUrl = (config.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new TypeError(`CompShareClient: baseUrl must be an http(s) URL, got ${JSON.stringify(config.baseUrl)}`);
    this.baseUrl = baseUrl;
    this.publicKey = config.publicKey;
    this.#privateKey = config.privateKey;
    this.#securityToken = config.securityToken;
    this.region = config.region || DEFAULT_REGION;
    this.zone = config.zone || DEFAULT_ZONE;
    this.projectId = config.projectId || undefined;
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retry = {
      maxRetries: config.maxRetries ?? DEFAULT_RETRY.maxRetries,
      baseDelayMs: config.retryBaseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: config.retryMaxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    };
    for (const [name, value] of Object.entries({ timeoutMs: this.timeoutMs, ...this.retry })) {
      if (!Number.isFinite(value) || value < 0) throw new TypeError(`CompShareClient: ${name} must be a number ≥ 0, got ${value}`);
    }
    this.userAgent = `OpenCompShare-SDK/${SDK_VERSION} Node.js/${process.version}${config.userAgent ? ` ${config.userAgent}` : ""}`;
    this.validateResponses = config.validateResponses ?? false;
    this.#fetch = config.fetch ?? globalThis.fetch;
  }

  /** Calls Action `action` and returns its answer. For an Action outside the contract, pass any parameters. */
  invoke<A extends ActionName>(action: A, input: Input<A>, options?: CallOptions): Promise<Output<A>>;
  invoke<S extends string>(action: S extends ActionName ? never : S, params?: Record<string, NestedValue>, options?: CallOptions): Promise<Envelope>;
  async invoke(action: string, params: object = {}, options: CallOptions = {}): Promise<unknown> {
    return (await this.execute(action, params as Record<string, NestedValue>, options)).data;
  }

  /** Like `invoke`, with the request id, HTTP status and number of attempts. */
  request<A extends ActionName>(action: A, input: Input<A>, options?: CallOptions): Promise<ApiResult<Output<A>>>;
  request<S extends string>(
    action: S extends ActionName ? never : S,
    params?: Record<string, NestedValue>,
    options?: CallOptions,
  ): Promise<ApiResult<Envelope>>;
  request(action: string, params: object = {}, options: CallOptions = {}): Promise<ApiResult<unknown>> {
    return this.execute(action, params as Record<string, NestedValue>, options);
  }

  /**
   * The account's events as they happen (`GET /events`): instance states, operation steps,
   * locks, policy notices. Reconnects and resumes by itself; ends when `signal` aborts or the
   * loop breaks.
   */
  events(options: EventsOptions = {}): AsyncGenerator<StreamItem, void, undefined> {
    return streamEvents(
      { baseUrl: this.baseUrl, userAgent: this.userAgent, fetch: this.#fetch, sign: (action, params) => this.signedParams(action, params) },
      options,
    );
  }

  /** The parameters exactly as they are sent for `action`, signed. */
  signedParams(action: string, params: Record<string, NestedValue> = {}) {
    const contract = findAction(action);
    const shape = contract ? contract.request.shape : undefined;
    const defaults: Record<string, string> = {};
    const fill = (key: ScopeKey, value: string | undefined) => {
      // Region and ProjectId go wherever the Action takes them (everywhere, outside the contract), as
      // the official SDKs do. Zone only where it is required: in a listing it would be a filter.
      const schema = shape?.[key];
      const takes = shape ? schema !== undefined && (key !== "Zone" || !schema.optional) : key !== "Zone";
      if (value !== undefined && takes && params[key] === undefined) defaults[key] = value;
    };
    fill("Region", this.region);
    fill("Zone", this.zone);
    fill("ProjectId", this.projectId);
    return signParams(
      { ...params, ...defaults, Action: action },
      { publicKey: this.publicKey, privateKey: this.#privateKey, securityToken: this.#securityToken },
    );
  }

  private async execute(action: string, params: Record<string, NestedValue>, options: CallOptions): Promise<ApiResult<Envelope>> {
    const contract = findAction(action);
    const idempotent = contract ? contract.idempotent : READS.test(action);
    const body = encodeForm(this.signedParams(action, params));
    const policy: RetryPolicy = { ...this.retry, ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}) };
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const { signal: userSignal } = options;
    if (userSignal?.aborted) throw userSignal.reason;

    const controller = new AbortController();
    const onUserAbort = () => controller.abort(userSignal?.reason);
    userSignal?.addEventListener("abort", onUserAbort, { once: true });
    let timedOut = false;
    const timer =
      timeoutMs > 0 && Number.isFinite(timeoutMs)
        ? setTimeout(
            () => {
              timedOut = true;
              controller.abort(new TimeoutError(timeoutMs, action));
            },
            Math.min(timeoutMs, MAX_TIMER_MS),
          )
        : undefined;
    let lastError: unknown;
    const stopped = (): unknown => (timedOut ? new TimeoutError(timeoutMs, action, { cause: lastError }) : userSignal?.reason);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const answer = await this.attempt(action, body, controller.signal, contract);
          return { ...answer, attempts: attempt };
        } catch (error) {
          if (controller.signal.aborted) throw stopped();
          lastError = error;
          if (!shouldRetry(error, attempt, idempotent, policy)) throw error;
          const retryAfter = error instanceof HttpError ? error.retryAfterMs : undefined;
          await sleep(backoffDelay(attempt - 1, policy, Math.random, retryAfter), controller.signal).catch(() => {
            throw stopped();
          });
        }
      }
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener("abort", onUserAbort);
    }
  }

  /** One attempt: send, read, and classify the answer. */
  private async attempt(
    action: string,
    body: string,
    signal: AbortSignal,
    contract: ActionContract | undefined,
  ): Promise<Omit<ApiResult<Envelope>, "attempts">> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.baseUrl}/`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": this.userAgent },
        body,
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new NetworkError(describeNetworkError(error), action, { cause: error });
    }
    const requestId = res.headers.get(REQUEST_ID_HEADER) ?? undefined;
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      if (signal.aborted) throw error;
      throw new NetworkError(`the answer broke off: ${describeNetworkError(error)}`, action, { cause: error });
    }
    if (res.status >= 400) throw new HttpError(res.status, text, action, requestId, parseRetryAfter(res.headers.get("retry-after")));
    const invalid = (reason: string) => new InvalidResponseError(reason, text, res.status, action, requestId);
    if (text.trim() === "") throw invalid("empty body");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalid("not JSON");
    }
    if (!isObject(parsed)) throw invalid("not a JSON object");
    const { RetCode: retCode } = parsed;
    if (typeof retCode !== "number") throw invalid("no numeric RetCode");
    if (retCode !== 0) {
      throw new RetCodeError(retCode, typeof parsed.Message === "string" ? parsed.Message : "", action, requestId, parsed);
    }
    if (this.validateResponses && contract) {
      const { issues } = parseWith(contract.response, parsed, "strict");
      if (issues.length > 0) throw invalid(issues.map((i) => `${i.path}: ${i.reason}`).join("; "));
    }
    return { data: parsed as Envelope, requestId, status: res.status };
  }
}

for (const action of Object.keys(actions) as ActionName[]) {
  const name = methodName(action);
  const method = {
    [name](this: BaseClient, input: object = {}, options?: CallOptions) {
      return this.invoke(action as never, input as never, options);
    },
  }[name];
  Object.defineProperty(BaseClient.prototype, name, { value: method, writable: true, configurable: true });
}

// Shown by util.inspect and in stack traces.
Object.defineProperty(BaseClient, "name", { value: "CompShareClient" });

/** A CompShare client: the base client plus one method per Action. */
export type CompShareClient = BaseClient & ActionMethods;
export const CompShareClient = BaseClient as unknown as new (config: ClientConfig) => CompShareClient;
