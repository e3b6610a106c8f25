/**
 * The lifecycle policies' pass: bill the hours of pay-as-you-go instances, renew prepaid ones
 * from the balance, then take every reclaim step that has fallen due (domain/reclaim-timeline.ts).
 *
 * A step is an operation in the instance's history. Notices and warnings are recorded as done;
 * the stop and the reclaim go through the operation engine under the instance lock, so they
 * obey the same guard as a user's request: a step that finds the instance locked (or busy with
 * a task or an image) waits for a later pass, and never breaks the lock. Each step is claimed by
 * a compare-and-set on the instance's (policy_key, policy_step) in the same transaction that
 * records it, so on several replicas, and across a crash, a step is taken once.
 */
import { ApiError, State } from "@opencompshare/protocol";
import type { Logger } from "pino";
import type { Catalog } from "../catalog/catalog.js";
import type { Clock } from "../clock.js";
import { HOURLY_BILLED, LONGEST_LEAD_MS, nextStep, planFor, type Plan, type PlannedStep } from "../domain/reclaim-timeline.js";
import type { Caller, Engine } from "../operations/engine.js";
import type { Db, InstanceRow, Tx } from "../store/schema.js";
import { billHours, renewDue } from "./ledger.js";

const DAY = 86_400_000;

export interface PolicyDeps {
  db: Db;
  clock: Clock;
  engine: Engine;
  catalog: Catalog;
  log: Logger;
  utcOffsetMin: number;
}

export interface PolicyReport {
  billed: number;
  renewed: number;
  steps: number;
}

/** What a policy step records in the operation's parameters. */
export interface PolicyStepParams {
  policy: "reclaim";
  timeline: Plan["timeline"];
  t0: number;
  step: PlannedStep["step"];
  dueAt: number;
  /** For the reclaim step: data disks are detached and kept. */
  releaseDisks?: false;
}

export const NOTICE_ACTION = "ReclaimPolicyNotice";

/** The facts of a row the timeline reads. */
export const factsOf = (row: InstanceRow) => ({
  chargeType: row.charge_type,
  state: row.state,
  expireTime: Number(row.expire_time),
  arrearsSince: Number(row.arrears_since),
  stopTime: Number(row.stop_time),
});

/** The instance's plan and its next step (undefined when no timeline applies or every step is taken). */
export function upcoming(row: InstanceRow, utcOffsetMin: number): { plan: Plan; next: PlannedStep | undefined } | undefined {
  const plan = planFor(factsOf(row), utcOffsetMin);
  if (!plan) return undefined;
  return { plan, next: nextStep(plan, row.policy_key, row.policy_step) };
}

export class LifecyclePolicies {
  constructor(private readonly deps: PolicyDeps) {}

  /** One pass. Safe to run concurrently with itself and on several replicas. */
  async pass(): Promise<PolicyReport> {
    const { db, catalog, clock } = this.deps;
    const billed = await billHours(db, catalog, clock.now());
    const renewed = await renewDue(db, catalog, clock.now());
    const steps = await this.takeDueSteps();
    return { billed, renewed, steps };
  }

  private async candidates(now: number): Promise<InstanceRow[]> {
    return this.deps.db
      .selectFrom("instances")
      .selectAll()
      .where("recycling", "=", 0)
      .where((eb) =>
        eb.or([
          eb("arrears_since", ">", 0),
          eb.and([eb("expire_time", ">", 0), eb("expire_time", "<=", now + LONGEST_LEAD_MS)]),
          eb.and([
            eb("charge_type", "in", [...HOURLY_BILLED]),
            eb("state", "=", State.Stopped),
            eb("stop_time", ">", 0),
            eb("stop_time", "<=", now - 2 * DAY),
          ]),
        ]),
      )
      .orderBy("id")
      .limit(500)
      .execute();
  }

  private async takeDueSteps(): Promise<number> {
    const { clock, utcOffsetMin } = this.deps;
    let taken = 0;
    for (const row of await this.candidates(clock.now())) {
      const plan = planFor(factsOf(row), utcOffsetMin);
      if (!plan) continue;
      let last = { key: row.policy_key, step: row.policy_step };
      for (let next = nextStep(plan, last.key, last.step); next && next.at <= clock.now(); next = nextStep(plan, last.key, last.step)) {
        const done = await this.take(row, plan, next, last).catch((error: unknown) => {
          if (error instanceof ApiError) {
            // Locked, busy, or claimed by another replica: a later pass looks again.
            this.deps.log.debug({ uhost: row.id, step: next?.step, reason: error.message }, "reclaim step waits");
            return false;
          }
          throw error;
        });
        if (!done) break;
        taken++;
        last = { key: plan.key, step: next.step };
      }
    }
    return taken;
  }

  /** Takes one step; false when it must wait. */
  private async take(row: InstanceRow, plan: Plan, step: PlannedStep, last: { key: string; step: string }): Promise<boolean> {
    const { engine, log } = this.deps;
    const caller: Caller = { accountId: row.account_id, projectId: row.project_id, requestId: `policy:${plan.key}:${step.step}`, source: "policy", requester: `${plan.timeline}:${step.step}` };
    const params: PolicyStepParams = { policy: "reclaim", timeline: plan.timeline, t0: plan.t0, step: step.step, dueAt: step.at };
    const claim = async (tx: Tx): Promise<boolean> => {
      const done = await tx
        .updateTable("instances")
        .set({ policy_key: plan.key, policy_step: step.step })
        .where("id", "=", row.id)
        .where("policy_key", "=", last.key)
        .where("policy_step", "=", last.step)
        .executeTakeFirst();
      return Number(done.numUpdatedRows) === 1;
    };
    const claimOrRefuse = async (tx: Tx) => {
      if (!(await claim(tx))) throw new ApiError("InstanceOperationInProgress", `the ${step.step} step of instance ${row.id} was taken by another pass`);
      return { params };
    };

    if (step.step === "stop") {
      const current = await this.deps.db.selectFrom("instances").select("state").where("id", "=", row.id).executeTakeFirst();
      if (current?.state === State.Running || current?.state === State.Unknown) {
        await engine.accept({ action: "StopCompShareInstance", caller, instanceId: row.id, prepare: claimOrRefuse });
        log.warn({ uhost: row.id, timeline: plan.key }, "reclaim policy: service stopped");
        return true;
      }
      // Nothing runs (Stopped, Install Fail): the step is only recorded. A transitional state holds the lock: wait.
      if (current && current.state !== State.Stopped && current.state !== State.InstallFail) return false;
    } else if (step.step === "reclaim") {
      await engine.accept({
        action: "ReclaimCompShareInstance",
        caller,
        instanceId: row.id,
        prepare: async (tx) => {
          await claimOrRefuse(tx);
          return { params: { ...params, releaseDisks: false } };
        },
      });
      log.warn({ uhost: row.id, timeline: plan.key }, "reclaim policy: instance reclaimed");
      return true;
    }
    const id = await engine.note({ action: NOTICE_ACTION, caller, instanceId: row.id, step: step.step, params, claim });
    return id !== undefined;
  }
}
