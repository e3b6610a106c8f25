/**
 * `ocs bills`: the account's bills, newest first (an opencompshare extension,
 * DescribeCompShareBills): every charge and credit of its ledger, paid or unpaid, with the
 * balance and what is unpaid.
 */
import type { Output } from "@opencompshare/sdk";
import { API_OPTIONS, api } from "../api.js";
import { intOption, str, type Family, type Values } from "../command.js";
import { UsageError } from "../io.js";
import { formatTime, jsonLine, keyValues, table } from "../output.js";

type Bill = Output<"DescribeCompShareBills">["BillSet"][number];

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * A time option in Unix seconds: Unix seconds (`1795000000`), a time ago (`90m`, `24h`, `7d`,
 * by this machine's clock), or a date and time (`2026-11-26`, `2026-11-26T12:00:00Z`,
 * `2026-11-26 12:00`, local unless it names its zone).
 */
export function timeOption(values: Values, name: string, nowMs: number): number | undefined {
  const raw = str(values, name)?.trim();
  if (raw === undefined) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw);
  const ago = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(raw);
  if (ago) return Math.max(0, Math.floor(nowMs / 1000 - Number(ago[1]) * (UNITS[ago[2] as string] as number)));
  const at = Date.parse(raw);
  if (Number.isNaN(at) || at < 0) {
    throw new UsageError(`--${name} must be Unix seconds, a time ago (90m, 24h, 7d) or a date and time (2026-11-26, 2026-11-26T12:00:00Z), got ${JSON.stringify(raw)}`);
  }
  return Math.floor(at / 1000);
}

/** `-1.66`, `+100.00`: CNY with its sign. */
export const money = (cny: number): string => (cny > 0 ? `+${cny.toFixed(2)}` : cny.toFixed(2));

/** The period billed: `2026-11-26 12:00:00 – 13:00:00` (the end's date when it differs); empty for an instant (a top-up). */
export function periodOf(b: Pick<Bill, "BeginTime" | "EndTime">): string {
  if (!b.BeginTime || b.EndTime <= b.BeginTime) return "";
  const begin = formatTime(b.BeginTime);
  const end = formatTime(b.EndTime);
  return `${begin} – ${end.slice(0, 10) === begin.slice(0, 10) ? end.slice(11) : end}`;
}

export const family: Family = {
  name: "bills",
  summary: "the account's bills: charges and credits, paid or unpaid (opencompshare extension)",
  commands: [
    {
      name: "",
      summary: "List the account's bills, newest first: time, resource, kind, period, amount (CNY), paid or not; then the balance and what is unpaid.",
      details:
        "Uses DescribeCompShareBills, which opencompshare adds to the CompShare API. A charge is negative and a credit (a top-up, a refund) positive. Kinds: hour (a pay-as-you-go hour), idle (an hour stopped: the system disk above the free size, a paid image), buy and renew (a prepaid period), refund, disk, storage, opening, topup, set.",
      maxArgs: 0,
      options: [
        [
          "Options",
          {
            since: { type: "string", value: "TIME", describe: "bills written at or after TIME: Unix seconds, a time ago (24h, 7d) or a date (2026-11-26, 2026-11-26T12:00:00Z)" },
            until: { type: "string", value: "TIME", describe: "bills written before TIME (the same forms)" },
            resource: { type: "string", value: "ID", describe: "only the bills of this instance, disk or image" },
            kind: { type: "string", value: "KIND", describe: "only bills of this kind (hour, idle, buy, renew, refund, disk, storage, topup, …)" },
            unpaid: { type: "boolean", describe: "only what is unpaid" },
            limit: { type: "string", value: "N", describe: "at most N (default 20, at most 100)" },
            offset: { type: "string", value: "N", describe: "skip the first N" },
            json: { type: "boolean", describe: "the raw response as JSON (the same as --output json)" },
          },
        ],
        ["Credentials and output", API_OPTIONS],
      ],
      run: api(async (ctx) => {
        const now = Date.now();
        const since = timeOption(ctx.values, "since", now);
        const until = timeOption(ctx.values, "until", now);
        if (since !== undefined && until !== undefined && until <= since) throw new UsageError("--until must be after --since");
        const resource = str(ctx.values, "resource");
        const kind = str(ctx.values, "kind");
        const res = await ctx.client.describeCompShareBills(
          {
            Limit: intOption(ctx.values, "limit", 20),
            Offset: intOption(ctx.values, "offset", 0),
            ...(since !== undefined ? { BeginTime: since } : {}),
            ...(until !== undefined ? { EndTime: until } : {}),
            ...(resource ? { ResourceId: resource } : {}),
            ...(kind ? { Kind: kind } : {}),
            ...(ctx.values.unpaid === true ? { PayStatus: "Unpaid" as const } : {}),
          },
          ctx.call,
        );
        if (ctx.format === "json" || ctx.values.json === true) {
          ctx.io.stdout.write(jsonLine(res));
          return 0;
        }
        const rows = res.BillSet.map((b) => [
          formatTime(b.CreateTime),
          b.ResourceId || "-",
          b.Kind,
          periodOf(b) || "-",
          money(b.Amount),
          b.PayStatus,
          b.BalanceAfter.toFixed(2),
        ]);
        ctx.io.stdout.write(table(["Time", "Resource", "Kind", "Period", "Amount", "Status", "Balance"], rows));
        ctx.io.stdout.write(`\n${keyValues([["Balance", `${res.Balance.toFixed(2)} CNY`], ["Unpaid", `${res.Unpaid.toFixed(2)} CNY`]])}`);
        if (res.TotalCount > res.BillSet.length) ctx.io.stderr.write(`showing ${res.BillSet.length} of ${res.TotalCount}; see --limit and --offset\n`);
        return 0;
      }),
    },
  ],
};
