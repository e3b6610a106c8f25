/**
 * The test controls of a server in testing mode (OCS_TESTING=1; docs/testing.md), in one place:
 * the clock (clock.ts), faults (faults.ts), snapshots (snapshots.ts) and the reset (reset.ts).
 * handlers/testing.ts answers their Actions; api/dispatch.ts answers 161 for them when the server
 * has no controls, and 299 to any key but the operator's. On PostgreSQL a restore or a reset is
 * announced (NOTIFY) so that every replica's clock and event fan-out follow the replaced state.
 */
import { sql } from "kysely";
import type { Catalog } from "../catalog/catalog.js";
import { systemClock } from "../clock.js";
import { DEFAULT_ACCOUNT } from "../accounts/default-account.js";
import type { EventHub } from "../events/hub.js";
import type { Listening, Store } from "../store/store.js";
import { advanceClock, type AdvanceReport, type DueWork } from "./advance.js";
import type { TestingClock } from "./clock.js";
import { resetState } from "./reset.js";
import { postgresSnapshots } from "./snapshot-postgres.js";
import { sqliteSnapshots } from "./snapshot-sqlite.js";
import { deleteSnapshot, listSnapshots, restoreSnapshot, saveSnapshot, whenQuiet, type SnapshotStore, type StateGuard } from "./snapshots.js";
import type { SnapshotRecord } from "../store/repositories/testing.js";

export interface ControlsDeps {
  store: Store;
  clock: TestingClock;
  /** The driver's name: snapshots and resets need the simulated one. */
  driver: string;
  catalog: Catalog;
  initialBalanceCents: number;
  hub: EventHub;
  /** Set once the runner, recovery and policies exist (the app wires them after the controls). */
  work?: Omit<DueWork, "db" | "clock">;
}

/** PostgreSQL: told when a replica replaced the state, so that every replica follows it. */
export const STATE_CHANNEL = "ocs_testing_state";

export class TestControls {
  private readonly snapshots: SnapshotStore;
  private readonly guard: StateGuard;
  private operatorId: string | undefined;
  private listening: Listening | undefined;

  constructor(private readonly deps: ControlsDeps) {
    const { store } = deps;
    this.snapshots = store.engine === "sqlite" ? sqliteSnapshots(store.db, store.location) : postgresSnapshots(store.db);
    this.guard = { db: store.db, realClock: systemClock, driver: deps.driver };
  }

  /** PostgreSQL: listens for another replica's restore or reset. */
  start(): void {
    const { store } = this.deps;
    if (store.listen) this.listening = store.listen(STATE_CHANNEL, { notified: () => void this.afterReplace().catch(() => undefined), connected: () => undefined });
  }

  async close(): Promise<void> {
    await this.listening?.close();
  }

  get clock(): TestingClock {
    return this.deps.clock;
  }

  /** Whether `accountId` is the operator's (default) account: the only one the controls answer. */
  async isOperator(accountId: string): Promise<boolean> {
    if (this.operatorId === undefined) {
      const row = await this.deps.store.db.selectFrom("accounts").select("id").where("name", "=", DEFAULT_ACCOUNT).executeTakeFirst();
      this.operatorId = row?.id;
    }
    return accountId === this.operatorId;
  }

  /** Before a call on PostgreSQL: the offset another replica may have moved. */
  async follow(): Promise<void> {
    if (this.deps.store.engine === "postgres") await this.deps.clock.refresh();
  }

  advance(ms: number): Promise<AdvanceReport> {
    const work = this.deps.work;
    if (!work) throw new Error("the test controls are not wired to the operations yet");
    return advanceClock({ ...work, db: this.deps.store.db, clock: this.deps.clock }, ms);
  }

  save(name: string, overwrite: boolean): Promise<SnapshotRecord> {
    return saveSnapshot(this.guard, this.snapshots, this.deps.clock, name, overwrite);
  }

  async restore(name: string): Promise<void> {
    await restoreSnapshot(this.guard, this.snapshots, name);
    await this.afterReplace();
    await this.announce();
  }

  list(): Promise<SnapshotRecord[]> {
    return listSnapshots(this.deps.store.db);
  }

  remove(name: string): Promise<void> {
    return deleteSnapshot(this.deps.store.db, this.snapshots, name);
  }

  async reset(): Promise<void> {
    await whenQuiet(this.guard, "ResetCompShareState");
    const { store, catalog, initialBalanceCents, driver } = this.deps;
    // The time of a fresh server: the clock without its offset.
    await resetState({ db: store.db, engine: store.engine, catalog, fleet: driver === "simulated", initialBalanceCents }, this.deps.clock.now() - this.deps.clock.offsetMs);
    await this.afterReplace();
    await this.announce();
  }

  /** After the state was replaced: the clock follows the offset it holds, the event fan-out its log. */
  private async afterReplace(): Promise<void> {
    await this.deps.clock.refresh();
    await this.deps.hub.rewind();
  }

  /** Tells the other replicas (PostgreSQL) that the state was replaced: they follow it too. */
  private async announce(): Promise<void> {
    if (this.deps.store.engine === "postgres") await sql`select pg_notify(${STATE_CHANNEL}, '')`.execute(this.deps.store.db);
  }
}
