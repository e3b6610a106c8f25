/**
 * Podman through its command line. Why the CLI and not the REST socket: the socket is a service
 * (`podman system service`) that something must keep running, which gives back the daemon podman
 * is chosen to avoid; each CLI call is a process with an exit status, its errors are the text
 * an operator sees at a shell, and Debian's podman 4.3 documents it as the stable interface.
 * A call costs about 0.1 s of process start, which lifecycle actions can afford.
 *
 * Every call carries the agent's global flags: its own storage root (so two agents on one box
 * are two hosts, and an operator's own containers are never touched), the runtime the host
 * needs, cgroupfs and a file event log (no systemd or journald is assumed).
 */
import { execFile, spawn } from "node:child_process";
import { throwIfAborted } from "../common/waits.js";

/** A podman call that failed: its arguments, exit code and what it wrote to stderr. */
export class PodmanError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`podman ${args.slice(0, 2).join(" ")} failed (exit ${code ?? "signal"}): ${stderr.trim().split("\n").at(-1) ?? ""}`);
  }
}

/** What `podman container inspect` says of a container that matters here. */
export interface ContainerState {
  running: boolean;
  pid: number;
  startedAt: string;
  /** NanoCpus and Memory (bytes) it was created with: 0 when unlimited. */
  nanoCpus: number;
  memory: number;
}

export class PodmanCli {
  constructor(
    readonly binary: string,
    readonly globalArgs: readonly string[],
  ) {}

  /** Runs `podman ARGS`, answering stdout; rejects with a PodmanError, or when `signal` aborts (the process is killed). */
  run(args: readonly string[], signal: AbortSignal, input?: string): Promise<string> {
    throwIfAborted(signal);
    const all = [...this.globalArgs, ...args];
    if (input === undefined) {
      return new Promise((resolve, reject) => {
        execFile(this.binary, all, { signal, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
          if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
          if (error) return reject(new PodmanError(args, typeof error.code === "number" ? error.code : null, stderr || error.message));
          resolve(stdout);
        });
      });
    }
    // Input (a password) goes through stdin, never the command line.
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, all, { signal, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", (error) => reject(signal.aborted ? (signal.reason instanceof Error ? signal.reason : new Error("aborted")) : error));
      child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new PodmanError(args, code, stderr))));
      child.stdin.end(input);
    });
  }

  /** Whether a container of that name exists. */
  async containerExists(name: string, signal: AbortSignal): Promise<boolean> {
    return this.run(["container", "exists", name], signal).then(
      () => true,
      (error: unknown) => {
        if (error instanceof PodmanError && error.code === 1) return false;
        throw error;
      },
    );
  }

  /** Whether an image of that reference is in this host's storage. */
  async imageExists(reference: string, signal: AbortSignal): Promise<boolean> {
    return this.run(["image", "exists", reference], signal).then(
      () => true,
      (error: unknown) => {
        if (error instanceof PodmanError && error.code === 1) return false;
        throw error;
      },
    );
  }

  /** Removes an image from this host's storage unless a container or image still uses it (the registry keeps it). */
  async releaseImage(reference: string, signal: AbortSignal): Promise<void> {
    await this.run(["rmi", "--ignore", reference], signal).catch((error: unknown) => {
      if (!(error instanceof PodmanError && /in use|being used|has dependent/i.test(error.stderr))) throw error;
    });
  }

  /** The container's state, or undefined when it does not exist. */
  async inspect(name: string, signal: AbortSignal): Promise<ContainerState | undefined> {
    let out: string;
    try {
      out = await this.run(["container", "inspect", "--format", "{{.State.Running}} {{.State.Pid}} {{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.State.StartedAt}}", name], signal);
    } catch (error) {
      if (error instanceof PodmanError && /no such container/i.test(error.stderr)) return undefined;
      throw error;
    }
    const [running, pid, nanoCpus, memory, ...started] = out.trim().split(" ");
    return { running: running === "true", pid: Number(pid), nanoCpus: Number(nanoCpus), memory: Number(memory), startedAt: started.join(" ") };
  }

  /** The names of the containers labelled `label=value` (this agent's). */
  async containersLabelled(label: string, signal: AbortSignal): Promise<string[]> {
    const out = await this.run(["ps", "--all", "--filter", `label=${label}`, "--format", "{{.Names}}"], signal);
    return out.split("\n").filter(Boolean);
  }
}
