/**
 * Waiters: poll (or, for instances, listen to the event stream) until a resource reaches a
 * state, with explicit outcomes.
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
import type { Image, Instance, InstanceEvent, InstanceState } from "@opencompshare/protocol";
import type { CallOptions, CompShareClient } from "./client.js";
import { NetworkError, RetCodeError, TimeoutError } from "./errors.js";
import type { StreamItem } from "./events.js";
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

/** One wait in progress: its clock, deadline and what it has seen so far, whichever way it learns. */
class Wait<T> {
  readonly now: () => number;
  readonly pause: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly start: number;
  readonly deadline: number;
  lastState: string | undefined;
  resource: T | undefined;
  polls = 0;

  constructor(
    readonly what: string,
    readonly opts: WaiterOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.pause = opts.sleep ?? realSleep;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    this.intervalMs = opts.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS;
    this.start = this.now();
    this.deadline = this.start + this.timeoutMs;
  }

  get expired(): boolean {
    return this.now() >= this.deadline;
  }

  timeout(): WaiterResult<T> {
    const { lastState } = this;
    return {
      outcome: "timeout",
      lastState,
      resource: this.resource,
      elapsedMs: this.now() - this.start,
      polls: this.polls,
      message: `${this.what}: still ${lastState === undefined ? "unseen" : JSON.stringify(lastState)} after ${this.timeoutMs} ms`,
    };
  }

  /** One poll: the result when it decided the wait, undefined while pending. Other errors reject. */
  async poll(observe: (call: CallOptions) => Promise<Observation<T>>): Promise<WaiterResult<T> | undefined> {
    let seen: Observation<T>;
    try {
      // A poll may not outlast the wait by much: it gets what is left, and at least a second.
      seen = await observe({ signal: this.opts.signal, timeoutMs: Math.max(1000, this.deadline - this.now()) });
    } catch (error) {
      if (error instanceof TimeoutError && this.expired) return this.timeout();
      throw error;
    }
    this.polls++;
    return this.judge(seen, true);
  }

  /** What an observation means for the wait; `polled` when it came from a poll (reported to onPoll). */
  judge(seen: Observation<T>, polled: boolean): WaiterResult<T> | undefined {
    const { what } = this;
    if (seen.state !== undefined) this.lastState = seen.state;
    if (seen.resource !== undefined) this.resource = seen.resource;
    const elapsedMs = this.now() - this.start;
    const { lastState, polls } = this;
    if (polled) this.opts.onPoll?.({ state: seen.state, gone: seen.resource === undefined, elapsedMs, polls });
    if (seen.verdict === "success") {
      return { outcome: "success", lastState, resource: seen.resource, elapsedMs, polls, message: `${what}: reached after ${elapsedMs} ms` };
    }
    if (seen.verdict !== "pending") {
      return { outcome: "failure", reason: seen.verdict.failure, lastState, resource: this.resource, elapsedMs, polls, message: `${what}: ${seen.verdict.message}` };
    }
    return undefined;
  }
}

async function pollLoop<T>(w: Wait<T>, observe: (call: CallOptions) => Promise<Observation<T>>): Promise<WaiterResult<T>> {
  const { signal } = w.opts;
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    const decided = await w.poll(observe);
    if (decided) return decided;
    if (w.expired) return w.timeout();
    await w.pause(Math.min(w.intervalMs, w.deadline - w.now()), signal);
  }
}

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
export function waitUntil<T>(
  what: string,
  opts: WaiterOptions,
  observe: (call: CallOptions) => Promise<Observation<T>>,
): Promise<WaiterResult<T>> {
  return pollLoop(new Wait<T>(what, opts), observe);
}

/**
 * How an instance waiter learns of changes:
 * - `poll`: a Describe every `intervalMs`;
 * - `events`: the account's event stream (`GET /events`, filtered to the instance), and one
 *   Describe once it is open (and one more, for the description, when the target is reached);
 *   it rejects if the stream is refused or drops;
 * - `auto` (the default): events, and polling instead, transparently, when the stream is refused
 *   (an older server, a proxy, too many streams) or drops; while the stream is open a Describe
 *   every `safetyPollMs` all the same, so that a missed event cannot hang the wait.
 */
export type WaitMode = "poll" | "events" | "auto";

export const DEFAULT_SAFETY_POLL_MS = 30_000;

export interface InstanceWaiterOptions extends WaiterOptions {
  /** How to learn of changes. Default `auto`. A client without `events()` always polls. */
  mode?: WaitMode;
  /** `auto`: a Describe this often even while the stream is open. Default 30 s. */
  safetyPollMs?: number;
  /** `auto`: called once when the wait gives up on the stream and polls instead, with why. */
  onFallback?: (reason: unknown) => void;
}

type StreamsEvents = Partial<Pick<CompShareClient, "events">>;

/** A stream that ended: refused before it opened, or dropped after; `reason` is the error to give. */
interface StreamEnded {
  opened: boolean;
  reason: unknown;
}

/**
 * The event-driven wait: the stream is opened first, then one Describe says where the instance
 * is (a change after that arrives as an event: the server answers the stream once it is
 * subscribed), then events decide. Time passes by the wait's own `sleep`, in steps of
 * `intervalMs`, so an injected clock moves as it does for polling. The stream is always closed.
 */
async function eventLoop<T>(
  w: Wait<T>,
  mode: "events" | "auto",
  events: NonNullable<StreamsEvents["events"]>,
  uhostId: string,
  observe: (call: CallOptions) => Promise<Observation<T>>,
  fromEvent: (e: InstanceEvent) => Observation<T> | undefined,
  opts: InstanceWaiterOptions,
): Promise<WaiterResult<T>> {
  const { signal } = opts;
  if (signal?.aborted) throw signal.reason;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  const queue: StreamItem[] = [];
  let opened = false;
  let ended: StreamEnded | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const f = wake;
    wake = undefined;
    f?.();
  };
  const reading = (async () => {
    let failure: unknown;
    try {
      const onOpen = () => {
        opened = true;
        poke();
      };
      for await (const item of events({ uhostId, signal: stop.signal, reconnect: false, now: w.now, onOpen })) {
        queue.push(item);
        poke();
      }
    } catch (error) {
      failure = error;
    } finally {
      const why = opened ? "the event stream dropped" : "the event stream closed before it opened";
      ended = { opened, reason: failure ?? new NetworkError(why, "StreamEvents") };
      poke();
    }
  })();
  /** Until an item arrives, the stream ends, or `ms` of the wait's clock pass. */
  const idle = async (ms: number) => {
    if (queue.length > 0 || ended) return;
    const tick = new AbortController();
    const woken = new Promise<void>((resolve) => (wake = resolve));
    try {
      await Promise.race([woken, w.pause(Math.max(0, ms), tick.signal).catch(() => undefined)]);
    } finally {
      tick.abort();
      wake = undefined;
    }
  };
  const fallBack = (why: StreamEnded): Promise<WaiterResult<T>> => {
    if (mode === "events") throw why.reason;
    opts.onFallback?.(why.reason);
    stop.abort();
    return pollLoop(w, observe);
  };
  const safetyMs = opts.safetyPollMs ?? DEFAULT_SAFETY_POLL_MS;
  try {
    while (!opened && !ended) {
      if (signal?.aborted) throw signal.reason;
      if (w.expired) return (await w.poll(observe)) ?? w.timeout();
      await idle(Math.min(w.intervalMs, w.deadline - w.now()));
    }
    if (signal?.aborted) throw signal.reason;
    if (!opened && ended) return await fallBack(ended);
    // Open: from here on a change arrives as an event. Where is it now?
    const first = await w.poll(observe);
    if (first) return first;
    let lastPoll = w.now();
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let redescribe = false;
      for (const item of queue.splice(0)) {
        if (item.Kind === "reset") {
          redescribe = true;
          continue;
        }
        const seen = fromEvent(item);
        const decided = seen && w.judge(seen, false);
        if (!decided) continue;
        if (decided.outcome !== "success") return decided;
        // Reached: one Describe for the description to return (the event carries only the state).
        stop.abort();
        const described = await w.poll(observe).catch(() => undefined);
        return described?.outcome === "success" ? described : { ...decided, polls: w.polls, resource: w.resource };
      }
      if (ended) return await fallBack(ended);
      // At the deadline one last Describe, as the poll loop makes: the timeout reports the state now.
      if (w.expired) return (await w.poll(observe)) ?? w.timeout();
      if (redescribe || (mode === "auto" && w.now() - lastPoll >= safetyMs)) {
        const decided = await w.poll(observe);
        if (decided) return decided;
        lastPoll = w.now();
      }
      let step = Math.min(w.intervalMs, w.deadline - w.now());
      if (mode === "auto") step = Math.min(step, Math.max(0, lastPoll + safetyMs - w.now()));
      await idle(step);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Closes the stream; the reader ends on its own (not awaited: a fetch that ignores the abort
    // must not hold the wait).
    stop.abort();
    void reading;
  }
}

/** Polls, or listens (`mode`), for an instance. */
function instanceWait<T>(
  what: string,
  client: DescribesInstances & StreamsEvents,
  uhostId: string,
  opts: InstanceWaiterOptions,
  observe: (call: CallOptions) => Promise<Observation<T>>,
  fromEvent: (e: InstanceEvent) => Observation<T> | undefined,
): Promise<WaiterResult<T>> {
  const mode = opts.mode ?? "auto";
  const w = new Wait<T>(what, opts);
  const events = typeof client.events === "function" ? client.events.bind(client) : undefined;
  if (mode === "poll" || (mode === "auto" && !events)) return pollLoop(w, observe);
  if (!events) return Promise.reject(new TypeError(`${what}: mode "events" needs a client with events()`));
  return eventLoop(w, mode, events, uhostId, observe, fromEvent, opts);
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

export interface InstanceStateTarget extends InstanceWaiterOptions {
  UHostId: string;
  /** The state to wait for, e.g. `Running` or `Stopped`. */
  State: InstanceState;
}

/**
 * Waits until the instance is in `State`: polls `DescribeCompShareInstance` (`UHostIds.0`), or
 * listens to its events (`mode`, default `auto`). Failure when it is gone or in `Install Fail`
 * (unless that is the target); timeout with the last state seen.
 */
export function waitUntilInstanceState(client: DescribesInstances & StreamsEvents, target: InstanceStateTarget): Promise<WaiterResult<Instance>> {
  const { UHostId: id, State: wanted } = target;
  const judge = (state: string, resource: Instance | undefined): Observation<Instance> => {
    if (state === wanted) return { state, resource, verdict: "success" };
    if (state === "Install Fail") return { state, resource, verdict: { failure: "install-failed", message: `instance ${id} is in Install Fail` } };
    return { state, resource, verdict: "pending" };
  };
  const gone: Observation<Instance> = { state: undefined, resource: undefined, verdict: { failure: "gone", message: `instance ${id} is gone` } };
  return instanceWait(
    `instance ${id} ${JSON.stringify(wanted)}`,
    client,
    id,
    target,
    async (call) => {
      const instance = await findInstance(client, id, call);
      return instance ? judge(instance.State, instance) : gone;
    },
    (e) => {
      if (e.UHostId !== id) return undefined;
      if (e.Kind === "instance.released") return gone;
      if ((e.Kind === "instance.state" || e.Kind === "instance.created") && e.State) return judge(e.State, undefined);
      return undefined;
    },
  );
}

/** Waits until the instance is no longer listed (terminated and released): polls, or listens (`mode`). */
export function waitUntilInstanceGone(
  client: DescribesInstances & StreamsEvents,
  target: InstanceWaiterOptions & { UHostId: string },
): Promise<WaiterResult<Instance>> {
  const { UHostId: id } = target;
  return instanceWait(
    `instance ${id} gone`,
    client,
    id,
    target,
    async (call) => {
      const instance = await findInstance(client, id, call);
      return instance ? { state: instance.State, resource: instance, verdict: "pending" } : { state: undefined, resource: undefined, verdict: "success" };
    },
    (e) => {
      if (e.UHostId !== id) return undefined;
      if (e.Kind === "instance.released") return { state: undefined, resource: undefined, verdict: "success" };
      if (e.Kind === "instance.state" && e.State) return { state: e.State, resource: undefined, verdict: "pending" };
      return undefined;
    },
  );
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
