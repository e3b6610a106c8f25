/**
 * The ledger's invariants, for operators (`ocs balance audit`) and the chaos soak: every
 * account's balance equals the sum of its paid entries, and every prepaid instance was bought (it
 * has a `buy` entry). A non-empty answer is a defect: money moved without its entry, or an
 * instance was made without its charge.
 */
import { PREPAID } from "../catalog/pricing.js";
import * as repo from "../store/repositories/ledger.js";
import type { Executor } from "../store/schema.js";

export interface LedgerAudit {
  accounts: number;
  /** Accounts whose balance is not the sum of their paid entries (fen). */
  unbalanced: Array<{ accountId: string; balanceCents: number; paidSumCents: number }>;
  /** Prepaid instances without a purchase entry. */
  unbought: string[];
}

export async function auditLedger(db: Executor): Promise<LedgerAudit> {
  const sums = await repo.balancesAndPaidSums(db);
  return {
    accounts: sums.length,
    unbalanced: sums.filter((a) => a.balanceCents !== a.paidSumCents),
    unbought: await repo.prepaidWithoutPurchase(db, [...PREPAID]),
  };
}
