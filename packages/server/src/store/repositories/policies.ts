/**
 * The reclaim timeline's marks on an instance (`policy_key`, `policy_step`) and the instances a
 * policy pass looks at: the one place they are queried. Rows leave as records; which timeline
 * applies and which step is due is decided in `domain/reclaim-timeline.ts` and
 * `policies/reclaim.ts`.
 */
import { State } from "@opencompshare/protocol";
import type { Executor, InstanceRow } from "../schema.js";

/** What the reclaim timeline reads of an instance, and where it stands on it. */
export interface PolicyInstance {
  id: string;
  accountId: string;
  projectId: string;
  chargeType: string;
  autoRenew: string;
  state: string;
  /** Prepaid: the end of the paid period (0: none). */
  expireTime: number;
  /** Pay-as-you-go: the first unpaid order (0: nothing unpaid). */
  arrearsSince: number;
  stopTime: number;
  /** The timeline run the last step was taken on (`arrears:<t0>`, `expiry:<t0>`, `stopped:<t0>`), and that step ('' for none). */
  policyKey: string;
  policyStep: string;
}

/** An instance row as the policies read it (also for a row the handlers read through the instances repository). */
export const policyInstanceOf = (r: InstanceRow): PolicyInstance => ({
  id: r.id,
  accountId: r.account_id,
  projectId: r.project_id,
  chargeType: r.charge_type,
  autoRenew: r.auto_renew,
  state: r.state,
  expireTime: Number(r.expire_time),
  arrearsSince: Number(r.arrears_since),
  stopTime: Number(r.stop_time),
  policyKey: r.policy_key,
  policyStep: r.policy_step,
});

/** Which instances may have a reclaim step due. */
export interface CandidateQuery {
  /** A prepaid period ending by then (a step may come before t0). */
  expiringBy: number;
  /** Charge types billed by the hour. */
  hourlyChargeTypes: readonly string[];
  /** A pay-as-you-go instance stopped since then. */
  stoppedBy: number;
  limit: number;
}

/**
 * Instances not being reclaimed that are in arrears, or whose prepaid period ends by
 * `expiringBy`, or billed by the hour and Stopped since `stoppedBy`; in id order.
 */
export async function reclaimCandidates(db: Executor, q: CandidateQuery): Promise<PolicyInstance[]> {
  const rows = await db
    .selectFrom("instances")
    .selectAll()
    .where("recycling", "=", 0)
    .where((eb) =>
      eb.or([
        eb("arrears_since", ">", 0),
        eb.and([eb("expire_time", ">", 0), eb("expire_time", "<=", q.expiringBy)]),
        eb.and([
          eb("charge_type", "in", [...q.hourlyChargeTypes]),
          eb("state", "=", State.Stopped),
          eb("stop_time", ">", 0),
          eb("stop_time", "<=", q.stoppedBy),
        ]),
      ]),
    )
    .orderBy("id")
    .limit(q.limit)
    .execute();
  return rows.map(policyInstanceOf);
}

/** Claims a step: the instance's mark moves from `last` to `next` only if it still is `last`, so a step is taken once. */
export async function claimPolicyStep(tx: Executor, id: string, last: { key: string; step: string }, next: { key: string; step: string }): Promise<boolean> {
  const done = await tx
    .updateTable("instances")
    .set({ policy_key: next.key, policy_step: next.step })
    .where("id", "=", id)
    .where("policy_key", "=", last.key)
    .where("policy_step", "=", last.step)
    .executeTakeFirst();
  return Number(done.numUpdatedRows) === 1;
}
