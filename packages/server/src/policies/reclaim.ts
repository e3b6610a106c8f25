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
import { stateOf } from "../store/repositories/instances.js";
import { claimPolicyStep, reclaimCandidates, type PolicyInstance } from "../store/repositories/policies.js";
import type { Db, Tx } from "../store/schema.js";
import { billHours, renewDue } from "./ledger.js";
import { billDiskHours, billImageStorage, renewDisks } from "./resource-billing.js";

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

/** The facts of an instance the timeline reads. */
export const factsOf = (inst: PolicyInstance) => ({
  chargeType: inst.chargeType,
  state: inst.state,
  expireTime: inst.expireTime,
  arrearsSince: inst.arrearsSince,
  stopTime: inst.stopTime,
});

/** The instance's plan and its next step (undefined when no timeline applies or every step is taken). */
export function upcoming(inst: PolicyInstance, utcOffsetMin: number): { plan: Plan; next: PlannedStep | undefined } | undefined {
  const plan = planFor(factsOf(inst), utcOffsetMin);
  if (!plan) return undefined;
  return { plan, next: nextStep(plan, inst.policyKey, inst.policyStep) };
}

export class LifecyclePolicies {
  /** The passes of this process run one after the other (the loop's, and an advance of the clock's in testing mode). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly done: PolicyReport = { billed: 0, renewed: 0, steps: 0 };

  constructor(private readonly deps: PolicyDeps) {}

  /**
   * One pass, after any other of this process has ended. Safe on several replicas: each order and
   * each step is claimed in the database.
   */
  pass(): Promise<PolicyReport> {
    const run = this.queue.then(() => this.passNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** What every pass of this process has done so far: an advance of the clock reports what changed. */
  get totals(): PolicyReport {
    return { ...this.done };
  }

  private async passNow(): Promise<PolicyReport> {
    const { db, catalog, clock } = this.deps;
    const billed = (await billHours(db, catalog, clock.now())) + (await billDiskHours(db, catalog, clock.now())) + (await billImageStorage(db, catalog, clock.now(), this.deps.utcOffsetMin));
    const renewed = (await renewDue(db, catalog, clock.now())) + (await renewDisks(db, catalog, clock.now()));
    const steps = await this.takeDueSteps();
    this.done.billed += billed;
    this.done.renewed += renewed;
    this.done.steps += steps;
    return { billed, renewed, steps };
  }

  private async candidates(now: number): Promise<PolicyInstance[]> {
    return reclaimCandidates(this.deps.db, { expiringBy: now + LONGEST_LEAD_MS, hourlyChargeTypes: [...HOURLY_BILLED], stoppedBy: now - 2 * DAY, limit: 500 });
  }

  private async takeDueSteps(): Promise<number> {
    const { clock, utcOffsetMin } = this.deps;
    let taken = 0;
    for (const row of await this.candidates(clock.now())) {
      const plan = planFor(factsOf(row), utcOffsetMin);
      if (!plan) continue;
      let last = { key: row.policyKey, step: row.policyStep };
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
  private async take(row: PolicyInstance, plan: Plan, step: PlannedStep, last: { key: string; step: string }): Promise<boolean> {
    const { engine, log } = this.deps;
    const caller: Caller = { accountId: row.accountId, projectId: row.projectId, requestId: `policy:${plan.key}:${step.step}`, source: "policy", requester: `${plan.timeline}:${step.step}` };
    const params: PolicyStepParams = { policy: "reclaim", timeline: plan.timeline, t0: plan.t0, step: step.step, dueAt: step.at };
    const claim = (tx: Tx): Promise<boolean> => claimPolicyStep(tx, row.id, last, { key: plan.key, step: step.step });
    const claimOrRefuse = async (tx: Tx) => {
      if (!(await claim(tx))) throw new ApiError("InstanceOperationInProgress", `the ${step.step} step of instance ${row.id} was taken by another pass`);
      return { params };
    };

    if (step.step === "stop") {
      const current = await stateOf(this.deps.db, row.id);
      if (current === State.Running || current === State.Unknown) {
        await engine.accept({ action: "StopCompShareInstance", caller, instanceId: row.id, prepare: claimOrRefuse });
        log.warn({ uhost: row.id, timeline: plan.key }, "reclaim policy: service stopped");
        return true;
      }
      // Nothing runs (Stopped, Install Fail): the step is only recorded. A transitional state holds the lock: wait.
      if (current !== undefined && current !== State.Stopped && current !== State.InstallFail) return false;
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
