/**
 * The reclaim timeline of CompShare's recycle rules, as data and pure functions: which steps an
 * instance's timeline has, and when each falls due. No I/O; the policy engine
 * (policies/reclaim.ts) takes the steps.
 *
 * - Arrears (pay-as-you-go): t0 is the first unpaid hourly order.
 * - Expiry (prepaid by the hour, day or month): t0 is ExpireTime.
 * - Stopped 7 days (pay-as-you-go, stopped, nothing unpaid): reclaimed at 12:00 on day 7.
 *
 * Deletions fall in the daily 10:00–18:59 window: a reclaim is at its due time when the stop
 * or the reclaim itself falls in the window, and else at the next 10:00.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export type Timeline = "arrears" | "expiry" | "stopped";

export type StepName =
  | "expiry-reminder"
  | "expiry-notice"
  | "stop-warning"
  | "stop"
  | "reclaim-warning"
  | "reclaim"
  | "stopped-day-3-warning"
  | "stopped-day-6-warning";

/** One column of the recycle table: offsets from t0, ms (the reminder is before t0). */
export interface Column {
  reminder?: number;
  notice: number;
  stopWarning: number;
  stop: number;
  reclaimWarning: number;
  reclaim: number;
}

/** The recycle table of instances, system disks and paid images, per charge type. */
export const RECYCLE_TABLE: Readonly<Record<"Postpay" | "Dynamic" | "Day" | "Month", Column>> = {
  Postpay: { notice: 0, stopWarning: 30 * MIN, stop: HOUR, reclaimWarning: 90 * MIN, reclaim: 12 * HOUR },
  Dynamic: { notice: 0, stopWarning: 30 * MIN, stop: HOUR, reclaimWarning: 90 * MIN, reclaim: 4 * HOUR },
  Day: { reminder: -8 * HOUR, notice: 0, stopWarning: 4 * HOUR, stop: 8 * HOUR, reclaimWarning: 10 * HOUR, reclaim: 12 * HOUR },
  Month: { reminder: -3 * DAY, notice: 0, stopWarning: 12 * HOUR, stop: 24 * HOUR, reclaimWarning: 36 * HOUR, reclaim: 48 * HOUR },
};

/** The column a charge type follows: Spot runs as pay-as-you-go; a year is bought as months. */
export function columnOf(chargeType: string): Column | undefined {
  switch (chargeType) {
    case "Postpay":
    case "Spot":
      return RECYCLE_TABLE.Postpay;
    case "Dynamic":
      return RECYCLE_TABLE.Dynamic;
    case "Day":
      return RECYCLE_TABLE.Day;
    case "Month":
    case "Year":
      return RECYCLE_TABLE.Month;
    default:
      return undefined;
  }
}

/** Charge types billed by the hour from the balance (the arrears and 7-day rules apply). */
export const HOURLY_BILLED: ReadonlySet<string> = new Set(["Postpay", "Spot"]);

export const WINDOW_OPENS_MIN = 10 * 60;
/** The window ends at 18:59 inclusive: 19:00 is outside. */
export const WINDOW_CLOSES_MIN = 19 * 60;

/** Local wall-clock helpers for a fixed UTC offset (CompShare's time has no daylight saving). */
export function localMinuteOfDay(ms: number, utcOffsetMin: number): number {
  const local = ms + utcOffsetMin * MIN;
  return Math.floor((((local % DAY) + DAY) % DAY) / MIN);
}

/** Local midnight of the day `ms` falls on, as a UTC instant. */
export function localMidnight(ms: number, utcOffsetMin: number): number {
  const local = ms + utcOffsetMin * MIN;
  return local - (((local % DAY) + DAY) % DAY) - utcOffsetMin * MIN;
}

export function inWindow(ms: number, utcOffsetMin: number): boolean {
  const m = localMinuteOfDay(ms, utcOffsetMin);
  return m >= WINDOW_OPENS_MIN && m < WINDOW_CLOSES_MIN;
}

/** The first local 10:00 at or after `ms`. */
export function nextWindowOpening(ms: number, utcOffsetMin: number): number {
  const today = localMidnight(ms, utcOffsetMin) + WINDOW_OPENS_MIN * MIN;
  return today >= ms ? today : today + DAY;
}

/** When a reclaim due at `due` happens, for a timeline whose service stopped at `stoppedAt`. */
export function reclaimTime(stoppedAt: number, due: number, utcOffsetMin: number): number {
  if (inWindow(stoppedAt, utcOffsetMin) || inWindow(due, utcOffsetMin)) return due;
  return nextWindowOpening(due, utcOffsetMin);
}

export interface PolicyFacts {
  chargeType: string;
  state: string;
  /** Prepaid: the end of the paid period (0: none). */
  expireTime: number;
  /** Pay-as-you-go: the first unpaid order (0: nothing unpaid). */
  arrearsSince: number;
  stopTime: number;
}

export interface PlannedStep {
  step: StepName;
  at: number;
}

export interface Plan {
  timeline: Timeline;
  t0: number;
  /** Names this run of the timeline: a new t0 (a renewal, a new stop, new arrears) is a new run. */
  key: string;
  steps: PlannedStep[];
}

function columnPlan(timeline: Timeline, column: Column, t0: number, utcOffsetMin: number): Plan {
  const steps: PlannedStep[] = [];
  if (column.reminder !== undefined) steps.push({ step: "expiry-reminder", at: t0 + column.reminder });
  steps.push(
    { step: "expiry-notice", at: t0 + column.notice },
    { step: "stop-warning", at: t0 + column.stopWarning },
    { step: "stop", at: t0 + column.stop },
    { step: "reclaim-warning", at: t0 + column.reclaimWarning },
    { step: "reclaim", at: reclaimTime(t0 + column.stop, t0 + column.reclaim, utcOffsetMin) },
  );
  return { timeline, t0, key: `${timeline}:${t0}`, steps };
}

/** 12:00 on the `n`th day after the day the instance stopped (day 0). */
function noonOfDay(stopTime: number, n: number, utcOffsetMin: number): number {
  return localMidnight(stopTime, utcOffsetMin) + n * DAY + 12 * HOUR;
}

/** The timeline an instance is on now, or undefined when none applies. Arrears first, then expiry, then the 7-day rule. */
export function planFor(f: PolicyFacts, utcOffsetMin: number): Plan | undefined {
  const column = columnOf(f.chargeType);
  if (!column) return undefined;
  if (HOURLY_BILLED.has(f.chargeType)) {
    if (f.arrearsSince > 0) return columnPlan("arrears", column, f.arrearsSince, utcOffsetMin);
    if (f.state === "Stopped" && f.stopTime > 0) {
      return {
        timeline: "stopped",
        t0: f.stopTime,
        key: `stopped:${f.stopTime}`,
        steps: [
          { step: "stopped-day-3-warning", at: noonOfDay(f.stopTime, 3, utcOffsetMin) },
          { step: "stopped-day-6-warning", at: noonOfDay(f.stopTime, 6, utcOffsetMin) },
          { step: "reclaim", at: noonOfDay(f.stopTime, 7, utcOffsetMin) },
        ],
      };
    }
    return undefined;
  }
  if (f.expireTime > 0) return columnPlan("expiry", column, f.expireTime, utcOffsetMin);
  return undefined;
}

/** The next step of the plan after `lastStep` (taken on the run `lastKey`), or undefined when all are taken. */
export function nextStep(plan: Plan, lastKey: string, lastStep: string): PlannedStep | undefined {
  if (lastKey !== plan.key || lastStep === "") return plan.steps[0];
  const i = plan.steps.findIndex((s) => s.step === lastStep);
  return i < 0 ? plan.steps[0] : plan.steps[i + 1];
}

/** How far ahead of t0 a timeline may have a step: what the policy engine looks at. */
export const LONGEST_LEAD_MS = 3 * DAY;
