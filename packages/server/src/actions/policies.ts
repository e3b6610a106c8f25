/** Handler of our extension: where an instance stands with the lifecycle policies. */
import { balanceCents, toCny, unpaidCents } from "../policies/ledger.js";
import { upcoming } from "../policies/reclaim.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { ownedOrNotFound } from "./instances.js";

const seconds = (ms: number): number => Math.floor(ms / 1000);

export const policyHandlers: HandlerMap<ActionsOf<"policies">> = {
  async DescribeCompShareInstancePolicy(ctx, req) {
    const { db, policy } = ctx.services;
    const inst = await ownedOrNotFound(ctx, req.UHostId);
    const where = upcoming(inst, policy.utcOffsetMin);
    const onThisRun = where !== undefined && inst.policy_key === where.plan.key;
    return {
      UHostId: inst.id,
      ChargeType: inst.charge_type,
      AutoRenew: inst.auto_renew,
      Balance: toCny(await balanceCents(db, inst.account_id)),
      UnpaidAmount: toCny(await unpaidCents(db, { instanceId: inst.id })),
      ExpireTime: seconds(Number(inst.expire_time)),
      ArrearsSince: seconds(Number(inst.arrears_since)),
      Timeline: where?.plan.timeline ?? "",
      TimelineStart: where ? seconds(where.plan.t0) : 0,
      LastStep: onThisRun ? inst.policy_step : "",
      NextStep: where?.next?.step ?? "",
      NextStepTime: where?.next ? seconds(where.next.at) : 0,
    };
  },
};
