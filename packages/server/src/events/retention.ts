/** Retention of the event log: events older than the configured hours are deleted, oldest first, in batches. */
import type { Clock } from "../clock.js";
import { pruneEvents } from "../store/repositories/events.js";
import type { Db } from "../store/schema.js";

const BATCH = 5000;
/** Batches one pass deletes at most, so that a pass never runs long; the next pass goes on. */
const MAX_BATCHES = 20;

/** Deletes what is past retention now. Returns how many events it deleted. */
export async function pruneExpiredEvents(db: Db, clock: Clock, retentionMs: number): Promise<number> {
  const cutoff = clock.now() - retentionMs;
  let deleted = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await pruneEvents(db, cutoff, BATCH);
    deleted += n;
    if (n < BATCH) break;
  }
  return deleted;
}
