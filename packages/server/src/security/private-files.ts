/**
 * What the server keeps on disk is for its own user only: the data directory 0700, and the
 * SQLite database with its WAL and shared-memory files 0600, like master.key. The secrets in the
 * database are sealed, but its instances, ledger and events are not for other local users.
 *
 * A directory made before the server (by `npm run guest-image`, by hand) is tightened at start.
 * A sticky directory (/tmp) is shared by design and left alone, as is anything not ours.
 */
import { chmodSync, closeSync, existsSync, openSync, statSync } from "node:fs";

const OTHERS = 0o077;
const STICKY = 0o1000;

/** Narrows `path` to `mode` when group or others may use it and this process owns it. */
function narrow(path: string, mode: number): void {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return;
  }
  if ((stat.mode & OTHERS) === 0 || (stat.mode & STICKY) !== 0) return;
  if (typeof process.getuid === "function" && stat.uid !== process.getuid()) return;
  chmodSync(path, mode);
}

/** The data directory: 0700 when it is this process's own. */
export function keepDirectoryPrivate(dir: string): void {
  narrow(dir, 0o700);
}

/**
 * The SQLite file, created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
 * database file's mode), and an existing one with its companions narrowed to 0600.
 */
export function keepDatabasePrivate(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) narrow(path, 0o600);
}
