/** Handler of our extension: where an instance stands with the lifecycle policies. */
import { toCny } from "../policies/ledger.js";
import { upcoming } from "../policies/reclaim.js";
import { balanceCents, unpaidCents } from "../store/repositories/ledger.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { ownedOrNotFound } from "./instances.js";

const seconds = (ms: number): number => Math.floor(ms / 1000);

export const policyHandlers: HandlerMap<ActionsOf<"policies">> = {
  async DescribeCompShareInstancePolicy(ctx, req) {
    const { db, policy } = ctx.services;
    const inst = await ownedOrNotFound(ctx, req.UHostId);
    const where = upcoming(inst, policy.utcOffsetMin);
    const onThisRun = where !== undefined && inst.policyKey === where.plan.key;
    return {
      UHostId: inst.id,
      ChargeType: inst.chargeType,
      AutoRenew: inst.autoRenew,
      Balance: toCny(await balanceCents(db, inst.accountId)),
      UnpaidAmount: toCny(await unpaidCents(db, { instanceId: inst.id })),
      ExpireTime: seconds(inst.expireTime),
      ArrearsSince: seconds(inst.arrearsSince),
      Timeline: where?.plan.timeline ?? "",
      TimelineStart: where ? seconds(where.plan.t0) : 0,
      LastStep: onThisRun ? inst.policyStep : "",
      NextStep: where?.next?.step ?? "",
      NextStepTime: where?.next ? seconds(where.next.at) : 0,
    };
  },
};
