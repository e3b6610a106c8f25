/**
 * One server per embedded data directory: `ocs.pid` holds the owner's pid. A stale file (its
 * process is gone, e.g. after kill -9) is taken over. Owning the directory is what lets recovery
 * resume a previous process's operations at once instead of waiting for their leases.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, "ocs.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(file, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`another ocs server (pid ${pid}) uses the data directory ${dataDir}`, { cause: error });
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock the data directory ${dataDir}`);
}
