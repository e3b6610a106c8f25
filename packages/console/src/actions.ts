/**
 * Runs an instance action and says what came of it in plain words: accepted, refused with the
 * server's message, or refused because another operation holds the instance's lock (which one,
 * since when, until when).
 */
import { ApiFailure, call } from "./api.js";
import type { Live } from "./events.js";
import type { I18n } from "./i18n/index.js";
import { ACTION_NAMES, LOCK_HELD, parseLock, type Instance, type Operation, type RowAction } from "./model.js";
import type { Notify } from "./components/Notices.js";
import type { About } from "./notices.js";

const LABELS: Record<string, RowAction | "create"> = {
  ...Object.fromEntries(Object.entries(ACTION_NAMES).map(([k, v]) => [v, k as RowAction])),
  CreateCompShareInstance: "create",
};

/** An API Action in the user's words ("Reboot"), or the Action itself when it has none. */
export function actionLabel(i18n: I18n, action: string): string {
  const key = LABELS[action];
  if (!key) return action;
  return i18n.t(key === "create" ? "createButton" : key);
}

async function lockSince(live: Live, inst: Instance, operationId: string): Promise<number | undefined> {
  const seen = live.locks.get(inst.UHostId);
  if (seen?.operationId === operationId) return seen.since;
  try {
    const r = await call<{ OperationSet: Operation[] }>("DescribeCompShareInstanceOperations", { Region: inst.Region, Zone: inst.Zone, UHostId: inst.UHostId, Limit: 20 });
    return r.OperationSet.find((o) => o.OperationId === operationId)?.StartTime;
  } catch {
    return undefined;
  }
}

/** What to tell the user about a failed call, and the operation whose lock refused it, if one did. */
export async function describeFailure(i18n: I18n, live: Live, inst: Instance, action: RowAction, error: unknown): Promise<{ text: string; about?: About }> {
  const { t, time } = i18n;
  const base = { action: t(action), name: inst.Name || inst.UHostId };
  if (!(error instanceof ApiFailure)) return { text: t("failed", { ...base, message: error instanceof Error ? error.message : String(error), code: "—" }) };
  const message = error.envelope.Message ?? "";
  if (error.retCode === LOCK_HELD) {
    const lock = parseLock(message);
    if (lock) {
      const since = await lockSince(live, inst, lock.operationId);
      const vars = { ...base, holder: actionLabel(i18n, lock.action), operationId: lock.operationId, until: time(lock.until) };
      return { text: since ? t("lockHeld", { ...vars, since: time(since) }) : t("lockHeldNoSince", vars), about: { operationId: lock.operationId } };
    }
  }
  return { text: t("failed", { ...base, message, code: error.retCode }) };
}

/** Actions done when accepted: nothing runs after them to wait for. */
const AT_ONCE = new Set<RowAction>(["rename"]);

export async function runAction(
  i18n: I18n,
  live: Live,
  notify: Notify,
  inst: Instance,
  action: RowAction,
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  const heard = live.heard;
  try {
    await call(ACTION_NAMES[action], { Region: inst.Region, Zone: inst.Zone, UHostId: inst.UHostId, ...extra });
    const over = AT_ONCE.has(action) || live.endedSince(heard, inst.UHostId, ACTION_NAMES[action]);
    const about = over ? undefined : { action: ACTION_NAMES[action], uhostIds: [inst.UHostId] };
    notify.info(i18n.t("accepted", { action: i18n.t(action), name: inst.Name || inst.UHostId }), about);
    return true;
  } catch (error) {
    const refusal = await describeFailure(i18n, live, inst, action, error);
    notify.error(refusal.text, refusal.about);
    return false;
  }
}
