/** Waiting with an AbortSignal: sleeps, abortable promises and polling, all rejecting promptly on abort. */

/** The reason a signal aborted, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === "string" ? r : "aborted");
}

/** Throws the signal's reason when it has aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortReason(signal);
}

/** Resolves after `ms`, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Settles as `promise` does, or rejects when the signal aborts first (the promise goes on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** A signal that aborts with `signal`, or after `ms` with a timeout error naming `what`. */
export function withTimeout(signal: AbortSignal | undefined, ms: number, what: string): AbortSignal {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`${what}: no answer within ${ms} ms`)), ms);
  timer.unref();
  return signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
}

/** Calls `probe` every `everyMs` until it returns a value other than undefined. */
export async function poll<T>(probe: () => Promise<T | undefined> | T | undefined, everyMs: number, signal: AbortSignal): Promise<T> {
  for (;;) {
    throwIfAborted(signal);
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(everyMs, signal);
  }
}

/** A mutual-exclusion lock: `run` calls one at a time, in order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
