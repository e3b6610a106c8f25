/**
 * Debian packages for the guest, without root: `apt-cache` resolves versions, `apt-get download`
 * fetches the .deb files into a cache directory (kept between builds), and `dpkg-deb -x`
 * unpacks each one into a cached tree of its own.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A package as apt knows it, and where its unpacked tree is. */
export interface Package {
  name: string;
  version: string;
  arch: string;
  /** The file name `apt-get download` gives it. */
  deb: string;
}

async function apt(cmd: string, args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: "C" } });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${(e.stderr ?? e.message).trim()}`, { cause: error });
  }
}

/** The versioned kernel package a meta-package such as `linux-image-amd64` depends on. */
export async function kernelPackage(meta: string): Promise<string> {
  const out = await apt("apt-cache", ["depends", "--no-recommends", "--no-suggests", meta]);
  const dep = /Depends:\s*(linux-image-\d\S*)/.exec(out)?.[1];
  if (!dep) throw new Error(`apt-cache depends ${meta}: no versioned linux-image dependency in:\n${out}`);
  return dep;
}

/** The candidate version of each package, as `apt-cache show` reports it. */
export async function resolve(names: string[]): Promise<Package[]> {
  const out = await apt("apt-cache", ["show", "--no-all-versions", ...names]);
  const found = new Map<string, Package>();
  for (const stanza of out.split(/\n\s*\n/)) {
    const field = (f: string) => new RegExp(`^${f}: (.*)$`, "m").exec(stanza)?.[1]?.trim();
    const name = field("Package");
    const version = field("Version");
    const arch = field("Architecture");
    if (!name || !version || !arch || found.has(name)) continue;
    found.set(name, { name, version, arch, deb: `${name}_${version.replace(/:/g, "%3a")}_${arch}.deb` });
  }
  return names.map((n) => {
    const p = found.get(n);
    if (!p) throw new Error(`apt-cache show: package ${n} not found (is apt-get update needed?)`);
    return p;
  });
}

/** Downloads the packages missing from `cacheDir`; returns how many were fetched. */
export async function download(packages: Package[], cacheDir: string): Promise<number> {
  mkdirSync(cacheDir, { recursive: true });
  const missing = packages.filter((p) => !existsSync(join(cacheDir, p.deb)));
  if (missing.length === 0) return 0;
  await apt(
    "apt-get",
    ["download", "-q", ...missing.map((p) => `${p.name}=${p.version}`)],
    cacheDir,
  );
  for (const p of missing) {
    if (!existsSync(join(cacheDir, p.deb))) throw new Error(`apt-get download did not leave ${p.deb} in ${cacheDir}`);
  }
  return missing.length;
}

/** Unpacks a package into `${extractDir}/${deb}/` once (a `.done` stamp marks a complete tree); returns the tree. */
export async function extract(p: Package, cacheDir: string, extractDir: string): Promise<string> {
  const tree = join(extractDir, p.deb.replace(/\.deb$/, ""));
  if (existsSync(join(tree, ".done"))) return tree;
  const partial = `${tree}.partial`;
  rmSync(partial, { recursive: true, force: true });
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  await apt("dpkg-deb", ["-x", join(cacheDir, p.deb), partial]);
  writeFileSync(join(partial, ".done"), `${p.name} ${p.version}\n`);
  renameSync(partial, tree);
  return tree;
}
