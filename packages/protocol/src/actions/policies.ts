/** The lifecycle policies (balance, reclaim timeline): this project's extension to the CompShare API. */
import { t } from "../schema.js";
import { defineAction, onInstanceAnyZone } from "./contract.js";

export const DescribeCompShareInstancePolicy = defineAction({
  name: "DescribeCompShareInstancePolicy",
  family: "policies",
  summary:
    "Extension: where the instance stands with the lifecycle policies: the account's balance, what is unpaid, the reclaim timeline it is on (arrears, expiry or stopped), the last step taken and the next one with its time.",
  idempotent: true,
  extension: true,
  request: t.object(onInstanceAnyZone),
  response: t.object({
    UHostId: t.string(),
    ChargeType: t.string(),
    AutoRenew: t.string(),
    Balance: t.float(),
    UnpaidAmount: t.float(),
    ExpireTime: t.int(),
    ArrearsSince: t.int(),
    Timeline: t.string(),
    TimelineStart: t.int(),
    LastStep: t.string(),
    NextStep: t.string(),
    NextStepTime: t.int(),
  }),
});
