/**
 * Handlers of the test controls (protocol actions/testing.ts; docs/testing.md). They run only on
 * a server in testing mode, for the operator's keys: api/dispatch.ts sees to that before a
 * handler here is reached, so `services.testing` is always set when one is.
 */
import { ApiError, type FaultMethod, type FaultMode } from "@opencompshare/protocol";
import { armFault, clearFaults, faultsArmed } from "../controls/faults.js";
import type { TestControls } from "../controls/controls.js";
import type { ActionsOf, HandlerMap, Services } from "./registry.js";

const seconds = (ms: number): number => Math.floor(ms / 1000);

function controlsOf(services: Services): TestControls {
  if (!services.testing) throw new ApiError("ActionNotFound", "the test controls need testing mode");
  return services.testing;
}

export const testingHandlers: HandlerMap<ActionsOf<"testing">> = {
  async ArmCompShareFault({ services }, req) {
    const FaultId = await armFault(
      services.db,
      {
        method: req.Method as FaultMethod,
        mode: req.Mode as FaultMode,
        ...(req.UHostId ? { instanceId: req.UHostId } : {}),
        ...(req.Times !== undefined ? { times: req.Times } : {}),
        ...(req.DelayMs !== undefined ? { delayMs: req.DelayMs } : {}),
        ...(req.Message !== undefined ? { message: req.Message } : {}),
      },
      services.clock.now(),
    );
    return { FaultId };
  },

  async DescribeCompShareFaults({ services }) {
    const faults = await faultsArmed(services.db);
    return {
      TotalCount: faults.length,
      FaultSet: faults.map((f) => ({
        FaultId: f.id,
        Method: f.method,
        Mode: f.mode,
        UHostId: f.instanceId ?? "",
        Times: f.times,
        Remaining: f.remaining,
        Fired: f.times - f.remaining,
        DelayMs: f.delayMs,
        Message: f.message,
        CreateTime: seconds(f.createdAt),
      })),
    };
  },

  async ClearCompShareFaults({ services }, req) {
    const Cleared = await clearFaults(services.db, req.FaultId);
    if (req.FaultId !== undefined && Cleared === 0) throw new ApiError("ParamsNotAvailable", `Params [FaultId] not available: no fault ${req.FaultId} (DescribeCompShareFaults lists them)`);
    return { Cleared };
  },

  async AdvanceCompShareClock({ services }, req) {
    const r = await controlsOf(services).advance(req.Seconds * 1000);
    const now = services.clock.now();
    return {
      Time: seconds(now),
      TimeMs: now,
      OffsetSeconds: r.offsetMs / 1000,
      Billed: r.billed,
      Renewed: r.renewed,
      PolicySteps: r.policySteps,
      ScheduledStops: r.scheduledStops,
      OperationsSettled: r.operationsSettled,
    };
  },

  async DescribeCompShareClock({ services }) {
    const now = services.clock.now();
    return { Time: seconds(now), TimeMs: now, OffsetSeconds: controlsOf(services).clock.offsetMs / 1000 };
  },

  async SaveCompShareSnapshot({ services }, req) {
    const started = performance.now();
    const saved = await controlsOf(services).save(req.Name, req.Overwrite ?? false);
    return { Name: saved.name, CreateTime: seconds(saved.createdAt), Size: saved.size, DurationMs: Math.round(performance.now() - started) };
  },

  async RestoreCompShareSnapshot({ services }, req) {
    const started = performance.now();
    await controlsOf(services).restore(req.Name);
    return { Name: req.Name, Time: seconds(services.clock.now()), DurationMs: Math.round(performance.now() - started) };
  },

  async DescribeCompShareSnapshots({ services }) {
    const saved = await controlsOf(services).list();
    return { TotalCount: saved.length, SnapshotSet: saved.map((s) => ({ Name: s.name, CreateTime: seconds(s.createdAt), Size: s.size })) };
  },

  async DeleteCompShareSnapshot({ services }, req) {
    await controlsOf(services).remove(req.Name);
    return {};
  },

  async ResetCompShareState({ services }) {
    const started = performance.now();
    await controlsOf(services).reset();
    return { Time: seconds(services.clock.now()), DurationMs: Math.round(performance.now() - started) };
  },
};
