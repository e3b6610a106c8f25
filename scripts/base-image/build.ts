/**
 * `npm run base-image`: the Debian 12 base image container instances start from, built from
 * Debian's packages and pushed to the operator's OCI registry.
 *
 *   OCS_REGISTRY=http://127.0.0.1:5000 npm run base-image [-- --force]
 *
 * 1. `mmdebstrap --variant=minbase` makes a root file system of bookworm with what a GPU user
 *    expects to find at a shell: openssh-server, python3 with pip and venv, curl and
 *    ca-certificates, procps, iproute2, less and an editor. Cached as a tar in
 *    `${OCS_DATA_DIR:-./data}/base-image/`; `--force` rebuilds it.
 * 2. `podman import` turns it into an image (in a storage root of the build's own), and
 *    `podman push` sends it to `OCS_REGISTRY` as `ocs/base-debian12:latest`.
 * 3. It is registered as a platform container image: `images/compshareImage-debian12-base/image.json`
 *    (`"kind": "container"`), which the podman backend offers and the control plane lists as a
 *    base image (ImageType App, Container "True"). Nothing of opencompshare's is inside the image:
 *    the agent mounts its init (sshd on port 23, the boot id) when it runs a container.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const BASE_IMAGE_ID = "compshareImage-debian12-base";
export const BASE_REPOSITORY = "ocs/base-debian12:latest";
const PACKAGES = ["openssh-server", "python3", "python3-pip", "python3-venv", "ca-certificates", "curl", "procps", "iproute2", "less", "nano"];

/** The registry setting as podman names it: `host:port[/prefix]`, and whether it speaks TLS. */
export function registryTarget(setting: string): { host: string; tls: boolean } {
  const m = /^(?:(https?):\/\/)?(.+?)\/*$/.exec(setting.trim());
  if (!m) throw new Error(`OCS_REGISTRY must be a registry address such as http://127.0.0.1:5000, got ${JSON.stringify(setting)}`);
  return { host: m[2] as string, tls: m[1] !== "http" };
}

/** Builds (or reuses) the root file system tar; answers its path. */
export async function buildRootfs(cacheDir: string, opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<string> {
  const tar = join(cacheDir, "debian12-base.tar");
  if (existsSync(tar) && !opts.force) return tar;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${tar}.partial`;
  rmSync(partial, { force: true });
  opts.log?.(`mmdebstrap bookworm (${PACKAGES.join(", ")})`);
  const started = Date.now();
  await run("mmdebstrap", ["--variant=minbase", "--format=tar", `--include=${PACKAGES.join(",")}`, "bookworm", partial], { maxBuffer: 64 * 1024 * 1024 });
  renameSync(partial, tar);
  opts.log?.(`root file system: ${Math.round(statSync(tar).size / 1024 / 1024)} MB in ${Math.round((Date.now() - started) / 1000)} s`);
  return tar;
}

/** Imports the tar and pushes it to the registry; answers the reference hosts pull. */
export async function pushBase(tar: string, registry: string, storage: string, log?: (line: string) => void): Promise<string> {
  const { host, tls } = registryTarget(registry);
  const reference = `${host}/${BASE_REPOSITORY}`;
  const podman = ["--root", join(storage, "storage"), "--runroot", join(storage, "run"), "--tmpdir", join(storage, "tmp"), "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
  mkdirSync(storage, { recursive: true });
  const started = Date.now();
  await run("podman", [...podman, "import", "--quiet", "--change", "ENV LANG=C.UTF-8", tar, reference], { maxBuffer: 16 * 1024 * 1024 });
  await run("podman", [...podman, "push", "--quiet", `--tls-verify=${tls}`, reference], { maxBuffer: 16 * 1024 * 1024 });
  log?.(`pushed ${reference} in ${Math.round((Date.now() - started) / 1000)} s`);
  return reference;
}

/** Writes the platform image's image.json into the images folder. */
export function register(imagesDir: string, reference: string, sizeBytes: number): string {
  const folder = join(imagesDir, BASE_IMAGE_ID);
  mkdirSync(folder, { recursive: true });
  const image = { kind: "container", reference, name: "Debian 12 base (container)", osName: "Debian 12", sshUser: "root", sizeGb: Math.max(1, Math.ceil(sizeBytes / 1024 ** 3)) };
  writeFileSync(join(folder, "image.json"), `${JSON.stringify(image, null, 2)}\n`);
  return folder;
}

async function main(): Promise<void> {
  const registry = process.env.OCS_REGISTRY;
  if (!registry) throw new Error("set OCS_REGISTRY to the registry to push to, such as http://127.0.0.1:5000 (docs/operating.md starts one)");
  const data = resolve(process.env.OCS_DATA_DIR ?? "./data");
  const cache = join(data, "base-image");
  const log = (line: string) => console.log(`base-image: ${line}`);
  const tar = await buildRootfs(cache, { force: process.argv.includes("--force"), log });
  const reference = await pushBase(tar, registry, join(cache, "podman"), log);
  const folder = register(resolve(process.env.OCS_IMAGES_DIR ?? join(data, "images")), reference, statSync(tar).size);
  log(`registered ${BASE_IMAGE_ID} in ${folder}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`base-image: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
