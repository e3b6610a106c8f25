/**
 * The machine contract's data-disk methods on containers (disks.ts holds the files and mounts):
 * one disk per container, at /cloud; attached while running by a mount that propagates inside;
 * detached only while stopped; kept on detach; never deleted while attached.
 */
import type { MachineDisk } from "@opencompshare/protocol";
import type { ContainerRuntime } from "./container.js";
import { DISK_MOUNT } from "./disks.js";
import type { PodmanContext } from "./options.js";

/** Attaches `disk`; `holders`: the other machines that hold it now (a file system is mounted in one place only). */
export async function attachDisk(rt: ContainerRuntime, ctx: PodmanContext, disk: MachineDisk, holders: readonly string[], signal: AbortSignal): Promise<void> {
  const others = holders.filter((m) => m !== rt.id);
  if (others.length > 0) throw new Error(`disk ${disk.id} is attached to ${others.join(", ")}: detach it first`);
  await rt.queue.run(
    {
      key: `disk:${disk.id}`,
      work: async (s) => {
        const attached = rt.record().spec.dataDisks ?? [];
        if (attached.some((d) => d.id === disk.id) && attached.length === 1) {
          if ((await rt.inspect(s))?.running) await rt.mountDisk(s);
          return;
        }
        if (attached.length > 0) throw new Error(`machine ${rt.id} is a container: it takes one data disk, at ${DISK_MOUNT}, and holds ${attached[0]?.id} (detach it first)`);
        await ctx.disks.ensure(disk, s);
        rt.dir.update((r) => {
          r.spec = { ...r.spec, dataDisks: [disk] };
        });
        if ((await rt.inspect(s))?.running) await rt.mountDisk(s);
        ctx.log.info({ machine: rt.id, disk: disk.id }, "data disk attached");
      },
    },
    signal,
  );
}

export async function detachDisk(rt: ContainerRuntime, ctx: PodmanContext, diskId: string, signal: AbortSignal): Promise<void> {
  await rt.queue.run(
    {
      key: `disk:${diskId}`,
      work: async (s) => {
        if (!(rt.record().spec.dataDisks ?? []).some((d) => d.id === diskId)) return;
        if ((await rt.inspect(s))?.running) throw new Error(`machine ${rt.id} is running: detaching a data disk needs it stopped`);
        await ctx.disks.unmount(rt.dir.cloudDir, s);
        rt.dir.update((r) => {
          r.spec = { ...r.spec, dataDisks: (r.spec.dataDisks ?? []).filter((d) => d.id !== diskId) };
        });
        ctx.log.info({ machine: rt.id, disk: diskId }, "data disk detached (kept)");
      },
    },
    signal,
  );
}

/** Deletes a disk that no machine holds. Idempotent. */
export async function deleteDisk(ctx: PodmanContext, holders: readonly string[], diskId: string, signal: AbortSignal): Promise<void> {
  if (holders.length > 0) throw new Error(`disk ${diskId} is attached to ${holders.join(", ")}: detach it first`);
  if (!ctx.disks.exists(diskId)) return;
  if (await ctx.disks.inUse(diskId, signal)) throw new Error(`disk ${diskId} is still mounted on this host`);
  ctx.disks.delete(diskId);
  ctx.log.info({ disk: diskId }, "data disk deleted");
}
