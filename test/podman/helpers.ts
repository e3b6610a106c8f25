/**
 * What the podman suites share: a real OCI registry (Debian's docker-registry, CNCF distribution)
 * on a free loopback port with its own storage, the base image (`npm run base-image`'s root file
 * system, built once and cached) pushed into it, an images folder naming it, and the backend
 * settings this machine needs (`OCS_PODMAN_RUNTIME`, `OCS_PODMAN_RUN_ARGS`, as the agent reads them).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BASE_IMAGE_ID, buildRootfs, pushBase, register } from "../../scripts/base-image/build.js";
import { freePort } from "../../scripts/free-port.js";

const run = promisify(execFile);

/** The podman settings of this machine, as CI gives them (runc; ulimits the agent may set). */
export const PODMAN_RUNTIME = process.env.OCS_PODMAN_RUNTIME ?? "runc";
export const PODMAN_RUN_ARGS = (process.env.OCS_PODMAN_RUN_ARGS ?? "--ulimit nofile=1024:1024 --ulimit nproc=4096:4096").split(/\s+/).filter(Boolean);

export interface TestRegistry {
  url: string;
  host: string;
  stop(): Promise<void>;
}

/** Starts docker-registry on a free loopback port, storing under `dir`. */
export async function startRegistry(dir: string): Promise<TestRegistry> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "config.yml");
  writeFileSync(config, `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/v2/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The base image's root file system, built once per machine (cached like the guest image). */
export function baseRootfs(): Promise<string> {
  const cache = process.env.OCS_BASE_IMAGE_CACHE ?? "/tmp/ocs-base-image";
  return buildRootfs(cache, { log: (line) => console.log(`# base-image: ${line}`) });
}

export interface PodmanWorld {
  root: string;
  registry: TestRegistry;
  /** An images folder holding the base image under `BASE_IMAGE_ID` (and `ids`, copies of it). */
  imagesDir: string;
  reference: string;
  close(): Promise<void>;
}

/** A registry with the base image in it, and an images folder naming it under `ids` too. */
export async function podmanWorld(ids: readonly string[] = []): Promise<PodmanWorld> {
  const tar = await baseRootfs();
  const root = mkdtempSync(join(tmpdir(), "ocs-podman-"));
  const registry = await startRegistry(join(root, "registry"));
  const build = join(root, "build");
  const reference = await pushBase(tar, registry.url, build);
  await removeStorage(build);
  const imagesDir = join(root, "images");
  register(imagesDir, reference, 1);
  for (const id of ids) {
    mkdirSync(join(imagesDir, id), { recursive: true });
    writeFileSync(join(imagesDir, id, "image.json"), JSON.stringify({ kind: "container", reference, name: id, osName: "Debian 12", sshUser: "root", sizeGb: 1 }));
  }
  return {
    root,
    registry,
    imagesDir,
    reference,
    async close() {
      await registry.stop();
      await unmountUnder(root);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The global flags of a podman storage root, as the backend uses them. */
export function podmanFlags(storage: string): string[] {
  return ["--root", join(storage, "storage"), "--runroot", join(storage, "run"), "--tmpdir", join(storage, "tmp"), "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", PODMAN_RUNTIME];
}

/** Runs podman on a storage root. */
export async function podman(storage: string, args: string[]): Promise<string> {
  return (await run("podman", [...podmanFlags(storage), ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

/** Removes every container of a storage root, then the root itself (overlay mounts are let go by podman first). */
export async function removeStorage(storage: string): Promise<void> {
  await podman(storage, ["rm", "--all", "--force", "--time", "0"]).catch(() => undefined);
  await podman(storage, ["system", "reset", "--force"]).catch(() => undefined);
  rmSync(storage, { recursive: true, force: true });
}

export { BASE_IMAGE_ID };

/** Unmounts whatever is mounted under `dir` (deepest first): what a test's machines left mounted (their data disks). */
export async function unmountUnder(dir: string): Promise<void> {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) await run("umount", [p]).catch(() => undefined);
}
