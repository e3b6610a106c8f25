/**
 * Assembles the guest from unpacked Debian packages: the root file system tree (busybox with its
 * applets, qemu-ga and dropbear with exactly the shared libraries they need, the boot scripts)
 * and the initramfs (static busybox, the virtio and ext4 modules in dependency order).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import type { CpioEntry } from "./cpio.js";
import { moduleInfo, neededLibraries } from "./elf.js";
import { INITRAMFS_INIT, ROOT_SCRIPTS, etcFiles } from "./guest-files.js";

/** Where shared libraries live in an unpacked Debian package. */
const LIB_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib"];
/** The dynamic loader, as binaries name it (PT_INTERP). */
const LOADER = "ld-linux-x86-64.so.2";
/** Loaded by glibc at run time (pthread_cancel, unwinding), so not in any DT_NEEDED. */
const DLOPENED = ["libgcc_s.so.1"];
/** The binaries the guest runs from packages other than busybox. */
const BINARIES = ["usr/sbin/qemu-ga", "usr/sbin/dropbear", "usr/bin/dropbearkey"];
/** The modules the initramfs loads (with their dependencies), so the root disk can be mounted. */
export const INITRD_MODULES = ["virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "crc32c_generic", "ext4"];
/** The modules the root file system keeps for its boot script (the ACPI power button). */
const ROOT_MODULES = ["button", "evdev"];

/** Follows symlinks inside an unpacked tree (absolute targets are taken relative to the tree). */
function resolveInTree(tree: string, rel: string): string | undefined {
  let cur = rel;
  for (let hops = 0; hops < 16; hops++) {
    const full = join(tree, cur);
    if (!existsSync(full) && !isLink(full)) return undefined;
    if (!isLink(full)) return full;
    const target = readlinkSync(full);
    cur = target.startsWith("/") ? target.slice(1) : posix.join(posix.dirname(cur), target);
  }
  return undefined;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Finds a soname in the unpacked library packages. */
function findLibrary(trees: string[], soname: string): string | undefined {
  for (const tree of trees) {
    for (const dir of LIB_DIRS) {
      const found = resolveInTree(tree, `${dir}/${soname}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Copies each binary and the closure of its DT_NEEDED libraries; fails naming any library no package provides. */
function installBinariesWithLibraries(rootfs: string, binaryTrees: string[], libTrees: string[]): string[] {
  const libDir = join(rootfs, "usr/lib/x86_64-linux-gnu");
  mkdirSync(libDir, { recursive: true });
  const queue: Array<{ soname: string; by: string }> = DLOPENED.map((soname) => ({ soname, by: "glibc (dlopen)" }));
  for (const bin of BINARIES) {
    const tree = binaryTrees.find((t) => resolveInTree(t, bin));
    const src = tree && resolveInTree(tree, bin);
    if (!src) throw new Error(`no package provides ${bin}`);
    mkdirSync(dirname(join(rootfs, bin)), { recursive: true });
    copyFileSync(src, join(rootfs, bin));
    chmodSync(join(rootfs, bin), 0o755);
    for (const soname of neededLibraries(src)) queue.push({ soname, by: bin });
  }
  const done = new Set<string>();
  while (queue.length > 0) {
    const { soname, by } = queue.shift() as { soname: string; by: string };
    if (done.has(soname)) continue;
    done.add(soname);
    const src = findLibrary(libTrees, soname);
    if (!src) throw new Error(`${soname}, needed by ${by}, is in none of the guest's packages: add its package to LIBRARY_PACKAGES`);
    copyFileSync(src, join(libDir, soname));
    for (const next of neededLibraries(src)) queue.push({ soname: next, by: soname });
  }
  if (!done.has(LOADER)) throw new Error(`no binary needs ${LOADER}: unexpected`);
  mkdirSync(join(rootfs, "usr/lib64"), { recursive: true });
  symlinkSync(`../lib/x86_64-linux-gnu/${LOADER}`, join(rootfs, "usr/lib64", LOADER));
  return [...done].sort();
}

/** The kernel modules of an unpacked kernel package, by name (`-` and `_` are the same in module names). */
export function moduleIndex(kernelTree: string, kver: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (lstatSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".ko")) index.set(name.slice(0, -3).replace(/-/g, "_"), full);
    }
  };
  walk(join(kernelTree, "lib/modules", kver, "kernel"));
  return index;
}

/** The modules `wanted` and everything they depend on, dependencies first. */
export function withDependencies(index: Map<string, string>, wanted: string[]): Array<{ name: string; path: string }> {
  const order: Array<{ name: string; path: string }> = [];
  const seen = new Set<string>();
  const visit = (name: string, chain: string[]): void => {
    const key = name.replace(/-/g, "_");
    if (seen.has(key)) return;
    const path = index.get(key);
    if (!path) throw new Error(`kernel module ${key} (wanted by ${chain.join(" <- ") || "the image"}) is not in the kernel package (built in?)`);
    seen.add(key);
    for (const [field, value] of moduleInfo(path)) {
      if (field !== "depends") continue;
      for (const dep of value.split(",").filter(Boolean)) visit(dep, [key, ...chain]);
    }
    order.push({ name: key, path });
  };
  for (const w of wanted) visit(w, []);
  return order;
}

/** The initramfs: static busybox, /init, /dev/console, and the modules to mount the root disk. */
export function initramfsEntries(busybox: string, modules: Array<{ name: string; path: string }>): CpioEntry[] {
  const entries: CpioEntry[] = [];
  for (const dir of ["bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules", "tmp"]) entries.push({ kind: "dir", path: dir });
  entries.push({ kind: "char", path: "dev/console", major: 5, minor: 1 });
  entries.push({ kind: "char", path: "dev/null", major: 1, minor: 3, mode: 0o666 });
  entries.push({ kind: "file", path: "bin/busybox", data: readFileSync(busybox), mode: 0o755 });
  entries.push({ kind: "symlink", path: "bin/sh", target: "busybox" });
  entries.push({ kind: "file", path: "init", data: Buffer.from(INITRAMFS_INIT), mode: 0o755 });
  for (const m of modules) entries.push({ kind: "file", path: `lib/modules/${m.name}.ko`, data: readFileSync(m.path) });
  entries.push({ kind: "file", path: "modules.order", data: Buffer.from(modules.map((m) => `${m.name}.ko\n`).join("")) });
  return entries;
}

/** What the root file system is assembled from. */
export interface RootfsInput {
  rootfs: string;
  busybox: string;
  /** Unpacked trees of the packages holding BINARIES. */
  binaryTrees: string[];
  /** Unpacked trees of the library packages. */
  libTrees: string[];
  kver: string;
  modules: Map<string, string>;
  rootHash: string;
}

/** Writes the root file system tree (merged /usr, as Debian 12 has it); returns the libraries it took. */
export function buildRootfs(input: RootfsInput): string[] {
  const { rootfs } = input;
  for (const dir of ["usr/bin", "usr/sbin", "usr/lib", "etc/init.d", "etc/ocs", "etc/dropbear", "etc/acpi/PWRF", "dev", "proc", "sys", "run", "tmp", "mnt", "var/lib", "var/log", "root"]) {
    mkdirSync(join(rootfs, dir), { recursive: true });
  }
  chmodSync(join(rootfs, "tmp"), 0o1777);
  chmodSync(join(rootfs, "root"), 0o700);
  for (const [link, target] of [["bin", "usr/bin"], ["sbin", "usr/sbin"], ["lib", "usr/lib"], ["lib64", "usr/lib64"], ["var/run", "../run"], ["etc/resolv.conf", "../run/resolv.conf"]] as const) {
    symlinkSync(target, join(rootfs, link));
  }

  copyFileSync(input.busybox, join(rootfs, "usr/bin/busybox"));
  chmodSync(join(rootfs, "usr/bin/busybox"), 0o755);
  const applets = execFileSync(input.busybox, ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean);
  const libs = installBinariesWithLibraries(rootfs, input.binaryTrees, input.libTrees);
  for (const applet of applets) {
    // Merged /usr: bin/x and sbin/x go to usr/bin/x and usr/sbin/x.
    const path = applet.startsWith("usr/") ? applet : `usr/${applet}`;
    const full = join(rootfs, path);
    if (existsSync(full) || isLink(full) || path === "usr/bin/busybox") continue;
    mkdirSync(dirname(full), { recursive: true });
    symlinkSync("/usr/bin/busybox", full);
  }

  for (const [path, file] of Object.entries(etcFiles(input.rootHash))) {
    writeFileSync(join(rootfs, path), file.text);
    chmodSync(join(rootfs, path), file.mode);
  }
  for (const [path, text] of Object.entries(ROOT_SCRIPTS)) {
    mkdirSync(dirname(join(rootfs, path)), { recursive: true });
    // Ours win over busybox applets of the same name (none today, but keep it so).
    if (isLink(join(rootfs, path))) throw new Error(`${path} collides with a busybox applet`);
    writeFileSync(join(rootfs, path), text);
    chmodSync(join(rootfs, path), 0o755);
  }

  const moduleDir = join(rootfs, "usr/lib/modules", input.kver);
  mkdirSync(moduleDir, { recursive: true });
  for (const m of withDependencies(input.modules, ROOT_MODULES)) copyFileSync(m.path, join(moduleDir, `${m.name}.ko`));
  return libs;
}

