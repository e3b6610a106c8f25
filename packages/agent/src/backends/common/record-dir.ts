/**
 * A machine's state directory, whichever backend runs it: `<root>/<id>/machine.json`, written
 * with fsync and renamed into place (so what it says survives a crash of the agent or of the
 * host), and a password waiting for the next boot (mode 0600, removed once applied). A folder
 * without machine.json is a provision that did not finish. Each backend adds its own files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeDurably } from "./durable.js";

/** What every machine record keeps: every boot id seen, oldest first (the last is the current boot's). */
export interface BootRecord {
  bootIds: string[];
}

/** How many boot ids a record keeps. */
const KEEP_BOOT_IDS = 1000;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class RecordDir<R extends BootRecord> {
  readonly dir: string;

  constructor(
    root: string,
    readonly id: string,
  ) {
    RecordDir.check(id);
    this.dir = join(root, id);
  }

  /** Throws unless `id` can name a machine folder. */
  static check(id: string): void {
    if (!ID.test(id)) throw new Error(`machine id ${JSON.stringify(id)} is not valid (letters, digits, . _ -)`);
  }

  get json(): string {
    return join(this.dir, "machine.json");
  }
  /** A password waiting for the next boot (mode 0600; removed once applied). */
  get pendingPassword(): string {
    return join(this.dir, "password.pending");
  }

  exists(): boolean {
    return existsSync(this.json);
  }

  read(): R | undefined {
    try {
      return JSON.parse(readFileSync(this.json, "utf8")) as R;
    } catch {
      return undefined;
    }
  }

  /** Writes machine.json durably. */
  write(record: R): void {
    mkdirSync(this.dir, { recursive: true });
    if (record.bootIds.length > KEEP_BOOT_IDS) record.bootIds = record.bootIds.slice(-KEEP_BOOT_IDS);
    writeDurably(this.json, `${JSON.stringify(record, null, 2)}\n`);
  }

  /** Reads, changes and writes machine.json; throws when the machine does not exist. */
  update(change: (r: R) => void): R {
    const r = this.read();
    if (!r) throw new Error(`machine ${this.id} does not exist`);
    change(r);
    this.write(r);
    return r;
  }

  /** Stores a password for the next boot, readable by the agent's user only. */
  setPendingPassword(password: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeDurably(this.pendingPassword, password, 0o600);
  }

  takePendingPassword(): string | undefined {
    try {
      return readFileSync(this.pendingPassword, "utf8");
    } catch {
      return undefined;
    }
  }

  clearPendingPassword(): void {
    rmSync(this.pendingPassword, { force: true });
  }

  /** Moves the directory aside and removes it (the machine is absent from the rename on). */
  remove(): void {
    if (!existsSync(this.dir)) return;
    const trash = join(this.dir, "..", `.deleted-${this.id}-${process.pid}-${Date.now()}`);
    renameSync(this.dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }
}

/** The machine ids under `root` (folders with a machine.json). */
export function listRecords(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => !name.startsWith(".") && existsSync(join(root, name, "machine.json")))
    .sort();
}

/** Removes leftovers of interrupted removals (`.deleted-*`) under `root`. */
export function sweepDeleted(root: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    if (name.startsWith(".deleted-")) rmSync(join(root, name), { recursive: true, force: true });
  }
}
