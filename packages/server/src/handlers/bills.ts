/** Handler of our extension: the account's bills, read from its ledger. */
import { commonErrors, type PayStatus } from "@opencompshare/protocol";
import { toCny } from "../policies/ledger.js";
import { balanceCents, listBills, unpaidCents, type LedgerEntry } from "../store/repositories/ledger.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { pageOf } from "./instances.js";

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** What a resource id names, by its prefix. */
const PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ["uhost-", "Instance"],
  ["bsi-", "Disk"],
  ["compshareImage-", "Image"],
];

/** What an entry of each kind bills when its resource id says nothing (no id, or an unknown prefix). */
const KIND_RESOURCE: Readonly<Record<string, string>> = {
  hour: "Instance",
  renew: "Instance",
  buy: "Instance",
  refund: "Instance",
  idle: "Instance",
  "system-disk": "Instance",
  image: "Instance",
  disk: "Disk",
  storage: "Image",
};

/** `Instance`, `Disk`, `Image`, or `Account` for an entry of no resource (a top-up, a balance set, a kind not known here). */
export function resourceTypeOf(kind: string, resourceId: string): string {
  const byPrefix = PREFIXES.find(([prefix]) => resourceId.startsWith(prefix));
  if (byPrefix) return byPrefix[1];
  return (Object.hasOwn(KIND_RESOURCE, kind) ? KIND_RESOURCE[kind] : undefined) ?? (resourceId ? "Other" : "Account");
}

const payStatusOf = (status: string): string => (status === "unpaid" ? "Unpaid" : status === "paid" ? "Paid" : status);

export function toBillModel(e: LedgerEntry) {
  // An entry of the account as a whole (image storage is billed per account) names no resource.
  const resourceId = e.instanceId === null || e.instanceId === e.accountId ? "" : e.instanceId;
  return {
    BillId: e.id,
    CreateTime: seconds(e.createdAt),
    ResourceId: resourceId,
    ResourceType: resourceTypeOf(e.kind, resourceId),
    Kind: e.kind,
    BeginTime: seconds(e.periodStart),
    EndTime: seconds(e.periodEnd),
    Amount: toCny(e.amountCents),
    PayStatus: payStatusOf(e.status),
    PayTime: e.paidAt === null ? 0 : seconds(e.paidAt),
    BalanceAfter: toCny(e.balanceAfterCents),
    Remark: e.note,
  };
}

const STORED_STATUS: Readonly<Record<PayStatus, "paid" | "unpaid">> = { Paid: "paid", Unpaid: "unpaid" };

export const billHandlers: HandlerMap<ActionsOf<"bills">> = {
  async DescribeCompShareBills(ctx, req) {
    const { db } = ctx.services;
    const accountId = ctx.caller.accountId;
    if (req.BeginTime !== undefined && req.EndTime !== undefined && req.EndTime <= req.BeginTime) {
      throw commonErrors.invalidParam("EndTime", `EndTime (${req.EndTime}) must be after BeginTime (${req.BeginTime})`);
    }
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    const { rows, total } = await listBills(
      db,
      {
        accountId,
        ...(req.BeginTime !== undefined ? { from: req.BeginTime * 1000 } : {}),
        ...(req.EndTime !== undefined ? { to: req.EndTime * 1000 } : {}),
        ...(req.ResourceId ? { resourceId: req.ResourceId } : {}),
        ...(req.Kind ? { kind: req.Kind } : {}),
        ...(req.PayStatus ? { status: STORED_STATUS[req.PayStatus] } : {}),
      },
      offset,
      limit,
    );
    return {
      TotalCount: total,
      BillSet: rows.map(toBillModel),
      Balance: toCny(await balanceCents(db, accountId)),
      Unpaid: toCny(await unpaidCents(db, { accountId })),
    };
  },
};
