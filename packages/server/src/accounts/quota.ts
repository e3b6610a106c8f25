/**
 * Who may create instances, and how many: CreateCompShareInstance's 配额说明.
 *
 * An account's level sets its quota: Level 0 (never topped up) 1 instance, Level 1 (topped up) 5,
 * Level 2 20, Level 3 50, Level 4 100. CompShare gives no thresholds for Levels 2-4; ours are what
 * the account has paid in (the sum of its `topup` ledger entries): at least 1,000 CNY for Level 2,
 * 10,000 for Level 3, 50,000 for Level 4. An operator may set the level instead (`ocs account
 * level ACCOUNT 0-4`; `auto` hands it back to the payments).
 *
 * Which limit applies, first match:
 * 1. the account's own quota (`ocs account quota ACCOUNT N`): a whitelisted account, whose quota
 *    CompShare configures apart from the levels;
 * 2. OCS_INSTANCE_QUOTA when the operator sets it: one cap for every account, instead of the levels;
 * 3. the account's level.
 *
 * An account that is not verified creates nothing: AccountNotVerified (226606).
 */
import { ApiError } from "@opencompshare/protocol";
import { accountStanding, lockAccount, type AccountStanding } from "../store/repositories/accounts.js";
import { countInstancesOf } from "../store/repositories/instances.js";
import type { Executor } from "../store/schema.js";

export type Level = 0 | 1 | 2 | 3 | 4;
export const LEVELS: readonly Level[] = [0, 1, 2, 3, 4];

/** The most instances an account of each level may have (CompShare's table). */
export const LEVEL_QUOTA: Readonly<Record<Level, number>> = { 0: 1, 1: 5, 2: 20, 3: 50, 4: 100 };

/** What an account must have paid in, in fen, to be at each level: our choice (CompShare gives Level 0 and 1 only: never topped up, topped up). */
export const LEVEL_PAID_IN_CENTS: Readonly<Record<Level, number>> = { 0: 0, 1: 1, 2: 1_000_00, 3: 10_000_00, 4: 50_000_00 };

/** The level of an account that has paid in `cents` (its top-ups). */
export function levelOfPaidIn(cents: number): Level {
  let level: Level = 0;
  for (const l of LEVELS) if (cents >= LEVEL_PAID_IN_CENTS[l]) level = l;
  return level;
}

export function isLevel(n: number): n is Level {
  return Number.isInteger(n) && n >= 0 && n <= 4;
}

/** The operator's settings that bear on the quota. */
export interface QuotaSettings {
  /** OCS_INSTANCE_QUOTA: when set, every account's limit instead of its level's. */
  instanceQuota?: number | undefined;
}

/** The limit that applies to an account, and where it comes from (for its refusal and for the operator's list). */
export interface InstanceLimit {
  level: Level;
  /** `operator`: the level an operator set; `payments`: the level what it paid in earns. */
  levelFrom: "operator" | "payments";
  limit: number;
  /** `level`: its level's quota; `account`: its own (whitelisted); `server`: OCS_INSTANCE_QUOTA. */
  limitFrom: "level" | "account" | "server";
}

export function instanceLimit(standing: AccountStanding, settings: QuotaSettings): InstanceLimit {
  const override = standing.levelOverride;
  const level = override !== null && isLevel(override) ? override : levelOfPaidIn(standing.paidInCents);
  const levelFrom = override !== null && isLevel(override) ? "operator" : "payments";
  if (standing.instanceQuota > 0) return { level, levelFrom, limit: standing.instanceQuota, limitFrom: "account" };
  if (settings.instanceQuota !== undefined) return { level, levelFrom, limit: settings.instanceQuota, limitFrom: "server" };
  return { level, levelFrom, limit: LEVEL_QUOTA[level], limitFrom: "level" };
}

const instances = (n: number): string => `${n} instance${n === 1 ? "" : "s"}`;

/** What the limit is, as a refusal says it: "the account is at Level 1, which allows 5 instances". */
function limitText(l: InstanceLimit): string {
  if (l.limitFrom === "account") return `the account has a quota of its own, ${instances(l.limit)}`;
  if (l.limitFrom === "server") return `this server allows each account ${instances(l.limit)}`;
  return `the account is at Level ${l.level}, which allows ${instances(l.limit)}`;
}

/**
 * Refuses a create of `count` instances that the account may not make: AccountNotVerified when it
 * is not verified, QuotaExceeded when they do not fit its limit. Takes the account's row lock
 * first, so two creates of one account on two replicas count one after the other.
 */
export async function assertMayCreate(tx: Executor, accountId: string, count: number, settings: QuotaSettings): Promise<void> {
  await lockAccount(tx, accountId);
  const standing = await accountStanding(tx, accountId);
  if (!standing) throw new ApiError("AccountNotVerified", "The account has not been verified.");
  if (!standing.verified) throw new ApiError("AccountNotVerified", "The account has not been verified. Only a verified account creates instances.");
  const limit = instanceLimit(standing, settings);
  const have = await countInstancesOf(tx, accountId);
  if (have + count > limit.limit) {
    throw new ApiError("QuotaExceeded", `${limitText(limit)}; it has ${have}, and ${count} more do not fit`);
  }
}
