/**
 * The disk sizes on sale: the one source of DescribeAvailableCompShareInstanceTypes' MinimalSize
 * and MaximalSize, and of the checks of every action that sizes a disk. A system disk takes up to
 * 1000 GB (and at least its image's size); a data disk 10 to 1500 GB (CompShare's own answer).
 *
 * - CreateCompShareInstance: `Disks.N.Size`;
 * - ResizeCompShareInstance: `DiskSpace` (the system disk, or a data disk by DiskId);
 * - CreateAndAttachCompshareDisk: `Size`; ResizeCompShareDisk: `Size`;
 * - GetCompShareAttachedDiskUpgradePrice: `DiskSpace` (a quote of such a resize).
 *
 * A size out of range is ParamsNotAvailable (230) naming the parameter and the range.
 */
import { commonErrors } from "@opencompshare/protocol";

/** GB. A system disk has no minimum of its own: its image's size is the least it can hold. */
export const SYSTEM_DISK_GB = { max: 1000 } as const;
/** GB. */
export const DATA_DISK_GB = { min: 10, max: 1500 } as const;

/** Refuses a system disk size out of range: at most SYSTEM_DISK_GB.max, and at least `minGb` when given (its image's size). */
export function checkSystemDiskSize(param: string, sizeGb: number, minGb?: number): void {
  if (sizeGb < (minGb ?? 1) || sizeGb > SYSTEM_DISK_GB.max) {
    throw commonErrors.invalidParam(param, minGb === undefined ? `a system disk of at most ${SYSTEM_DISK_GB.max} GB` : `a system disk of ${minGb} to ${SYSTEM_DISK_GB.max} GB`);
  }
}

/** Refuses a data disk size out of range. */
export function checkDataDiskSize(param: string, sizeGb: number): void {
  if (sizeGb < DATA_DISK_GB.min || sizeGb > DATA_DISK_GB.max) throw commonErrors.invalidParam(param, `a data disk of ${DATA_DISK_GB.min} to ${DATA_DISK_GB.max} GB`);
}

/** Either check, by the disk's kind. */
export function checkDiskSize(param: string, sizeGb: number, boot: boolean, minSystemGb?: number): void {
  if (boot) checkSystemDiskSize(param, sizeGb, minSystemGb);
  else checkDataDiskSize(param, sizeGb);
}
