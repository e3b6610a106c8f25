/**
 * The tables of the test controls (controls/, docs/testing.md): the faults armed in the machines,
 * the clock's offset, and the snapshots saved. Part of the one database schema (schema.ts).
 */
import type { Generated } from "kysely";

export interface MachineFaultsTable {
  id: string;
  method: string;
  /** The instance (or disk, or image) it is limited to; null: every one. */
  instance_id: string | null;
  mode: "fail" | "hang" | "slow" | "late";
  /** What it was armed for, and what is left. */
  times: Generated<number>;
  remaining: number;
  delay_ms: number;
  message: Generated<string>;
  created_at: Generated<number>;
}

/** One row (id 1): how far AdvanceCompShareClock has moved the server's clock ahead of the real one. */
export interface TestingClockTable {
  id: number;
  offset_ms: number;
}

/** The snapshots saved; their data is a file (SQLite) or a schema (PostgreSQL) of the same name. */
export interface TestingSnapshotsTable {
  name: string;
  created_at: number;
  size: number;
}
