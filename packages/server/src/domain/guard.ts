/**
 * May this instance do this now? Pure: it reads a snapshot and answers with the first
 * refusal, in the order of `compshare-api.md`: lock → image making → recycling → background
 * task → state. (Existence and ownership are checked before, by the lookup.)
 */
import { ApiError, type Rule } from "@opencompshare/protocol";

export interface InstanceSnapshot {
  id: string;
  state: string;
  recycling: boolean;
  task: string | null;
  imaging: boolean;
  /** The lock, when held and not expired at `now`. */
  lock: { holderAction: string; holderOpId: string; expiresAt: number } | null;
}

const when = (ms: number): string => new Date(ms).toISOString();

/** A state as the API spells it; the empty state (the driver could not tell) in words. */
const stateInWords = (state: string): string => (state === "" ? "in an unknown state" : state);

/** `Stopped`, `Running or Stopped`, `Stopped, or in an unknown state`: the rule's states, never a made-up state name. */
function allowedInWords(states: readonly string[]): string {
  const named = states.filter((s) => s !== "").join(" or ");
  if (!states.includes("")) return named;
  return named ? `${named}, or in an unknown state` : "in an unknown state";
}

export function lockHeldError(id: string, lock: NonNullable<InstanceSnapshot["lock"]>): ApiError {
  return new ApiError(
    "InstanceOperationInProgress",
    `instance ${id} is locked by ${lock.holderAction} (operation ${lock.holderOpId}) until ${when(lock.expiresAt)}`,
  );
}

export function check(action: string, rule: Rule, snap: InstanceSnapshot): ApiError | null {
  if (snap.lock) return lockHeldError(snap.id, snap.lock);
  if (snap.imaging) return new ApiError("InstanceImageMaking", `a custom image of instance ${snap.id} is being made`);
  if (snap.recycling) return new ApiError("InstanceRecycling", `instance ${snap.id} is being reclaimed`);
  if (snap.task) return new ApiError("InstanceBackgroundTask", `instance ${snap.id} is running the background task ${snap.task}`);
  if (!rule.from.includes(snap.state)) {
    return new ApiError(rule.wrongState, `instance ${snap.id} is ${stateInWords(snap.state)}; ${action} needs it to be ${allowedInWords(rule.from)}`);
  }
  return null;
}
