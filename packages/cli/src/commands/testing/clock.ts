/** `ocs testing clock show|advance DURATION`: the server's clock, and time travel. */
import { MAX_ADVANCE_SECONDS } from "@opencompshare/protocol";
import { keyValues } from "../../output.js";
import { UsageError } from "../../io.js";
import { nested, printedJson, type Sub } from "./nested.js";

const PREFIX = "ocs testing clock";
const UNITS = [
  ["d", 86_400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
] as const;

const DURATION_RULE = "seconds (90, 0.5) or whole units, largest first: 90s, 15m, 2h, 7d, 7d1h, 1h30m";

/** `90` or `0.5` (seconds), or `90s`, `15m`, `2h`, `7d`, `7d1h`, `1h30m15s`: seconds, > 0. */
export function parseDuration(raw: string): number {
  const text = raw.trim();
  let seconds: number | undefined;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  else {
    const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
    if (m && text !== "") seconds = UNITS.reduce((sum, [, unit], i) => sum + Number(m[i + 1] ?? 0) * unit, 0);
  }
  if (seconds === undefined) throw new UsageError(`DURATION must be ${DURATION_RULE}, got ${JSON.stringify(raw)}`, `${PREFIX} --help`);
  if (seconds < 0.001) throw new UsageError(`DURATION must be more than 0 (the clock never goes back), got ${JSON.stringify(raw)}`, `${PREFIX} --help`);
  if (seconds > MAX_ADVANCE_SECONDS) throw new UsageError(`DURATION must be at most ${MAX_ADVANCE_SECONDS} seconds (ten years) at a time, got ${JSON.stringify(raw)}`, `${PREFIX} --help`);
  return seconds;
}

/** 608400 → `7d1h`; 0 → `0s`; fractions of a second stay on the seconds: `1m0.5s`. */
export function formatDuration(seconds: number): string {
  let rest = seconds;
  let out = "";
  for (const [name, unit] of UNITS) {
    const n = unit === 1 ? Math.round(rest * 1000) / 1000 : Math.floor(rest / unit);
    if (n > 0) out += `${n}${name}`;
    rest -= n * unit;
  }
  return out || "0s";
}

/** The server's time and how far it is ahead: `2026-11-26T12:00:00.000Z`, `+608400 s (7d1h)`. */
const timeLines = (timeMs: number, offset: number): Array<[string, string]> => [
  ["Time", new Date(timeMs).toISOString()],
  ["Offset", `+${Number(offset.toFixed(3))} s (${formatDuration(offset)} ahead of the real clock)`],
];

const show: Sub = {
  name: "show",
  maxArgs: 0,
  summary: "The server's time, and how far time travel has moved it ahead of the real clock.",
  run: async (ctx) => {
    const res = await ctx.client.describeCompShareClock({}, ctx.call);
    if (!printedJson(ctx, res)) ctx.io.stdout.write(keyValues(timeLines(res.TimeMs, res.OffsetSeconds)));
    return 0;
  },
};

const advance: Sub = {
  name: "advance",
  args: "DURATION",
  minArgs: 1,
  maxArgs: 1,
  summary: `Move the server's clock forward (never back) by DURATION: ${DURATION_RULE}. Answers once the work that fell due (billing, renewals, the reclaim timeline, scheduled stops, the operations they started) is done.`,
  check: (ctx) => void parseDuration(ctx.args[0] as string),
  run: async (ctx) => {
    const Seconds = parseDuration(ctx.args[0] as string);
    const res = await ctx.client.advanceCompShareClock({ Seconds }, ctx.call);
    if (printedJson(ctx, res)) return 0;
    ctx.io.stdout.write(
      keyValues([
        ...timeLines(res.TimeMs, res.OffsetSeconds),
        ["Billed", `${res.Billed} (hours and periods billed)`],
        ["Renewed", `${res.Renewed} (prepaid renewals)`],
        ["PolicySteps", `${res.PolicySteps} (steps of the expiry, arrears and reclaim timelines)`],
        ["ScheduledStops", `${res.ScheduledStops} (stops of the stop scheduler)`],
        ["OperationsSettled", `${res.OperationsSettled} (operations these started, ended)`],
      ]),
    );
    return 0;
  },
};

export const clock = nested("clock", PREFIX, "The server's clock: show it, or move it forward (time travel).", [show, advance]);
