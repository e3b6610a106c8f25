/**
 * Recovery of detached disks and custom images that sit in a transitional status with no
 * operation running on them. Their operations are recovered like any other (taken over and run
 * again); this pass is for what no operation covers: a disk left `Resizing` or `Deleting` by a
 * server from before these were operations, or anything that wrote the status without one.
 * A deletion is asked of the driver again (it is idempotent): done, the disk or image is gone;
 * failed, it is put back. A resize is put back to `Available` with its recorded size (the disk is
 * never smaller than that), since what was asked is not recorded.
 */
import type { RunnerDeps } from "./context.js";
import { STATUS_TIMEOUT_MS } from "./procedures/common.js";
import { disksLeftTransitional, settleLeftDisk } from "../store/repositories/disks.js";
import { removeImageFromHosts } from "../store/repositories/hosts.js";
import { abandonDeleting, imagesLeftDeleting, removeDeletedImage } from "../store/repositories/images.js";

/** Whether the driver's deletion is done (asked again: it is idempotent). */
const deleted = (ask: (signal: AbortSignal) => Promise<void>): Promise<boolean> =>
  ask(AbortSignal.timeout(STATUS_TIMEOUT_MS)).then(
    () => true,
    () => false,
  );

export async function reconcileResources(deps: RunnerDeps): Promise<number> {
  return (await reconcileDisks(deps)) + (await reconcileImages(deps));
}

async function reconcileDisks(deps: RunnerDeps): Promise<number> {
  const { db, clock, driver, log } = deps;
  const stuck = await disksLeftTransitional(db);
  let reconciled = 0;
  for (const disk of stuck) {
    const gone = disk.status === "Deleting" && (await deleted((signal) => driver.deleteDisk(disk.id, { signal })));
    const status = gone ? "Deleted" : "Available";
    if (!(await settleLeftDisk(db, disk, status, clock.now()))) continue;
    reconciled++;
    log.warn({ disk: disk.id, from: disk.status, to: status }, "reconciled a disk left in a transitional status");
  }
  return reconciled;
}

async function reconcileImages(deps: RunnerDeps): Promise<number> {
  const { db, clock, driver, log } = deps;
  const stuck = await imagesLeftDeleting(db);
  let reconciled = 0;
  for (const image of stuck) {
    const gone = await deleted((signal) => driver.deleteImage(image.id, { signal }));
    const done = await db.transaction().execute(async (tx) => {
      // What it was before is not known here: UnAvailable is never booted, and may be deleted again.
      if (!gone) return abandonDeleting(tx, image.id, image.opId, clock.now());
      if (!(await removeDeletedImage(tx, image.id, image.opId))) return false;
      await removeImageFromHosts(tx, image.id);
      return true;
    });
    if (!done) continue;
    reconciled++;
    log.warn({ image: image.id, deleted: gone }, "reconciled an image left deleting");
  }
  return reconciled;
}
