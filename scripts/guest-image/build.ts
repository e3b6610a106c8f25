/**
 * `npm run guest-image`: builds the small bootable Debian 12 guest the QEMU backend and its tests
 * boot, from Debian bookworm packages and without root-only tools (no mount, losetup or
 * debootstrap): `apt-get download`, `dpkg-deb -x`, `mkfs.ext4 -d`, `qemu-img convert`, and a
 * cpio writer of its own.
 *
 *   node --import tsx scripts/guest-image/build.ts [--out DIR] [--force]
 *
 * The output folder (default `${OCS_DATA_DIR:-./data}/images/compshareImage-ocs-debian12/`)
 * holds the kernel (`vmlinux`, unpacked for a PVH boot: kernel.ts; `vmlinuz` when it cannot
 * be), `initrd.img`, `disk.qcow2` and `image.json`. Downloads and unpacked packages
 * are cached in `${OCS_DATA_DIR:-./data}/images/.cache/`; a build whose inputs have not changed
 * is skipped (`--force` rebuilds). The guest's root password is `opencompshare` unless the
 * kernel command line of its first boot has `ocs.password=BASE64` (see README.md here).
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { download, extract, kernelPackage, resolve as resolvePackages, type Package } from "./apt.js";
import { cpioGzip } from "./cpio.js";
import { unpackPvhKernel } from "./kernel.js";
import { DEFAULT_ROOT_PASSWORD } from "./guest-files.js";
import { INITRD_MODULES, buildRootfs, initramfsEntries, moduleIndex, withDependencies } from "./rootfs.js";
import type { ImageFile } from "../../packages/agent/src/backends/qemu/images.js";

const run = promisify(execFile);

/** The image's CompShareImageId and folder name. */
export const IMAGE_ID = "compshareImage-ocs-debian12";
/** Virtual size of the root disk, GB (the ext4 file system fills it). */
const DISK_GB = 2;
/** Packages whose binaries the guest runs, besides busybox. */
const BINARY_PACKAGES = ["qemu-guest-agent", "dropbear-bin"];
/** Packages the shared-library closure of those binaries is taken from (checked at build time). */
const LIBRARY_PACKAGES = [
  "libc6",
  "libgcc-s1",
  "libglib2.0-0",
  "libpcre2-8-0",
  "libudev1",
  "libnuma1",
  "liburing2",
  "libtomcrypt1",
  "libtommath1",
  "libgmp10",
  "zlib1g",
  "libcrypt1",
];

/** The image.json the QEMU backend reads (paths relative to the folder): its ImageFile. */
export type ImageJson = ImageFile;

/** Where a build writes the image and keeps its downloads. */
export interface BuildOptions {
  out: string;
  cacheDir: string;
  force?: boolean;
  log?: (line: string) => void;
}

const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;

function dataDir(): string {
  return resolve(process.env.OCS_DATA_DIR ?? "./data");
}

/** Default output folder and cache, under `${OCS_DATA_DIR:-./data}/images/`. */
export function defaultPaths(): { out: string; cacheDir: string } {
  return { out: join(dataDir(), "images", IMAGE_ID), cacheDir: join(dataDir(), "images", ".cache") };
}

/** A digest of everything the image is made from: the package files and this builder's sources. */
function inputsDigest(packages: Package[]): string {
  const h = createHash("sha256");
  for (const p of packages) h.update(`${p.deb}\n`);
  const here = fileURLToPath(new URL(".", import.meta.url));
  for (const f of readdirSync(here).filter((n) => n.endsWith(".ts")).sort()) h.update(readFileSync(join(here, f)));
  return h.digest("hex").slice(0, 16);
}

function checkTools(): void {
  for (const tool of ["apt-get", "apt-cache", "dpkg-deb", "mkfs.ext4", "qemu-img", "xz"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore", env: { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` } });
    } catch {
      const hint = { "mkfs.ext4": " (apt-get install e2fsprogs)", "qemu-img": " (apt-get install qemu-utils)", xz: " (apt-get install xz-utils)" }[tool] ?? "";
      throw new Error(`${tool} is not installed${hint}`);
    }
  }
}

/** Builds the image into `opts.out`; returns the image.json it wrote (or found up to date). */
export async function buildGuestImage(opts: BuildOptions): Promise<ImageJson> {
  const log = opts.log ?? ((line: string) => console.log(`[guest-image ${elapsed()}] ${line}`));
  checkTools();
  const kernelPkg = await kernelPackage("linux-image-amd64");
  const kver = kernelPkg.replace(/^linux-image-/, "");
  const names = ["busybox-static", kernelPkg, ...BINARY_PACKAGES, ...LIBRARY_PACKAGES];
  const packages = await resolvePackages(names);
  const digest = inputsDigest(packages);
  const stampPath = join(opts.out, ".build-stamp");
  const image: ImageJson = {
    id: IMAGE_ID,
    name: "Debian 12 (ocs guest)",
    osName: "Debian 12",
    kernel: "vmlinuz",
    initrd: "initrd.img",
    disk: "disk.qcow2",
    cmdline: "",
    sshUser: "root",
    sizeGb: DISK_GB,
  };
  if (!opts.force && existsSync(stampPath) && readFileSync(stampPath, "utf8").trim() === digest && existsSync(join(opts.out, "image.json"))) {
    log(`up to date: ${opts.out} (inputs ${digest}; --force rebuilds)`);
    return JSON.parse(readFileSync(join(opts.out, "image.json"), "utf8")) as ImageJson;
  }
  log(`kernel ${kver}; ${packages.length} packages`);

  const debs = join(opts.cacheDir, "debs");
  const fetched = await download(packages, debs);
  log(fetched > 0 ? `downloaded ${fetched} packages into ${debs}` : `all packages cached in ${debs}`);
  const trees = new Map<string, string>();
  for (const p of packages) trees.set(p.name, await extract(p, debs, join(opts.cacheDir, "extract")));
  log("packages unpacked");
  const tree = (name: string): string => trees.get(name) as string;

  const work = join(opts.cacheDir, `build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const busybox = join(tree("busybox-static"), "bin/busybox");
    const modules = moduleIndex(tree(kernelPkg), kver);

    const initrdModules = withDependencies(modules, INITRD_MODULES);
    writeFileSync(join(work, "initrd.img"), cpioGzip(initramfsEntries(busybox, initrdModules)));
    log(`initramfs: ${initrdModules.map((m) => m.name).join(" ")} (${kib(join(work, "initrd.img"))})`);

    const rootHash = execFileSync(busybox, ["mkpasswd", "-m", "sha512", "-P", "0"], { input: `${DEFAULT_ROOT_PASSWORD}\n`, encoding: "utf8" }).trim();
    const rootfs = join(work, "rootfs");
    const libs = buildRootfs({
      rootfs,
      busybox,
      binaryTrees: BINARY_PACKAGES.map(tree),
      libTrees: LIBRARY_PACKAGES.map(tree),
      kver,
      modules,
      rootHash,
    });
    log(`root file system: busybox, qemu-ga, dropbear; libraries ${libs.join(" ")}`);

    const raw = join(work, "root.ext4");
    await run("mkfs.ext4", ["-q", "-F", "-L", "ocs-root", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-d", rootfs, raw, `${DISK_GB * 1024}M`], {
      env: { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` },
    });
    log(`ext4 root file system made (${DISK_GB} GB virtual)`);
    await run("qemu-img", ["convert", "-O", "qcow2", raw, join(work, "disk.qcow2")]);
    rmSync(raw);
    log(`disk.qcow2 (${kib(join(work, "disk.qcow2"))})`);

    const vmlinuz = join(tree(kernelPkg), "boot", `vmlinuz-${kver}`);
    if (await unpackPvhKernel(vmlinuz, join(work, "vmlinux"))) {
      image.kernel = "vmlinux";
      log(`kernel unpacked for a PVH boot (${kib(join(work, "vmlinux"))})`);
    } else {
      copyFileSync(vmlinuz, join(work, "vmlinuz"));
      log("kernel: the bzImage (no XZ payload with a PVH entry to unpack)");
    }
    writeFileSync(join(work, "image.json"), `${JSON.stringify(image, null, 2)}\n`);

    mkdirSync(opts.out, { recursive: true });
    if (existsSync(join(opts.out, "disk.qcow2"))) {
      log(`replacing ${join(opts.out, "disk.qcow2")}: machines with overlays on the old disk must be reinstalled`);
    }
    rmSync(stampPath, { force: true });
    // The kernel of a previous build may have had the other name.
    for (const f of ["vmlinux", "vmlinuz"]) rmSync(join(opts.out, f), { force: true });
    for (const f of [image.kernel, "initrd.img", "disk.qcow2", "image.json"]) renameSync(join(work, f), join(opts.out, f));
    writeFileSync(stampPath, `${digest}\n`);
    log(`done: ${opts.out}`);
    return image;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function kib(path: string): string {
  return `${Math.round(statSync(path).size / 1024)} KiB`;
}

function parseArgs(argv: string[]): BuildOptions {
  const opts: BuildOptions = { ...defaultPaths() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--out") opts.out = resolve(argv[++i] ?? "");
    else if (a === "--force") opts.force = true;
    else if (a === "--help" || a === "-h") {
      console.log("usage: build.ts [--out DIR] [--force]");
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (usage: build.ts [--out DIR] [--force])`);
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  Promise.resolve()
    .then(() => buildGuestImage(parseArgs(process.argv.slice(2))))
    .catch((error: unknown) => {
      console.error(`guest-image: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
