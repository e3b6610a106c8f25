/**
 * `ocs events --follow`: the account's events as they happen (an opencompshare extension,
 * `GET /events`): instance states, operation steps, locks, policy notices. It reconnects by
 * itself and resumes where it was; ^C ends it.
 */
import type { InstanceEvent, StreamItem } from "@opencompshare/sdk";
import { API_OPTIONS, api } from "../api.js";
import { intOption, type Family } from "../command.js";
import { UsageError } from "../io.js";
import { formatTime, jsonLine } from "../output.js";

/** What an event says, past its kind and instance: `Running (was Rebooting)`, `RebootCompShareInstance hard`. */
export function detailsOf(e: InstanceEvent): string {
  const parts: string[] = [];
  if (e.State) parts.push(e.PreviousState ? `${e.State} (was ${e.PreviousState})` : e.State);
  if (e.Action) parts.push(e.Action);
  if (e.Phase) parts.push(e.Phase);
  if (e.Step) parts.push(e.Step);
  if (e.RetCode) parts.push(`${e.RetCode}: ${e.Message ?? ""}`);
  if (e.ExpireTime) parts.push(`until ${formatTime(e.ExpireTime)}`);
  if (e.OperationId && !e.Action) parts.push(e.OperationId);
  return parts.join(" ");
}

function line(item: StreamItem): string {
  if (item.Kind === "reset") {
    return `reset: the events up to ${item.PrunedThrough} are past retention; re-read the state (ocs instance list); going on after ${item.ResumeAfter}\n`;
  }
  return `${item.EventId}\t${formatTime(item.Time)}\t${item.Kind}\t${item.UHostId}\t${detailsOf(item)}\n`;
}

export const family: Family = {
  name: "events",
  summary: "the account's events as they happen (opencompshare extension)",
  commands: [
    {
      name: "",
      summary: "Follow the account's events: instance states, operation steps, locks, policy notices.",
      details:
        "Streams GET /events, which opencompshare adds to the CompShare API. A dropped connection is made again and resumes after the last event shown. ^C ends it.",
      maxArgs: 0,
      options: [
        [
          "Options",
          {
            follow: { type: "boolean", short: "f", describe: "follow the stream (required: events are a stream)" },
            after: { type: "string", value: "ID", describe: "start after event ID (from an earlier run; 0: everything kept), default now" },
            uhost: { type: "string", value: "UHOSTID", describe: "only this instance's events" },
            count: { type: "string", value: "N", describe: "stop after N events" },
          },
        ],
        ["Credentials and output", API_OPTIONS],
      ],
      run: api(async (ctx) => {
        if (ctx.values.follow !== true) throw new UsageError("events are a stream: pass --follow (and --count N to stop after N)");
        const after = ctx.values.after === undefined ? undefined : intOption(ctx.values, "after", 0);
        const count = ctx.values.count === undefined ? undefined : intOption(ctx.values, "count", 1, 1);
        const uhost = typeof ctx.values.uhost === "string" ? ctx.values.uhost : undefined;
        let seen = 0;
        for await (const item of ctx.client.events({ after, uhostId: uhost, signal: ctx.signal })) {
          ctx.io.stdout.write(ctx.format === "json" ? jsonLine(item) : line(item));
          if (item.Kind !== "reset" && count !== undefined && ++seen >= count) break;
        }
        return 0;
      }),
    },
  ],
};
