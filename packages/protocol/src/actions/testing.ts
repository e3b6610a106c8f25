/**
 * Test controls: this project's extension for people who test their CompShare automation against
 * a local server. Faults in the machines, time travel, and snapshots of the whole state.
 *
 * These Actions exist only on a server started in testing mode (`OCS_TESTING=1`, `ocs serve
 * --testing`), and only for the keys of the operator's (default) account. Anywhere else they
 * answer 161, as an Action that does not exist does (docs/testing.md).
 */
import { FAULT_METHODS, FAULT_MODES } from "../faults.js";
import { t, type Infer } from "../schema.js";
import { defineAction } from "./contract.js";

/** A snapshot's name: what a file or a schema may be named after. */
export const snapshotName = () => t.string({ maxLength: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, rule: "1 to 64 letters, digits, _ . -, starting with a letter or digit" });
export const faultId = () => t.string({ maxLength: 64, pattern: /^flt-[0-9a-z-]{1,60}$/, rule: "a FaultId as ArmCompShareFault answered it (flt-…)" });

/** The longest a test may move the clock in one call: ten years. */
export const MAX_ADVANCE_SECONDS = 10 * 366 * 86_400;

export const FaultModel = t.object({
  FaultId: t.string(),
  /** The machine-contract method it matches (`reboot`, `hardReboot`, `powerOn`, …). */
  Method: t.string(),
  /** `fail`, `hang`, `slow` or `late`. */
  Mode: t.string(),
  /** The instance (or disk, or image) it is limited to; empty: every one. */
  UHostId: t.string(),
  /** How many calls it was armed for. */
  Times: t.int(),
  /** How many of those are left. */
  Remaining: t.int(),
  /** How many calls it has caught so far (Times - Remaining). */
  Fired: t.int(),
  DelayMs: t.int(),
  Message: t.string(),
  /** Unix seconds, by the server's clock. */
  CreateTime: t.int(),
});

/** A fault as DescribeCompShareFaults answers it: the tests and clients read this type, not a copy. */
export type Fault = Infer<typeof FaultModel>;

export const SnapshotModel = t.object({
  Name: t.string(),
  /** Unix seconds, by the server's clock when it was saved. */
  CreateTime: t.int(),
  /** Bytes the snapshot takes (SQLite: its file; PostgreSQL: its schema's tables). */
  Size: t.int(),
});

const testingAction = { family: "testing", extension: true, testing: true } as const;

export const ArmCompShareFault = defineAction({
  name: "ArmCompShareFault",
  ...testingAction,
  summary:
    "Testing mode: arms a fault in the machines. The next `Times` calls of `Method` (on `UHostId`, or on any machine) fail with `Message`, hang until the operation gives up on them, take `DelayMs` longer (`slow`), or act and answer `DelayMs` late (`late`). The simulated driver applies it itself; a real host's agent applies it before it acts.",
  idempotent: false,
  request: t.object({
    Method: t.string({ enum: FAULT_METHODS }),
    Mode: t.string({ enum: FAULT_MODES }),
    /** Limits the fault to one instance (or the disk or image a disk or image method acts on). */
    UHostId: t.optional(t.string({ maxLength: 64 })),
    /** How many calls it catches; default 1. */
    Times: t.optional(t.int({ min: 1, max: 1_000_000 })),
    /** For `slow` and `late`: how much longer, in ms of the server's clock (a real host: real ms). */
    DelayMs: t.optional(t.int({ min: 0, max: 3_600_000 })),
    /** For `fail`: the error the call fails with. */
    Message: t.optional(t.string({ maxLength: 256 })),
  }),
  response: t.object({ FaultId: t.string() }),
});

export const DescribeCompShareFaults = defineAction({
  name: "DescribeCompShareFaults",
  ...testingAction,
  summary: "Testing mode: the faults armed, oldest first, with the calls each has caught; spent ones stay listed until cleared.",
  idempotent: true,
  request: t.object({}),
  response: t.object({ TotalCount: t.int(), FaultSet: t.array(FaultModel, { max: 10_000 }) }),
});

export const ClearCompShareFaults = defineAction({
  name: "ClearCompShareFaults",
  ...testingAction,
  summary: "Testing mode: clears one fault (`FaultId`), or every fault. A call already caught by a hang stays hung until its operation gives up on it.",
  idempotent: true,
  request: t.object({ FaultId: t.optional(faultId()) }),
  response: t.object({ Cleared: t.int() }),
});

export const AdvanceCompShareClock = defineAction({
  name: "AdvanceCompShareClock",
  ...testingAction,
  summary:
    "Testing mode: moves the server's clock forward by `Seconds` (never back), on every replica. Lock TTLs, leases, timeouts, the stop scheduler, billing, expiry, arrears and the reclaim timeline follow; the answer comes once the due policy steps, and the operations they started, are done.",
  idempotent: false,
  request: t.object({ Seconds: t.float({ min: 0.001, max: MAX_ADVANCE_SECONDS }) }),
  response: t.object({
    /** The server's time after the advance: Unix seconds, and ms. */
    Time: t.int(),
    TimeMs: t.int(),
    /** How far the server's clock is ahead of the real one, in seconds. */
    OffsetSeconds: t.float(),
    /** What the due work did: hours and periods billed, renewals, reclaim-timeline steps, scheduled stops. */
    Billed: t.int(),
    Renewed: t.int(),
    PolicySteps: t.int(),
    ScheduledStops: t.int(),
    /** Operations these started and that ended before the answer. */
    OperationsSettled: t.int(),
  }),
});

export const DescribeCompShareClock = defineAction({
  name: "DescribeCompShareClock",
  ...testingAction,
  summary: "Testing mode: the server's time, and how far AdvanceCompShareClock has moved it ahead of the real one.",
  idempotent: true,
  request: t.object({}),
  response: t.object({ Time: t.int(), TimeMs: t.int(), OffsetSeconds: t.float() }),
});

export const SaveCompShareSnapshot = defineAction({
  name: "SaveCompShareSnapshot",
  ...testingAction,
  summary:
    "Testing mode: saves the whole state (accounts, instances, disks, images, ledger, events, clock and faults) under `Name`. Refused with 226610 while operations are in flight (after waiting a few seconds for them to end), and with the real drivers, whose guests live outside the database.",
  idempotent: false,
  request: t.object({ Name: snapshotName(), Overwrite: t.optional(t.bool()) }),
  response: t.object({ Name: t.string(), CreateTime: t.int(), Size: t.int(), DurationMs: t.int() }),
});

export const RestoreCompShareSnapshot = defineAction({
  name: "RestoreCompShareSnapshot",
  ...testingAction,
  summary: "Testing mode: puts the state saved under `Name` back, the clock's offset included. Refused with 226610 while operations are in flight.",
  idempotent: true,
  request: t.object({ Name: snapshotName() }),
  response: t.object({ Name: t.string(), Time: t.int(), DurationMs: t.int() }),
});

export const DescribeCompShareSnapshots = defineAction({
  name: "DescribeCompShareSnapshots",
  ...testingAction,
  summary: "Testing mode: the snapshots saved, oldest first.",
  idempotent: true,
  request: t.object({}),
  response: t.object({ TotalCount: t.int(), SnapshotSet: t.array(SnapshotModel, { max: 10_000 }) }),
});

export const DeleteCompShareSnapshot = defineAction({
  name: "DeleteCompShareSnapshot",
  ...testingAction,
  summary: "Testing mode: deletes the snapshot saved under `Name`.",
  idempotent: true,
  request: t.object({ Name: snapshotName() }),
  response: t.object({}),
});

export const ResetCompShareState = defineAction({
  name: "ResetCompShareState",
  ...testingAction,
  summary:
    "Testing mode: returns to a fresh server: every account, instance, disk, image, bill, event, fault and the clock's offset are gone; the operator's account keeps its ids and keys, with the initial balance. Snapshots are kept. Refused with 226610 while operations are in flight.",
  idempotent: true,
  request: t.object({}),
  response: t.object({ Time: t.int(), DurationMs: t.int() }),
});
