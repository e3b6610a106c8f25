/**
 * The event stream (an extension of ours, not a CompShare action): what changed on an account's
 * instances, in order, over Server-Sent Events at EVENTS_PATH. Each SSE message has the event's
 * id as its `id`, its kind as its `event`, and an InstanceEvent as JSON `data`.
 */
export const EVENTS_PATH = "/events";

export const EventKinds = [
  "instance.created",
  "instance.state",
  "instance.released",
  "operation.accepted",
  "operation.resumed",
  "operation.phase",
  "operation.succeeded",
  "operation.failed",
  "lock.taken",
  "lock.released",
  "policy.notice",
] as const;
export type EventKind = (typeof EventKinds)[number];

/** The SSE `event` of the message sent when the position asked for is past retention. */
export const RESET_EVENT = "reset";

export interface InstanceEvent {
  /** Grows with each event of the server; the SSE id, and what Last-Event-ID resumes after. */
  EventId: number;
  Kind: EventKind;
  UHostId: string;
  /** Unix seconds. */
  Time: number;
  /** `instance.created`, `instance.state`: the state entered; `instance.state` also the state left, when known (PreviousState). */
  State?: string;
  PreviousState?: string;
  /** Operation and lock events: the operation, its action and (accepted) request id. */
  OperationId?: string;
  Action?: string;
  RequestId?: string;
  /** `operation.phase`: the step it is at (`soft`, `hard`, …). */
  Phase?: string;
  /** `operation.failed`: the RetCode and message it failed with. */
  RetCode?: number;
  Message?: string;
  /** `lock.taken`: when the lock expires, Unix seconds. */
  ExpireTime?: number;
  /** `policy.notice`: the reclaim timeline's step. */
  Step?: string;
}

/** Sent with `event: reset`: the events before this id are gone; re-read the state, then go on. */
export interface ResetNotice {
  PrunedThrough: number;
  /** The stream goes on after this id. */
  ResumeAfter: number;
}
