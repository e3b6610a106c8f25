/**
 * The agent's fence store: per instance, the highest epoch it has seen and what became of each
 * command, written durably (write to a temporary file, fsync, rename, fsync the folder) before
 * the agent acts and after it has. After a crash it knows which commands ran, which were cut
 * short, and which epoch a late command from a stale replica would have to beat.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { CommandError } from "@opencompshare/protocol";

export type CommandRecord =
  | { status: "started"; at: number }
  | { status: "done"; at: number; value: unknown }
  | { status: "failed"; at: number; error: CommandError };

export interface FenceRecord {
  /** The highest epoch seen for the instance. */
  epoch: number;
  /** Command id → what became of it; the newest `KEEP` are kept. */
  commands: Record<string, CommandRecord>;
}

/** Commands remembered per instance: far more than redeliveries can reach back. */
const KEEP = 256;
/** The record of calls that belong to no instance (image and disk work outside an operation). */
export const HOST_KEY = "_host";

const SAFE = /^[A-Za-z0-9_.-]{1,128}$/;

export class FenceStore {
  private readonly dir: string;
  /** Serializes read-modify-write per key within this process. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, "fence");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  read(key: string): FenceRecord {
    try {
      return JSON.parse(readFileSync(this.file(key), "utf8")) as FenceRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { epoch: 0, commands: {} };
      throw error;
    }
  }

  /** Applies `change` to the key's record and writes it durably, one change at a time per key. */
  update<T>(key: string, change: (r: FenceRecord) => T): Promise<T> {
    const run = async () => {
      const record = this.read(key);
      const out = change(record);
      const ids = Object.keys(record.commands);
      if (ids.length > KEEP) {
        const oldest = ids.sort((a, b) => (record.commands[a]?.at ?? 0) - (record.commands[b]?.at ?? 0)).slice(0, ids.length - KEEP);
        for (const id of oldest) delete record.commands[id];
      }
      this.write(key, record);
      return out;
    };
    const next = (this.chains.get(key) ?? Promise.resolve()).then(run, run);
    this.chains.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  /** The keys with a record (instances the agent has acted on). */
  keys(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5));
  }

  private file(key: string): string {
    if (!SAFE.test(key)) throw new Error(`fence store: bad key ${JSON.stringify(key)}`);
    return join(this.dir, `${key}.json`);
  }

  private write(key: string, record: FenceRecord): void {
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, JSON.stringify(record));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
