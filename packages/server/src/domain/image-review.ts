/**
 * The operator's review of community versions (`ocs image review`): a version published by an
 * account is Reviewing until approved (Available: listed, usable by every account) or rejected
 * (Rejected: the reason is its FailedReason, shown to its owner by DescribeSelfCommunityImages).
 */
import { findUserVersion, setReviewVerdict } from "../store/repositories/community.js";
import type { Db } from "../store/schema.js";

/** A review that cannot be done: no such version, or one no longer in review. */
export class ReviewError extends Error {
  override name = "ReviewError";
}

export type Verdict = { approve: true } | { approve: false; reason: string };

/** What `ocs image review` prints. */
export interface ReviewView {
  CompShareImageId: string;
  GroupId: string;
  VersionName: string;
  Status: string;
  FailedReason: string;
}

export const MAX_REASON = 1024;

export async function reviewVersion(db: Db, id: string, verdict: Verdict, now: number): Promise<ReviewView> {
  if (!verdict.approve && !verdict.reason.trim()) throw new ReviewError("a rejection needs a reason (--reason TEXT)");
  if (!verdict.approve && verdict.reason.length > MAX_REASON) throw new ReviewError(`the reason is longer than ${MAX_REASON} characters`);
  return db.transaction().execute(async (tx) => {
    const version = await findUserVersion(tx, id);
    if (!version) throw new ReviewError(`no community version ${id} published by an account`);
    if (!(await setReviewVerdict(tx, id, verdict, now))) throw new ReviewError(`community version ${id} is ${version.status}, not in review (Reviewing)`);
    const done = (await findUserVersion(tx, id)) ?? version;
    return { CompShareImageId: done.id, GroupId: done.groupId, VersionName: done.versionName, Status: done.status, FailedReason: done.failedReason };
  });
}
