/**
 * Waiters: poll until a resource reaches a state, with explicit outcomes.
 *
 * - `success`: the target was reached;
 * - `failure`: it never will be: the instance is gone (not listed, or RetCode 8039) or in
 *   `Install Fail`; the image is `UnAvailable`, `Offline` or gone;
 * - `timeout`: `timeoutMs` passed first; `lastState` is the last state seen.
 *
 * Other errors (network, RetCodes other than 8039, after the client's own retries) reject, and so
 * does an aborted `signal`, with its reason. The clock and the sleep are injectable, so a test can
 * move time instead of waiting.
 *
 * @example
 * const r = await waitUntilInstanceState(client, { UHostId: id, State: "Running", timeoutMs: 300_000 });
 * if (r.outcome !== "success") throw new Error(`${id}: ${r.message}`);
 */
import type { Image, Instance, InstanceState } from "@opencompshare/protocol";
import type { CallOptions, CompShareClient } from "./client.js";
import { RetCodeError, TimeoutError } from "./errors.js";
import { sleep as realSleep } from "./retry.js";

export interface WaiterOptions {
  /** Give up after this long: the outcome is then `timeout`. Default 10 minutes. */
  timeoutMs?: number;
  /** Time between two polls. Default 2000 ms. */
  intervalMs?: number;
  /** Aborts the wait; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every poll. */
  onPoll?: (poll: Poll) => void;
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number;
  /** Waits `ms` of that clock. Default a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What one poll saw. */
export interface Poll {
  /** The state, or undefined when the resource is gone. */
  state: string | undefined;
  gone: boolean;
  elapsedMs: number;
  polls: number;
}

/** Why a wait failed. Custom waiters (`waitUntil`) may give their own reasons. */
export type FailureReason = "gone" | "install-failed" | "image-failed" | (string & {});

interface Common {
  /** The last state seen while the resource existed (undefined if never seen). */
  lastState: string | undefined;
  elapsedMs: number;
  polls: number;
  /** A sentence for people. */
  message: string;
}

/** The outcome of a wait. `resource` is the last description seen, when there was one. */
export type WaiterResult<T> =
  | (Common & { outcome: "success"; resource: T | undefined })
  | (Common & { outcome: "failure"; reason: FailureReason; resource: T | undefined })
  | (Common & { outcome: "timeout"; resource: T | undefined });

/** What one poll of a custom waiter found. */
export interface Observation<T> {
  /** The state seen; undefined when the resource is gone. */
  state: string | undefined;
  resource: T | undefined;
  verdict: "success" | "pending" | { failure: FailureReason; message: string };
}

export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_WAIT_INTERVAL_MS = 2000;

/**
 * The poll loop under every waiter, for waiters of your own: `observe` makes one poll with the
 * call options it is given (the signal, and a deadline within the wait's) and says what it saw.
 *
 * @example
 * await waitUntil("instance uhost-1 renamed", { timeoutMs: 60_000 }, async (call) => {
 *   const [i] = (await client.describeCompShareInstance({ UHostIds: ["uhost-1"] }, call)).UHostSet;
 *   return { state: i?.Name, resource: i, verdict: i?.Name === "new" ? "success" : "pending" };
 * });
 */
export async function waitUntil<T>(
  what: string,
  opts: WaiterOptions,
  observe: (call: CallOptions) => Promise<Observation<T>>,
): Promise<WaiterResult<T>> {
  const now = opts.now ?? Date.now;
  const pause = opts.sleep ?? realSleep;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const intervalMs = opts.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS;
  const start = now();
  const deadline = start + timeoutMs;
  let lastState: string | undefined;
  let resource: T | undefined;
  let polls = 0;
  const timeout = (): WaiterResult<T> => ({
    outcome: "timeout",
    lastState,
    resource,
    elapsedMs: now() - start,
    polls,
    message: `${what}: still ${lastState === undefined ? "unseen" : JSON.stringify(lastState)} after ${timeoutMs} ms`,
  });
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    let seen: Observation<T>;
    try {
      // A poll may not outlast the wait by much: it gets what is left, and at least a second.
      seen = await observe({ signal: opts.signal, timeoutMs: Math.max(1000, deadline - now()) });
    } catch (error) {
      if (error instanceof TimeoutError && now() >= deadline) return timeout();
      throw error;
    }
    polls++;
    if (seen.state !== undefined) lastState = seen.state;
    if (seen.resource !== undefined) resource = seen.resource;
    const elapsedMs = now() - start;
    opts.onPoll?.({ state: seen.state, gone: seen.resource === undefined, elapsedMs, polls });
    if (seen.verdict === "success") {
      return { outcome: "success", lastState, resource: seen.resource, elapsedMs, polls, message: `${what}: reached after ${elapsedMs} ms` };
    }
    if (seen.verdict !== "pending") {
      return { outcome: "failure", reason: seen.verdict.failure, lastState, resource, elapsedMs, polls, message: `${what}: ${seen.verdict.message}` };
    }
    if (now() >= deadline) return timeout();
    await pause(Math.min(intervalMs, deadline - now()), opts.signal);
  }
}

type DescribesInstances = Pick<CompShareClient, "describeCompShareInstance">;
type DescribesCustomImages = Pick<CompShareClient, "describeCompShareCustomImages">;

/** The instance, or undefined when it is not listed or answers 8039 (InstanceNotFound). */
async function findInstance(client: DescribesInstances, id: string, call: CallOptions): Promise<Instance | undefined> {
  try {
    const res = await client.describeCompShareInstance({ UHostIds: [id] }, call);
    return res.UHostSet.find((i) => i.UHostId === id);
  } catch (error) {
    if (error instanceof RetCodeError && error.retCode === 8039) return undefined;
    throw error;
  }
}

export interface InstanceStateTarget extends WaiterOptions {
  UHostId: string;
  /** The state to wait for, e.g. `Running` or `Stopped`. */
  State: InstanceState;
}

/**
 * Polls `DescribeCompShareInstance` (`UHostIds.0`) until the instance is in `State`. Failure when
 * it is gone or in `Install Fail` (unless that is the target); timeout with the last state seen.
 */
export function waitUntilInstanceState(client: DescribesInstances, target: InstanceStateTarget): Promise<WaiterResult<Instance>> {
  const { UHostId: id, State: wanted } = target;
  return waitUntil(`instance ${id} ${JSON.stringify(wanted)}`, target, async (call) => {
    const instance = await findInstance(client, id, call);
    if (!instance) return { state: undefined, resource: undefined, verdict: { failure: "gone", message: `instance ${id} is gone` } };
    const state = instance.State;
    if (state === wanted) return { state, resource: instance, verdict: "success" };
    if (state === "Install Fail") {
      return { state, resource: instance, verdict: { failure: "install-failed", message: `instance ${id} is in Install Fail` } };
    }
    return { state, resource: instance, verdict: "pending" };
  });
}

/** Polls until the instance is no longer listed (terminated and released). */
export function waitUntilInstanceGone(client: DescribesInstances, target: WaiterOptions & { UHostId: string }): Promise<WaiterResult<Instance>> {
  const { UHostId: id } = target;
  return waitUntil(`instance ${id} gone`, target, async (call) => {
    const instance = await findInstance(client, id, call);
    return instance ? { state: instance.State, resource: instance, verdict: "pending" } : { state: undefined, resource: undefined, verdict: "success" };
  });
}

/**
 * Polls `DescribeCompShareCustomImages` until the custom image is `Available`. Failure when it is
 * `UnAvailable` or `Offline`, or gone.
 */
export function waitUntilImageAvailable(
  client: DescribesCustomImages,
  target: WaiterOptions & { CompShareImageId: string },
): Promise<WaiterResult<Image>> {
  const { CompShareImageId: id } = target;
  return waitUntil(`image ${id} "Available"`, target, async (call) => {
    const res = await client.describeCompShareCustomImages({ CompShareImageId: id }, call);
    const image = res.ImageSet.find((i) => i.CompShareImageId === id);
    if (!image) return { state: undefined, resource: undefined, verdict: { failure: "gone", message: `image ${id} is gone` } };
    if (image.Status === "Available") return { state: image.Status, resource: image, verdict: "success" };
    if (image.Status === "UnAvailable" || image.Status === "Offline") {
      const why = image.FailedReason ? `: ${image.FailedReason}` : "";
      return { state: image.Status, resource: image, verdict: { failure: "image-failed", message: `image ${id} is ${image.Status}${why}` } };
    }
    return { state: image.Status, resource: image, verdict: "pending" };
  });
}
