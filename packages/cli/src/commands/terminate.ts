/**
 * `ocs instance terminate`: CompShare deletes only a Stopped instance, so a running one is
 * refused (InstanceMustBeStopped) unless `--stop` stops it first; `--release-disks` deletes the
 * attached data disks too (ReleaseUDisk). Several instances at once, one result line each.
 */
import { TRANSITIONAL } from "@opencompshare/protocol";
import { waitUntil, waitUntilInstanceGone, waitUntilInstanceState, type CompShareClient, type InstanceState } from "@opencompshare/sdk";
import { API_OPTIONS, BATCH_OPTIONS, WAIT_OPTIONS, api, perResource, type ApiContext, type WaitSpec } from "../api.js";
import type { Command } from "../command.js";

/** Waits until the instance has left the list (released). */
export const goneWait = (client: CompShareClient): WaitSpec => ({
  target: "gone",
  until: (UHostId, opts) => waitUntilInstanceGone(client, { ...opts, UHostId }),
});

/**
 * Stops a running instance and waits until it is Stopped (a transitional one settles first):
 * CompShare deletes only a Stopped instance.
 */
async function stopFirst(ctx: ApiContext, UHostId: string): Promise<void> {
  const opts = { timeoutMs: ctx.waitTimeoutMs, intervalMs: ctx.pollIntervalMs, signal: ctx.signal };
  const settled = await waitUntil<InstanceState | undefined>(`${UHostId} to settle`, opts, async (call) => {
    const found = (await ctx.client.request("DescribeCompShareInstance", { UHostIds: [UHostId] }, { ...ctx.call, ...call })).data.UHostSet[0];
    const state = found?.State as InstanceState | undefined;
    return { state, resource: state, verdict: state !== undefined && TRANSITIONAL.has(state) ? "pending" : "success" };
  });
  if (settled.outcome !== "success") throw new Error(settled.outcome === "timeout" ? `${UHostId} did not settle within the wait timeout` : settled.message);
  if (settled.resource !== "Running") return;
  await ctx.client.request("StopCompShareInstance", { UHostId }, ctx.call);
  const stopped = await waitUntilInstanceState(ctx.client, { ...opts, UHostId, State: "Stopped" });
  if (stopped.outcome !== "success") throw new Error(stopped.outcome === "timeout" ? `${UHostId} did not stop within the wait timeout` : stopped.message);
}

export const terminate: Command = {
  name: "terminate",
  args: "UHOSTID...",
  minArgs: 1,
  summary: "Terminate stopped instances; they leave the list when released (--wait waits for that).",
  details:
    "CompShare deletes only a Stopped instance: a running one is refused (InstanceMustBeStopped) unless --stop stops it first. " +
    "Data disks are detached and kept unless --release-disks. A prepaid instance is credited the refund GetCompShareRefundPrice quotes. " +
    "Several instances are handled at once (--concurrency); one result line each. The exit code is 1 if any failed.",
  options: [
    [
      "Options",
      {
        stop: { type: "boolean", describe: "stop a running instance first, and wait until it is Stopped" },
        "release-disks": { type: "boolean", describe: "delete the attached data disks too (ReleaseUDisk)" },
        ...WAIT_OPTIONS,
        ...BATCH_OPTIONS,
      },
    ],
    ["Credentials and output", API_OPTIONS],
  ],
  run: api((ctx) =>
    perResource(ctx, [...new Set(ctx.args)], {
      call: async (UHostId) => {
        if (ctx.values.stop === true) await stopFirst(ctx, UHostId);
        return ctx.client.request("TerminateCompShareInstance", { UHostId, ...(ctx.values["release-disks"] === true ? { ReleaseUDisk: true } : {}) }, ctx.call);
      },
      accepted: "terminate accepted",
      wait: goneWait(ctx.client),
    }),
  ),
};
