/**
 * The control plane's Driver, served by a host's own stack: each call becomes the command an
 * agent would receive (method, arguments, instance, fence) and runs through the agent's Executor
 * (the argument check, the fence store, fsync) on its backend. It is what the agent driver
 * reaches over HTTP, without the HTTP, so that the driver conformance suite runs on real guests.
 */
import { randomUUID } from "node:crypto";
import { Executor, type ExecutorOptions } from "@opencompshare/agent";
import { MACHINE_CONTRACT, machineProxy, type ImageProgress, type MachineMethod } from "@opencompshare/protocol";
import { DriverError, StaleEpoch, type Driver, type DriverCall } from "@opencompshare/server";

export function executorDriver(opts: Omit<ExecutorOptions, "onProgress">): Driver {
  /** Progress callbacks of the builds in flight, by command id (the Executor reports progress per command). */
  const progress = new Map<string, (p: unknown) => Promise<void>>();
  const executor = new Executor({ ...opts, onProgress: (cmd, p) => void progress.get(cmd.id)?.(p) });

  async function send(method: MachineMethod, args: unknown[], call: DriverCall, onProgress?: (p: ImageProgress) => Promise<void>): Promise<unknown> {
    if (call.signal.aborted) throw call.signal.reason;
    const id = `cmd-${randomUUID()}`;
    // The fence record of a call on an instance is that instance's; image and disk calls keep the host's.
    const instanceId = MACHINE_CONTRACT[method].on === "instance" ? String(args[0]) : null;
    if (onProgress) progress.set(id, onProgress as (p: unknown) => Promise<void>);
    try {
      const report = await executor.execute({ id, method, instanceId, operationId: call.fence?.operationId ?? null, epoch: call.fence?.epoch ?? 0, args }, call.signal);
      if ("progress" in report) throw new DriverError(method, "a progress report is not a result");
      if (report.ok) return report.value;
      if (report.error.kind === "stale") throw new StaleEpoch(method, report.error.message);
      throw new DriverError(method, report.error.message);
    } finally {
      progress.delete(id);
    }
  }

  return { name: `${opts.backend.name} (agent executor)`, ...machineProxy<DriverCall>(send) };
}
