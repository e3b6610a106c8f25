/**
 * The banners above a page, and when each goes away by itself. An acceptance announces an
 * operation and goes when that operation has ended (succeeded or failed), as the event stream
 * (or, without it, a poll) tells; a refusal goes after REFUSAL_MS, or sooner when the operation
 * whose lock refused it has ended. Every banner can also be dismissed by hand.
 */
import type { InstanceEvent } from "@opencompshare/protocol/web";
import { TRANSITIONAL, type Instance } from "./model.js";

/** An event of the stream, or a poll's tick (events.ts's LiveEvent). */
export type HeardEvent = InstanceEvent | { Kind: "poll"; UHostId: "" };

export type NoticeKind = "error" | "info";

/** What a banner is about, so that it can end with it. */
export interface About {
  /** An accepted operation: this Action on these instances; the banner stays until each has ended. */
  action?: string;
  uhostIds?: readonly string[];
  /** A refusal because this operation holds the instance's lock: the banner ends with it. */
  operationId?: string;
}

export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
  about?: About;
}

/** A refusal is read out at once (role="alert") and stays this long at most. */
export const REFUSAL_MS = 20_000;
/** An acceptance with nothing to wait for (a rename, done at once). */
export const DONE_MS = 8000;
/** An acceptance whose end was never heard of (events lost) goes after this all the same. */
export const ACCEPTED_MAX_MS = 10 * 60_000;

/** How long a new banner may stay at most. */
export function lifetime(kind: NoticeKind, about: About | undefined): number {
  if (kind === "error") return REFUSAL_MS;
  return about?.action && about.uhostIds?.length ? ACCEPTED_MAX_MS : DONE_MS;
}

const ENDED = new Set(["operation.succeeded", "operation.failed"]);

/**
 * The banner after `e`: the same, one with fewer instances to wait for, or null once what it
 * announced has ended. `instances` is what the page knows of them (for a poll's tick).
 */
export function afterEvent(n: Notice, e: HeardEvent, instances: ReadonlyMap<string, Instance>): Notice | null {
  const about = n.about;
  if (!about) return n;
  const ids = about.uhostIds ?? [];
  let done: (id: string) => boolean;
  if (e.Kind === "poll") {
    // Without the stream: an instance that is gone or no longer changing has nothing running.
    done = (id) => {
      const inst = instances.get(id);
      return !inst || !TRANSITIONAL.has(inst.State);
    };
  } else {
    if (about.operationId && ENDED.has(e.Kind) && e.OperationId === about.operationId) return null;
    if (e.Kind !== "instance.released" && !(ENDED.has(e.Kind) && e.Action === about.action)) return n;
    done = (id) => id === e.UHostId;
  }
  if (!about.action || ids.length === 0) return n;
  const left = ids.filter((id) => !done(id));
  if (left.length === ids.length) return n;
  return left.length === 0 ? null : { ...n, about: { ...about, uhostIds: left } };
}
