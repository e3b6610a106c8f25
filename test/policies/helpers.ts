/** Helpers of the policy tests: an instance's policy view, its history, and walking a timeline on the ManualClock. */
import assert from "node:assert/strict";
import { withAdmin } from "@opencompshare/server";
import { settle } from "@opencompshare/server/testing";
import type { Keys } from "../helpers/client.js";
import { CREATE, REGION, type TestServer } from "../helpers/server.js";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const CST = 480;

export interface PolicyView {
  RetCode: number;
  Balance: number;
  UnpaidAmount: number;
  ExpireTime: number;
  ArrearsSince: number;
  Timeline: string;
  TimelineStart: number;
  LastStep: string;
  NextStep: string;
  NextStepTime: number;
}

export interface OpView {
  Action: string;
  Status: string;
  RequestId: string;
  Phase: string;
  Recovered: boolean;
  StartTime: number;
}

export async function policyOf(s: TestServer, id: string): Promise<PolicyView> {
  const res = await s.call("DescribeCompShareInstancePolicy", { ...REGION, UHostId: id });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return res.body as unknown as PolicyView;
}

export async function historyOf(s: TestServer, id: string): Promise<OpView[]> {
  const res = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id, Limit: 100 });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return (res.body.OperationSet as OpView[]).slice().reverse();
}

/** The policy steps in the history, oldest first: the step names from the request ids (`policy:<key>:<step>`). */
export async function stepsOf(s: TestServer, id: string): Promise<string[]> {
  const steps = (await historyOf(s, id)).filter((o) => o.RequestId.startsWith("policy:"));
  // Steps taken in one pass share a start time: their order is the timeline's (each claims after the one before).
  const rank = (o: OpView) => STEP_ORDER.indexOf(o.RequestId.split(":").pop() as string);
  return steps.sort((a, b) => a.StartTime - b.StartTime || rank(a) - rank(b)).map((o) => o.RequestId.split(":").pop() as string);
}

const STEP_ORDER = ["expiry-reminder", "expiry-notice", "stop-warning", "stop", "reclaim-warning", "stopped-day-3-warning", "stopped-day-6-warning", "reclaim"];

/** Creates an instance and waits until it is Running. */
export async function runningInstance(s: TestServer, params: Record<string, string | number | boolean> = {}, keys: Keys = s.keys): Promise<string> {
  const res = await s.call("CreateCompShareInstance", { ...CREATE, ...params }, keys);
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  const id = (res.body.UHostIds as string[])[0] as string;
  await s.until(async () => (await s.state(id, keys)) === "Running");
  return id;
}

/**
 * Moves the clock to `at` (ms), if it is ahead. With `stepMs`, in steps, letting operations in
 * flight reach their next sleep between them (as real time would), rather than in one jump.
 */
export async function advanceTo(s: TestServer, at: number, stepMs?: number): Promise<void> {
  for (;;) {
    const ms = at - s.clock.now();
    if (ms <= 0) return;
    await s.clock.advance(stepMs ? Math.min(stepMs, ms) : ms);
    if (stepMs) await settle();
  }
}

/** The local (UTC+8) minute of the day of the server's clock. */
export const localMinute = (ms: number): number => Math.floor((((ms + CST * MIN) % DAY) + DAY) % DAY / MIN);

export const topUp = (s: TestServer, cny: number, account = "default") =>
  withAdmin(s.config, (a) => a.changeBalance(account, Math.round(cny * 100), "topup"));

export const setBalance = (s: TestServer, cny: number, account = "default") =>
  withAdmin(s.config, (a) => a.changeBalance(account, Math.round(cny * 100), "set"));

export const balance = (s: TestServer, account = "default") => withAdmin(s.config, (a) => a.balance(account));

/**
 * Walks the instance's timeline to its end, one step at a time: a second before each step's time
 * a pass leaves it untaken; at its time a pass takes it. Returns the steps and when they were taken.
 */
export async function walk(s: TestServer, id: string): Promise<Array<{ step: string; at: number }>> {
  const taken: Array<{ step: string; at: number }> = [];
  for (let i = 0; i < 12; i++) {
    const p = await policyOf(s, id);
    if (!p.NextStep) break;
    const at = p.NextStepTime * 1000;
    await advanceTo(s, at - 1000);
    await s.app.policies.pass();
    assert.equal((await policyOf(s, id)).NextStep, p.NextStep, `${p.NextStep} is not taken before its time`);
    await advanceTo(s, at + 1000);
    await s.app.policies.pass();
    taken.push({ step: p.NextStep, at });
    if (p.NextStep === "reclaim") {
      await s.until(async () => (await s.state(id)) === undefined, 250, 400);
      break;
    }
    if (p.NextStep === "stop") await s.until(async () => (await s.state(id)) === "Stopped", 250, 400);
    assert.equal((await policyOf(s, id)).LastStep, p.NextStep, `${p.NextStep} is taken at its time`);
  }
  return taken;
}

/**
 * A UTC offset (minutes east, within ±720) that puts the real instant `at` at 14:00 local: the
 * tests that run on real time use it, so that a reclaim due at `at` falls in the 10:00–18:59
 * deletion window whatever the hour the tests run.
 */
export function offsetPlacing(at: number, localMinute = 14 * 60): number {
  const utcMinute = Math.floor((((at % DAY) + DAY) % DAY) / MIN);
  const offset = (((localMinute - utcMinute) % 1440) + 1440) % 1440;
  return offset >= 720 ? offset - 1440 : offset;
}
