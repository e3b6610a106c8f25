/**
 * The account's bills: every charge and credit of its ledger (pay-as-you-go hours, prepaid
 * periods and renewals, refunds, disks, image storage, top-ups). This project's extension to
 * the CompShare API; CompShare shows bills only in its web console.
 */
import { t, type Infer } from "../schema.js";
import { defineAction, limit, offset, optionalScope } from "./contract.js";

/** A bill's payment status, as answered and as the `PayStatus` filter takes it. */
export const PayStatuses = ["Paid", "Unpaid"] as const;
export type PayStatus = (typeof PayStatuses)[number];

export const BillModel = t.object({
  /** The ledger entry's id: deterministic for orders (`hour:<UHostId>:<ms>`), unique for top-ups. */
  BillId: t.string(),
  /** When the entry was written, Unix seconds. */
  CreateTime: t.int(),
  /** The instance, disk (`bsi-…`) or image (`compshareImage-…`) billed; empty for the account's own entries (top-ups). */
  ResourceId: t.string(),
  /** `Instance`, `Disk`, `Image`, or `Account` for entries of no resource (top-ups, a balance set). */
  ResourceType: t.string(),
  /** The ledger's kind: `hour`, `idle`, `buy`, `renew`, `refund`, `disk`, `storage`, `opening`, `topup`, `set`, … */
  Kind: t.string(),
  /** The period billed, Unix seconds; both are CreateTime for a top-up. */
  BeginTime: t.int(),
  EndTime: t.int(),
  /** CNY: negative for a charge, positive for a credit (a top-up, a refund). */
  Amount: t.float(),
  /** `Paid`, or `Unpaid` while the balance did not cover it (arrears). */
  PayStatus: t.string(),
  /** When it was paid, Unix seconds; 0 while unpaid. */
  PayTime: t.int(),
  /** The balance right after the entry was written, or paid, CNY. */
  BalanceAfter: t.float(),
  Remark: t.string(),
});

/** A bill as answered: the console and the tests read this type, not a copy of it. */
export type Bill = Infer<typeof BillModel>;

export const DescribeCompShareBills = defineAction({
  name: "DescribeCompShareBills",
  family: "bills",
  summary:
    "Extension: the account's bills, newest first: each charge (pay-as-you-go hours, prepaid periods, disks, image storage) and credit (top-ups, refunds) of its ledger, paid or unpaid, with the account's balance and what it owes. Filters: a time range of CreateTime, a resource, a kind, a payment status.",
  idempotent: true,
  extension: true,
  request: t.object({
    ...optionalScope,
    Offset: offset(),
    Limit: limit(),
    /** Unix seconds: bills written at or after BeginTime and before EndTime. */
    BeginTime: t.optional(t.int({ min: 0 })),
    EndTime: t.optional(t.int({ min: 0 })),
    // Lenient filters: a value no bill has matches nothing.
    ResourceId: t.optional(t.string({ maxLength: 64 })),
    Kind: t.optional(t.string({ maxLength: 32 })),
    PayStatus: t.optional(t.string({ enum: PayStatuses })),
  }),
  response: t.object({
    TotalCount: t.int(),
    BillSet: t.array(BillModel, { max: 100 }),
    /** The account's balance, CNY. */
    Balance: t.float(),
    /** What the account's unpaid bills add up to, CNY (a positive number). */
    Unpaid: t.float(),
  }),
});
