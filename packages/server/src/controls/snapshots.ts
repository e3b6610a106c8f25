/**
 * Snapshots of the whole state (SaveCompShareSnapshot, RestoreCompShareSnapshot, …): accounts,
 * instances, disks, images, the ledger, events, the clock's offset and the faults, every table of
 * the state (state-tables.ts). SQLite keeps each in a file (snapshot-sqlite.ts), PostgreSQL in a
 * schema (snapshot-postgres.ts); `testing_snapshots` lists them and outlives a restore.
 *
 * In-flight operations are refused, not drained by force: a save, a restore or a reset first waits
 * a few seconds for the running operations to end, then answers 226610 naming them. An operation
 * cut in half would restore a machine mid-action, or run on in a state that no longer has it.
 * Snapshots hold the simulated driver's machines, which live in the database; with a real driver
 * the guests live on the hosts, outside any snapshot, so the three are refused there.
 */
import { ApiError } from "@opencompshare/protocol";
import type { Clock } from "../clock.js";
import { forgetSnapshot, operationsInFlight, recordSnapshot, snapshotSaved, snapshotsSaved, type SnapshotRecord } from "../store/repositories/testing.js";
import type { Db } from "../store/schema.js";

/** Where one engine keeps its snapshots. */
export interface SnapshotStore {
  /** Saves (or replaces) the snapshot; answers its size in bytes. */
  save(name: string): Promise<number>;
  restore(name: string): Promise<void>;
  remove(name: string): Promise<void>;
}

/** A snapshot that cannot be used: its data is gone, or it was saved by another schema. */
export class SnapshotRefused extends Error {}

/** How long a save, a restore or a reset waits for running operations to end before refusing. */
export const DRAIN_MS = 5_000;

export interface StateGuard {
  db: Db;
  /** Real time: the wait must not be cut short by an advance of the server's clock. */
  realClock: Clock;
  driver: string;
}

/** Waits up to DRAIN_MS for running operations to end; refuses with 226610 when some are still running, or with a real driver. */
export async function whenQuiet(g: StateGuard, action: string): Promise<void> {
  if (g.driver !== "simulated") {
    throw new ApiError("NoPermission", `${action} needs the simulated driver: with OCS_DRIVER=${g.driver} the guests live on the hosts, outside the database, and no snapshot holds them`);
  }
  const until = g.realClock.now() + DRAIN_MS;
  for (;;) {
    const running = await operationsInFlight(g.db);
    if (running.length === 0) return;
    if (g.realClock.now() >= until) {
      const named = running.map((o) => `${o.id} (${o.action}${o.instanceId ? ` of ${o.instanceId}` : ""})`).join(", ");
      throw new ApiError(
        "InstanceOperationInProgress",
        `${action} waits for the operations in flight, and these still run after ${DRAIN_MS / 1000} s: ${named}. Wait for them, or clear the faults and advance the clock past their timeouts (a hung reboot falls back to a hard one after the soft timeout)`,
      );
    }
    await g.realClock.sleep(100);
  }
}

export async function saveSnapshot(g: StateGuard, store: SnapshotStore, clock: Clock, name: string, overwrite: boolean): Promise<SnapshotRecord> {
  if (!overwrite && (await snapshotSaved(g.db, name))) {
    throw new ApiError("ParamsNotAvailable", `Params [Name] not available: a snapshot named ${name} exists already (Overwrite=true replaces it)`);
  }
  await whenQuiet(g, "SaveCompShareSnapshot");
  const size = await store.save(name);
  const record = { name, createdAt: clock.now(), size };
  await recordSnapshot(g.db, record);
  return record;
}

export async function restoreSnapshot(g: StateGuard, store: SnapshotStore, name: string): Promise<void> {
  if (!(await snapshotSaved(g.db, name))) throw unknownSnapshot(name);
  await whenQuiet(g, "RestoreCompShareSnapshot");
  try {
    await store.restore(name);
  } catch (error) {
    if (error instanceof SnapshotRefused) throw new ApiError("ParamsNotAvailable", `Params [Name] not available: ${error.message}`);
    throw error;
  }
}

export async function deleteSnapshot(db: Db, store: SnapshotStore, name: string): Promise<void> {
  if (!(await snapshotSaved(db, name))) throw unknownSnapshot(name);
  await store.remove(name);
  await forgetSnapshot(db, name);
}

export const listSnapshots = (db: Db): Promise<SnapshotRecord[]> => snapshotsSaved(db);

const unknownSnapshot = (name: string) => new ApiError("ParamsNotAvailable", `Params [Name] not available: no snapshot named ${name} (DescribeCompShareSnapshots lists them)`);
