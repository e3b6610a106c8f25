/**
 * One owner per machine: the actions on a machine run one at a time, in the order asked. A call
 * of an action already in flight (or queued) joins it instead of starting a second one; an
 * action may cut others short (a hard reboot a soft one), whose callers then wait for it and
 * check their own postcondition; and when every caller of an action has given up (their signals
 * aborted), the action's own wait is cancelled: what it set in motion goes on in the machine.
 */
import type { PowerState } from "@opencompshare/protocol";
import { abortable, abortReason, throwIfAborted } from "./waits.js";

/** The reason an action was cut short by another. */
export class Preempted extends Error {
  constructor(readonly by: string) {
    super(`cut short by ${by}`);
  }
}

/** The reason an action's wait was cancelled: nobody waited for it any more. */
export class Abandoned extends Error {
  constructor(readonly key: string) {
    super(`${key}: every caller gave up`);
  }
}

/** One action asked of a machine: how it joins, shows and cuts others short, and its work. */
export interface ActionSpec {
  /** Calls with the same key join each other. */
  key: string;
  /** What status() shows while it is in flight (none: the observed power state). */
  shownAs?: PowerState;
  /** Keys of actions in flight whose outcome satisfies this one: join them instead. */
  joins?: readonly string[];
  /** Keys of actions in flight (or queued) this one cuts short (`k` also matches `k:anything`). */
  preempts?: readonly string[];
  /** When cut short: after the action that did it, check this one's postcondition (throw if it does not hold). */
  afterPreempt?: () => Promise<void>;
  /** Whether the action goes on when every caller gave up (default: its wait is cancelled). */
  keepWhenAbandoned?: boolean;
  work: (signal: AbortSignal) => Promise<void>;
}

interface Flight {
  spec: ActionSpec;
  controller: AbortController;
  started: boolean;
  settled: boolean;
  /** Ends when the work function has ended (for the order of actions). */
  done: Promise<void>;
  /** What callers wait for. */
  outcome: Promise<void>;
  callers: number;
  successor?: Flight;
}

/** The action queue of one machine. */
export class MachineQueue {
  private flights: Flight[] = [];
  private tail: Promise<void> = Promise.resolve();

  /** Runs `spec` (or joins the action in flight it matches); rejects promptly when `signal` aborts. */
  async run(spec: ActionSpec, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const flight = this.find(spec) ?? this.start(spec);
    flight.callers++;
    try {
      await abortable(flight.outcome, signal);
    } finally {
      flight.callers--;
      if (flight.callers === 0 && signal.aborted && !flight.settled && !flight.spec.keepWhenAbandoned) {
        flight.controller.abort(new Abandoned(flight.spec.key));
      }
    }
  }

  /** Starts an action nobody waits for (it is never abandoned); returns its outcome. */
  detach(spec: ActionSpec): Promise<void> {
    const flight = this.find(spec) ?? this.start({ ...spec, keepWhenAbandoned: true });
    flight.outcome.catch(() => undefined);
    return flight.outcome;
  }

  /** What status() shows: the first action in flight or queued that shows a state. */
  shownAs(): PowerState | undefined {
    for (const f of this.flights) if (!f.controller.signal.aborted && f.spec.shownAs) return f.spec.shownAs;
    return undefined;
  }

  /** The keys of the actions in flight or queued, not cut short. */
  keys(): string[] {
    return this.flights.filter((f) => !f.controller.signal.aborted).map((f) => f.spec.key);
  }

  /** True when nothing is in flight. */
  idle(): boolean {
    return this.flights.length === 0;
  }

  /** Resolves once nothing is in flight (actions started meanwhile included). */
  async settled(signal: AbortSignal): Promise<void> {
    while (this.flights.length > 0) {
      await abortable(Promise.allSettled(this.flights.map((f) => f.outcome)), signal);
    }
  }

  /** Cancels every action (their callers are rejected with `reason`); the machine is left as it is. */
  cancelAll(reason: Error): void {
    for (const f of this.flights) f.controller.abort(reason);
  }

  private find(spec: ActionSpec): Flight | undefined {
    const joinable = new Set([spec.key, ...(spec.joins ?? [])]);
    return this.flights.find((f) => !f.settled && !f.controller.signal.aborted && joinable.has(f.spec.key));
  }

  private start(spec: ActionSpec): Flight {
    const controller = new AbortController();
    const flight = { spec, controller, started: false, settled: false, callers: 0 } as Flight;
    for (const other of this.flights) {
      const hit = spec.preempts?.some((k) => other.spec.key === k || other.spec.key.startsWith(`${k}:`));
      if (hit && !other.controller.signal.aborted) {
        other.successor = flight;
        other.controller.abort(new Preempted(spec.key));
      }
    }
    const gate = this.tail;
    const work = gate.then(async () => {
      throwIfAborted(controller.signal);
      flight.started = true;
      await spec.work(controller.signal);
    });
    flight.done = work.then(
      () => undefined,
      () => undefined,
    );
    flight.done.then(() => {
      flight.settled = true;
      this.flights = this.flights.filter((f) => f !== flight);
    });
    this.tail = flight.done;
    flight.outcome = work.catch(async (error: unknown) => {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      if (reason instanceof Preempted && flight.successor) {
        await flight.successor.outcome.catch(() => undefined);
        if (spec.afterPreempt) return spec.afterPreempt();
        throw reason;
      }
      if (controller.signal.aborted) throw abortReason(controller.signal);
      throw error;
    });
    flight.outcome.catch(() => undefined);
    this.flights.push(flight);
    return flight;
  }
}
