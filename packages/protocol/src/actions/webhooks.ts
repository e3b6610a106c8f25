/**
 * Webhooks on the event log: this project's extension to the CompShare API. The server POSTs
 * each event of the account (the same JSON as the stream's `data`) to the webhook's URL, signed
 * with its secret, in order and at least once (docs/events.md, Webhooks).
 */
import { EventKinds } from "../events.js";
import { t } from "../schema.js";
import { defineAction, limit, offset } from "./contract.js";

/** The headers of a webhook delivery. */
export const WEBHOOK_HEADERS = {
  eventId: "X-Ocs-Event-Id",
  eventKind: "X-Ocs-Event-Kind",
  webhookId: "X-Ocs-Webhook-Id",
  timestamp: "X-Ocs-Timestamp",
  /** `sha256=` and the hex HMAC-SHA256 under the secret of `<timestamp>.<body>`. */
  signature: "X-Ocs-Signature",
} as const;

export const webhookId = () => t.string({ maxLength: 64, pattern: /^whk-[0-9a-z]{1,60}$/ });

export const WebhookModel = t.object({
  WebhookId: t.string(),
  Url: t.string(),
  /** The kinds delivered; empty: every kind. */
  Kinds: t.array(t.string(), { max: 64 }),
  /** `Active`, or `Retrying` while the event after the cursor keeps failing. */
  Status: t.string(),
  /** Unix seconds. */
  CreateTime: t.int(),
  /** The last event delivered (or passed over); the next one delivered comes after it. */
  Cursor: t.int(),
  /** What the last attempt got: an HTTP status (`200`, `500`), `timeout`, `error`, `reset`; empty before any. */
  LastStatus: t.string(),
  /** Unix seconds; 0 before any attempt. */
  LastAttemptTime: t.int(),
  /** Failed attempts at the next event since the last success. */
  Attempts: t.int(),
  /** Unix seconds: the next attempt after a failure waits until then; 0 when not waiting. */
  NextAttemptTime: t.int(),
});

export const WebhookDeliveryModel = t.object({
  WebhookId: t.string(),
  EventId: t.int(),
  /** `delivered` (2xx), `failed`, or `reset`: the cursor skipped events past retention. */
  Outcome: t.string(),
  /** 1 for the first attempt at the event, then 2, 3, … */
  Attempt: t.int(),
  /** The HTTP status answered; 0 when none came (timeout, connection refused). */
  StatusCode: t.int(),
  Error: t.string(),
  /** Milliseconds the attempt took. */
  Duration: t.int(),
  /** Unix seconds. */
  Time: t.int(),
});

export const CreateCompShareWebhook = defineAction({
  name: "CreateCompShareWebhook",
  family: "webhooks",
  summary:
    "Extension: a webhook of the account. The server POSTs each new event of the account to Url (http or https), signed with the Secret answered here and never again. Kinds narrows the events; without it, every kind.",
  idempotent: false,
  extension: true,
  request: t.object({
    Url: t.string({ maxLength: 2048 }),
    Kinds: t.optional(t.array(t.string({ enum: EventKinds }), { max: EventKinds.length, single: true })),
  }),
  response: t.object({ WebhookId: t.string(), Secret: t.string() }),
});

export const DescribeCompShareWebhooks = defineAction({
  name: "DescribeCompShareWebhooks",
  family: "webhooks",
  summary: "Extension: the account's webhooks, oldest first: URL, kinds, cursor, the last attempt and the next one. Never the secret.",
  idempotent: true,
  extension: true,
  request: t.object({ WebhookId: t.optional(webhookId()), Offset: offset(), Limit: limit() }),
  response: t.object({ TotalCount: t.int(), WebhookSet: t.array(WebhookModel, { max: 100 }) }),
});

export const DeleteCompShareWebhook = defineAction({
  name: "DeleteCompShareWebhook",
  family: "webhooks",
  summary: "Extension: deletes a webhook of the account and its delivery log; nothing more is delivered to it.",
  idempotent: true,
  extension: true,
  request: t.object({ WebhookId: webhookId() }),
  response: t.object({ WebhookId: t.string() }),
});

export const DescribeCompShareWebhookDeliveries = defineAction({
  name: "DescribeCompShareWebhookDeliveries",
  family: "webhooks",
  summary: "Extension: the delivery attempts of a webhook, newest first: event, attempt, HTTP status or error, duration.",
  idempotent: true,
  extension: true,
  request: t.object({ WebhookId: webhookId(), Offset: offset(), Limit: limit() }),
  response: t.object({ TotalCount: t.int(), DeliverySet: t.array(WebhookDeliveryModel, { max: 100 }) }),
});
