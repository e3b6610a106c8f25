/**
 * Recovery when a QemuBackend starts: what a previous agent (or a previous QemuBackend in the
 * same process) left on disk is taken up again before any call is served.
 */
import { mkdirSync } from "node:fs";
import type { ImageBuilds } from "./builds.js";
import { listRecords as listMachines, sweepDeleted } from "../common/record-dir.js";
import type { BackendContext, MachineRuntime } from "./runtime.js";

/** Finds what a previous agent left: running machines (pidfile, QMP), builds in flight, half-removed folders. */
export async function recover(machinesRoot: string, ctx: BackendContext, runtime: (id: string) => MachineRuntime, builds: ImageBuilds): Promise<void> {
  mkdirSync(machinesRoot, { recursive: true });
  mkdirSync(ctx.disksDir, { recursive: true });
  sweepDeleted(machinesRoot);
  sweepDeleted(ctx.images.dir);
  for (const id of listMachines(machinesRoot)) {
    const rt = runtime(id);
    const pid = rt.pid();
    if (pid) {
      await rt.qmp().catch((error: unknown) => ctx.log.warn({ machine: id, err: String(error) }, "QMP reconnect"));
      rt.startMonitor();
      ctx.log.info({ machine: id, pid, pending: rt.record().pending?.action }, "found running machine");
    } else {
      rt.dir.clearRuntime();
      if (rt.record().pending) {
        rt.dir.update((r) => {
          delete r.pending;
        });
      }
    }
  }
  builds.resume();
}
