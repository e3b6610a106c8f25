/** Handlers of our extension: the account's webhooks on the event log (events/webhooks.ts delivers). */
import { randomBytes } from "node:crypto";
import { commonErrors, type EventKind } from "@opencompshare/protocol";
import { newWebhookSecret } from "../events/webhooks.js";
import { lastEventId } from "../store/repositories/events.js";
import { countWebhooks, deleteWebhook, findWebhook, insertWebhook, listDeliveries, listWebhooks, type WebhookRecord } from "../store/repositories/webhooks.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { pageOf } from "./instances.js";

/** Webhooks one account may have. */
export const WEBHOOKS_PER_ACCOUNT = 20;

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** An http or https URL with a host and no credentials in it; the reason otherwise. */
export function checkWebhookUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not a URL; give an absolute http:// or https:// URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `only http and https URLs are accepted, not ${url.protocol.slice(0, -1)}`;
  if (!url.hostname) return "the URL has no host";
  if (url.username || url.password) return "the URL must not carry a user name or password; check X-Ocs-Signature instead";
  if (url.hash) return "the URL must not have a #fragment";
  return undefined;
}

function toModel(w: WebhookRecord) {
  return {
    WebhookId: w.id,
    Url: w.url,
    Kinds: w.kinds,
    Status: w.attempts > 0 ? "Retrying" : "Active",
    CreateTime: seconds(w.createdAt),
    Cursor: w.cursor,
    LastStatus: w.lastStatus,
    LastAttemptTime: seconds(w.lastAttemptAt),
    Attempts: w.attempts,
    NextAttemptTime: w.attempts > 0 ? seconds(w.nextAttemptAt) : 0,
  };
}

const noSuchWebhook = (id: string) => commonErrors.invalidParam("WebhookId", `the account has no webhook ${id}`);

export const webhookHandlers: HandlerMap<ActionsOf<"webhooks">> = {
  async CreateCompShareWebhook(ctx, req) {
    const { db, clock, sealer } = ctx.services;
    const url = req.Url.trim();
    const why = checkWebhookUrl(url);
    if (why) throw commonErrors.invalidParam("Url", why);
    if ((await countWebhooks(db, ctx.caller.accountId)) >= WEBHOOKS_PER_ACCOUNT) {
      throw commonErrors.invalidParam("Url", `an account has at most ${WEBHOOKS_PER_ACCOUNT} webhooks; delete one first`);
    }
    const kinds = [...new Set<EventKind>(req.Kinds ?? [])];
    const secret = newWebhookSecret();
    const id = `whk-${randomBytes(8).toString("hex")}`;
    // It starts now: the events written before it are not sent to it.
    await insertWebhook(db, { id, accountId: ctx.caller.accountId, url, secretSealed: sealer.seal(secret), kinds, cursor: await lastEventId(db), at: clock.now() });
    return { WebhookId: id, Secret: secret };
  },

  async DescribeCompShareWebhooks(ctx, req) {
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    const { rows, total } = await listWebhooks(ctx.services.db, ctx.caller.accountId, req.WebhookId, offset, limit);
    if (req.WebhookId !== undefined && total === 0) throw noSuchWebhook(req.WebhookId);
    return { TotalCount: total, WebhookSet: rows.map(toModel) };
  },

  async DeleteCompShareWebhook(ctx, req) {
    if (!(await deleteWebhook(ctx.services.db, ctx.caller.accountId, req.WebhookId))) throw noSuchWebhook(req.WebhookId);
    return { WebhookId: req.WebhookId };
  },

  async DescribeCompShareWebhookDeliveries(ctx, req) {
    const { db } = ctx.services;
    if (!(await findWebhook(db, ctx.caller.accountId, req.WebhookId))) throw noSuchWebhook(req.WebhookId);
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    const { rows, total } = await listDeliveries(db, req.WebhookId, offset, limit);
    return {
      TotalCount: total,
      DeliverySet: rows.map((d) => ({
        WebhookId: d.webhookId,
        EventId: d.eventId,
        Outcome: d.outcome,
        Attempt: d.attempt,
        StatusCode: d.statusCode,
        Error: d.error,
        Duration: d.durationMs,
        Time: seconds(d.at),
      })),
    };
  },
};
