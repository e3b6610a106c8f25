/**
 * What the API commands share: the credential and output options, the client, the report of
 * an error (symbol, RetCode, message, request id), and the per-resource run of a batch with its
 * result lines and --wait.
 */
import {
  CompShareClient,
  CompShareError,
  DEFAULT_BASE_URL,
  HttpError,
  InvalidResponseError,
  NetworkError,
  RetCodeError,
  TimeoutError,
  SDK_VERSION,
  type ApiResult,
  type CallOptions,
  type WaiterOptions,
  type WaiterResult,
} from "@opencompshare/sdk";
import { mapLimit } from "./batch.js";
import { intOption, secondsOption, str, type Options, type RunContext } from "./command.js";
import { FIELDS, resolveCredentials } from "./credentials.js";
import { UsageError, type Io } from "./io.js";
import { formatElapsed, jsonLine, Progress, table, type OutputFormat } from "./output.js";

export const CLI_VERSION = "0.1.0";

export const API_OPTIONS: Options = {
  profile: { type: "string", value: "NAME", describe: "profile of the config file (default: $OCS_PROFILE, else \"default\")" },
  ...Object.fromEntries(
    FIELDS.map((f) => [f.flag, { type: "string" as const, value: f.flag === "base-url" ? "URL" : "VALUE", describe: `${f.label.toLowerCase()} (${f.env})` }]),
  ),
  output: { type: "string", short: "o", value: "table|json", describe: "table (default) or json: the raw response" },
  timeout: { type: "string", value: "SECONDS", describe: "deadline of each API call, its retries included (default 60)" },
};

export const WAIT_OPTIONS: Options = {
  wait: { type: "boolean", describe: "wait for the target state, polling every second ($OCS_POLL_INTERVAL_MS); a live line on a terminal" },
  "wait-timeout": { type: "string", value: "SECONDS", describe: "stop waiting after this long, exit code 1 (default 600)" },
};

export const BATCH_OPTIONS: Options = {
  concurrency: { type: "string", value: "N", describe: "how many at once (default 4)" },
};

/** Thrown when the user interrupts (^C) a command: exit code 130. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted");
  }
}

/** An API command: its context (client, output format, signal) is built from its options. */
export const api =
  (run: (ctx: ApiContext) => Promise<number>) =>
  async (ctx: RunContext): Promise<number> => {
    const apiCtx = apiContext(ctx, ctx.signal);
    try {
      return await run(apiCtx);
    } catch (error) {
      throw withEndpoint(error, apiCtx.endpoint);
    }
  };

/**
 * A call that reached nobody says where it went, and, when that was the SDK's default (CompShare
 * itself) because no base URL was given, how to name a local server instead.
 */
function withEndpoint(error: unknown, endpoint: ApiContext["endpoint"]): unknown {
  if (!(error instanceof NetworkError) || error instanceof TimeoutError) return error;
  const how = endpoint.defaulted
    ? `, the default, since no base URL was given: for a local server pass --base-url http://127.0.0.1:8080, set UCLOUD_BASE_URL, or run \`ocs configure --base-url URL\``
    : "";
  return new NetworkError(`${error.message.slice(error.action.length + 2)} (calling ${endpoint.url}${how})`, error.action, { cause: error.cause });
}

export interface ApiContext {
  io: Io;
  args: string[];
  values: RunContext["values"];
  format: OutputFormat;
  client: CompShareClient;
  call: CallOptions;
  signal: AbortSignal;
  waitTimeoutMs: number;
  pollIntervalMs: number;
  concurrency: number;
  /** Where the calls go, and whether that is the SDK's default because none was given. */
  endpoint: { url: string; defaulted: boolean };
}

export function apiContext(ctx: RunContext, signal: AbortSignal): ApiContext {
  const format = str(ctx.values, "output") ?? "table";
  if (format !== "table" && format !== "json") throw new UsageError(`--output must be table or json, got ${JSON.stringify(format)}`);
  const { settings } = resolveCredentials(ctx.values, ctx.io.env);
  const timeoutMs = secondsOption(ctx.values, "timeout", 60_000);
  let client: CompShareClient;
  try {
    client = new CompShareClient({
      publicKey: settings.publicKey as string,
      privateKey: settings.privateKey as string,
      region: settings.region,
      zone: settings.zone,
      projectId: settings.projectId,
      baseUrl: settings.baseUrl,
      timeoutMs,
      userAgent: `ocs/${CLI_VERSION}`,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^CompShareClient: /, ""));
  }
  const poll = ctx.io.env.OCS_POLL_INTERVAL_MS;
  return {
    io: ctx.io,
    args: ctx.args,
    values: ctx.values,
    format,
    client,
    call: { signal, timeoutMs },
    signal,
    waitTimeoutMs: secondsOption(ctx.values, "wait-timeout", 600_000),
    pollIntervalMs: poll && /^\d+$/.test(poll) ? Number(poll) : 1000,
    concurrency: intOption(ctx.values, "concurrency", 4, 1),
    endpoint: { url: settings.baseUrl ?? DEFAULT_BASE_URL, defaulted: settings.baseUrl === undefined },
  };
}

/** The message without a leading `Symbol: ` that the symbol already says. */
const withoutSymbol = (message: string, symbol: string | undefined) =>
  symbol && message.startsWith(`${symbol}: `) ? message.slice(symbol.length + 2) : message;

/** One line for people: `InstanceNotFound (RetCode 8039): instance … does not exist [request id …]`. */
export function describeError(error: unknown): string {
  const rid = (id: string | undefined) => (id ? ` [request id ${id}]` : "");
  if (error instanceof RetCodeError) {
    return `${error.symbol ?? "Error"} (RetCode ${error.retCode}): ${withoutSymbol(error.apiMessage, error.symbol) || "no message"}${rid(error.requestId)}`;
  }
  if (error instanceof HttpError) return `HTTP ${error.status} from ${error.action}${error.body ? `: ${error.body.slice(0, 200)}` : ""}${rid(error.requestId)}`;
  if (error instanceof InvalidResponseError) return `invalid response to ${error.action}: ${error.reason}${rid(error.requestId)}`;
  if (error instanceof CompShareError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Waits for one resource; `answer` is the accepted call's, for waiters that need its request id. */
export type WaitFn = (id: string, opts: WaiterOptions, answer?: ApiResult<unknown>) => Promise<WaiterResult<unknown>>;

export interface WaitSpec {
  /** The target, for the live line and the result: "Running". */
  target: string;
  until: WaitFn;
}

export interface Line {
  id: string;
  ok: boolean;
  detail: string;
}

/** Waits for `id`, reporting each poll to `progress`; the result line. */
export async function waitOne(ctx: ApiContext, id: string, wait: WaitSpec, progress: Progress | undefined, answer?: ApiResult<unknown>): Promise<Line> {
  const r = await wait.until(
    id,
    { timeoutMs: ctx.waitTimeoutMs, intervalMs: ctx.pollIntervalMs, signal: ctx.signal, onPoll: (p) => progress?.update(id, p.state) },
    answer,
  );
  if (r.outcome === "success") return { id, ok: true, detail: `${wait.target} after ${formatElapsed(r.elapsedMs)}` };
  if (r.outcome === "timeout") {
    return { id, ok: false, detail: `timed out after ${formatElapsed(r.elapsedMs)}: still ${r.lastState === undefined ? "unseen" : JSON.stringify(r.lastState)}` };
  }
  return { id, ok: false, detail: r.message };
}

export interface PerResource {
  /** The call for one id. */
  call: (id: string) => Promise<ApiResult<unknown>>;
  /** The result detail of an accepted call when not waiting: "reboot accepted". */
  accepted: string;
  /** What --wait waits for; without it --wait is refused. */
  wait?: WaitSpec;
  /** The header of the id column. */
  idHeader?: string;
  /** For the live line: "instances". */
  noun?: string;
}

/**
 * Runs `spec.call` over `ids`, at most `--concurrency` at a time, waiting for each if --wait.
 * Prints one result line per id (table), or each raw response (json). Exit code 1 if any failed.
 */
export async function perResource(ctx: ApiContext, ids: string[], spec: PerResource): Promise<number> {
  if (ctx.values.wait === true && !spec.wait) throw new UsageError("--wait does not apply here");
  const wait = ctx.values.wait === true ? spec.wait : undefined;
  const progress = wait ? new Progress(ctx.io.stderr, wait.target, { noun: spec.noun ?? "instances" }) : undefined;
  const raw: string[] = new Array(ids.length).fill("");
  let results;
  try {
    results = await mapLimit(ids, ctx.concurrency, async (id, i): Promise<Line> => {
      let answer;
      try {
        answer = await spec.call(id);
      } catch (error) {
        if (error instanceof RetCodeError) raw[i] = jsonLine(error.response);
        throw error;
      }
      raw[i] = jsonLine(answer.data);
      return wait ? waitOne(ctx, id, wait, progress, answer) : { id, ok: true, detail: spec.accepted };
    });
  } finally {
    progress?.stop();
  }
  if (ctx.signal.aborted) throw new Interrupted();
  const lines = results.map((r, i): Line => (r.ok ? r.value : { id: ids[i] as string, ok: false, detail: describeError(r.error) }));
  return report(ctx, lines, spec.idHeader ?? "UHostId", raw.join(""));
}

/** Prints result lines (table) or `json` (json); failures also on stderr in json. Exit code 1 if any failed. */
export function report(ctx: ApiContext, lines: Line[], idHeader: string, json: string): number {
  if (ctx.format === "json") ctx.io.stdout.write(json);
  else ctx.io.stdout.write(table([idHeader, "Result", "Detail"], lines.map((l) => [l.id, l.ok ? "ok" : "failed", l.detail])));
  const failed = lines.filter((l) => !l.ok);
  if (ctx.format === "json") for (const l of failed) ctx.io.stderr.write(`ocs: ${l.id}: ${l.detail}\n`);
  if (failed.length > 0 && lines.length > 1) ctx.io.stderr.write(`ocs: ${failed.length} of ${lines.length} failed\n`);
  return failed.length > 0 ? 1 : 0;
}

/** The version line of `ocs --version`. */
export const versionLine = () => `ocs ${CLI_VERSION} (sdk ${SDK_VERSION}, node ${process.version})\n`;
