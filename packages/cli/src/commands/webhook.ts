/**
 * `ocs webhook create URL | list | delete ID | deliveries ID`: the account's webhooks on the
 * event log (an opencompshare extension). The server POSTs each event to the URL, signed with
 * the secret that `create` prints once.
 */
import { EventKinds, type EventKind } from "@opencompshare/protocol";
import { API_OPTIONS, api } from "../api.js";
import { intOption, type Family } from "../command.js";
import { UsageError } from "../io.js";
import { formatTime, jsonLine, keyValues, table } from "../output.js";

const PAGE = {
  limit: { type: "string", value: "N", describe: "at most N (default 20, at most 100)" },
  offset: { type: "string", value: "N", describe: "skip the first N" },
} as const;

/** `--kinds a,b --kinds c` → [a, b, c], each a known kind. */
export function kindsOf(value: string | boolean | string[] | undefined): EventKind[] {
  if (value === undefined || typeof value === "boolean") return [];
  const kinds = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(",")).map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!(EventKinds as readonly string[]).includes(k)) throw new UsageError(`--kinds: unknown event kind ${JSON.stringify(k)}; one of ${EventKinds.join(", ")}`);
  }
  return [...new Set(kinds as EventKind[])];
}

export const family: Family = {
  name: "webhook",
  summary: "the account's webhooks: its events POSTed to a URL, signed (opencompshare extension)",
  commands: [
    {
      name: "create",
      args: "URL",
      minArgs: 1,
      maxArgs: 1,
      summary: "Create a webhook: each new event of the account is POSTed to URL (http or https). Prints the secret once.",
      details:
        "Uses CreateCompShareWebhook, which opencompshare adds to the CompShare API. Deliveries carry X-Ocs-Signature: sha256=HMAC-SHA256(secret, X-Ocs-Timestamp + \".\" + body), in hex. Keep the secret: it is never shown again.",
      options: [
        ["Options", { kinds: { type: "string", multiple: true, value: "KIND,…", describe: `only these kinds (${EventKinds.join(", ")}); default every kind` } }],
        ["Credentials and output", API_OPTIONS],
      ],
      run: api(async (ctx) => {
        const kinds = kindsOf(ctx.values.kinds);
        const res = await ctx.client.createCompShareWebhook({ Url: ctx.args[0] as string, ...(kinds.length > 0 ? { Kinds: kinds } : {}) }, ctx.call);
        if (ctx.format === "json") {
          ctx.io.stdout.write(jsonLine(res));
          return 0;
        }
        ctx.io.stdout.write(keyValues([["WebhookId", res.WebhookId], ["Secret", res.Secret]]));
        ctx.io.stderr.write("keep the secret: it is shown only now, and signs every delivery\n");
        return 0;
      }),
    },
    {
      name: "list",
      maxArgs: 0,
      summary: "List the account's webhooks: URL, kinds, the last event delivered, the last attempt and the next one.",
      details: "Uses DescribeCompShareWebhooks. The secrets are never shown.",
      options: [
        ["Options", PAGE],
        ["Credentials and output", API_OPTIONS],
      ],
      run: api(async (ctx) => {
        const res = await ctx.client.describeCompShareWebhooks({ Limit: intOption(ctx.values, "limit", 20), Offset: intOption(ctx.values, "offset", 0) }, ctx.call);
        if (ctx.format === "json") {
          ctx.io.stdout.write(jsonLine(res));
          return 0;
        }
        const rows = res.WebhookSet.map((w) => [
          w.WebhookId,
          w.Url,
          w.Kinds.length > 0 ? w.Kinds.join(",") : "all",
          w.Status + (w.Attempts > 0 ? ` (${w.Attempts} failed)` : ""),
          String(w.Cursor),
          w.LastStatus ? `${w.LastStatus} ${formatTime(w.LastAttemptTime)}` : "",
          formatTime(w.NextAttemptTime),
        ]);
        ctx.io.stdout.write(table(["WebhookId", "Url", "Kinds", "Status", "Cursor", "Last", "Next"], rows));
        if (res.TotalCount > res.WebhookSet.length) ctx.io.stderr.write(`showing ${res.WebhookSet.length} of ${res.TotalCount}; see --limit and --offset\n`);
        return 0;
      }),
    },
    {
      name: "delete",
      args: "ID",
      minArgs: 1,
      maxArgs: 1,
      summary: "Delete a webhook and its delivery log; nothing more is sent to it.",
      details: "Uses DeleteCompShareWebhook.",
      options: [["Credentials and output", API_OPTIONS]],
      run: api(async (ctx) => {
        const res = await ctx.client.deleteCompShareWebhook({ WebhookId: ctx.args[0] as string }, ctx.call);
        ctx.io.stdout.write(ctx.format === "json" ? jsonLine(res) : `${res.WebhookId}\tdeleted\n`);
        return 0;
      }),
    },
    {
      name: "deliveries",
      args: "ID",
      minArgs: 1,
      maxArgs: 1,
      summary: "The delivery attempts of a webhook, newest first: event, attempt, HTTP status or error, duration.",
      details: "Uses DescribeCompShareWebhookDeliveries. A `reset` line is the cursor skipping events past retention.",
      options: [
        ["Options", PAGE],
        ["Credentials and output", API_OPTIONS],
      ],
      run: api(async (ctx) => {
        const res = await ctx.client.describeCompShareWebhookDeliveries(
          { WebhookId: ctx.args[0] as string, Limit: intOption(ctx.values, "limit", 20), Offset: intOption(ctx.values, "offset", 0) },
          ctx.call,
        );
        if (ctx.format === "json") {
          ctx.io.stdout.write(jsonLine(res));
          return 0;
        }
        const rows = res.DeliverySet.map((d) => [
          formatTime(d.Time),
          String(d.EventId),
          d.Outcome,
          String(d.Attempt),
          d.StatusCode ? String(d.StatusCode) : "",
          `${d.Duration}ms`,
          d.Error,
        ]);
        ctx.io.stdout.write(table(["Time", "EventId", "Outcome", "Attempt", "Status", "Took", "Error"], rows));
        if (res.TotalCount > res.DeliverySet.length) ctx.io.stderr.write(`showing ${res.DeliverySet.length} of ${res.TotalCount}; see --limit and --offset\n`);
        return 0;
      }),
    },
  ],
};
