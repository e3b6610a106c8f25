/**
 * The host's image store: one folder per image under the images directory, each with an
 * `image.json` (paths relative to the folder) naming a kernel, an initramfs and a qcow2 base
 * disk. Platform images are put there by `npm run guest-image` (or by hand); custom images are
 * made by snapshots. A folder is an image only once its image.json exists: a build in flight has
 * a `build.json` and a partial disk, and image.json is written last, atomically.
 */
import { existsSync, linkSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeDurably } from "../common/durable.js";
import type { BootImage } from "../backend.js";

/** image.json as stored: a BootImage with paths relative to its folder (kernel and initrd empty for a disk that boots itself; no `kind`: a VM). */
export type ImageFile = Omit<BootImage, "kind"> & { kind?: "vm" | "container" };

/** A custom image's build, as recorded in its build.json. */
export interface BuildRecord {
  imageId: string;
  /** `online`: QMP drive-backup of a running machine; `offline`: qemu-img convert of a stopped one. */
  kind: "online" | "offline";
  machineId: string;
  /** The source image (kernel, initramfs, command line and login are taken from it). */
  sourceImageId: string;
  /** The QMP job id of an online build. */
  jobId?: string;
  state: "running" | "done" | "failed";
  error?: string;
  startedAt: number;
  finishedAt?: number;
}

/** Image ids name folders: letters, digits, `.`, `_` and `-`, not starting with a dot. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The image folders under the images directory. */
export class ImageStore {
  constructor(readonly dir: string) {}

  /** Throws unless `id` can name an image folder. */
  static check(id: string): void {
    if (!ID.test(id)) throw new Error(`image id ${JSON.stringify(id)} is not valid (letters, digits, . _ -)`);
  }

  folder(id: string): string {
    ImageStore.check(id);
    return join(this.dir, id);
  }

  /** The complete images, by id. */
  list(): BootImage[] {
    if (!existsSync(this.dir)) return [];
    const out: BootImage[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (!ID.test(name)) continue;
      const image = this.get(name);
      if (image) out.push(image);
    }
    return out;
  }

  /** A complete image (its image.json read, paths made absolute), or undefined. */
  get(id: string): BootImage | undefined {
    if (!ID.test(id)) return undefined;
    const folder = join(this.dir, id);
    let file: ImageFile;
    try {
      file = JSON.parse(readFileSync(join(folder, "image.json"), "utf8")) as ImageFile;
    } catch {
      return undefined;
    }
    // A container image's folder is podman's (backends/podman), not a disk QEMU boots.
    if (file.kind === "container") return undefined;
    return {
      id,
      kind: "vm",
      name: file.name ?? id,
      osName: file.osName ?? "",
      // No kernel: the disk boots with its own bootloader (a cloud image, a CUDA image).
      kernel: file.kernel ? resolve(folder, file.kernel) : "",
      initrd: file.initrd ? resolve(folder, file.initrd) : "",
      disk: resolve(folder, file.disk),
      cmdline: file.cmdline ?? "",
      sshUser: file.sshUser ?? "root",
      sizeGb: Number(file.sizeGb ?? 0),
    };
  }

  /** The build record of a custom image, if it was (or is being) made here. */
  build(id: string): BuildRecord | undefined {
    if (!ID.test(id)) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.dir, id, "build.json"), "utf8")) as BuildRecord;
    } catch {
      return undefined;
    }
  }

  /** Records a build durably. */
  saveBuild(record: BuildRecord): void {
    mkdirSync(this.folder(record.imageId), { recursive: true });
    writeDurably(join(this.folder(record.imageId), "build.json"), `${JSON.stringify(record, null, 2)}\n`);
  }

  /** Where a build writes its disk until it is complete. */
  partialDisk(id: string): string {
    return join(this.folder(id), "disk.partial.qcow2");
  }

  /**
   * Makes a custom image complete: the copied disk takes its final name, the source's kernel and
   * initramfs are linked (or copied) beside it, and image.json is written last.
   */
  finish(id: string, source: BootImage, sizeGb: number): BootImage {
    const folder = this.folder(id);
    renameSync(this.partialDisk(id), join(folder, "disk.qcow2"));
    for (const [from, name] of [
      [source.kernel, "kernel"],
      [source.initrd, "initrd.img"],
    ] as const) {
      if (!from) continue;
      const to = join(folder, name);
      rmSync(to, { force: true });
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
    const file: ImageFile = {
      id,
      kind: "vm",
      name: id,
      osName: source.osName,
      kernel: source.kernel ? "kernel" : "",
      initrd: source.initrd ? "initrd.img" : "",
      disk: "disk.qcow2",
      cmdline: source.cmdline,
      sshUser: source.sshUser,
      sizeGb,
    };
    writeDurably(join(folder, "image.json"), `${JSON.stringify(file, null, 2)}\n`);
    return this.get(id) as BootImage;
  }

  /** Removes an image's folder. Idempotent. */
  remove(id: string): void {
    const folder = this.folder(id);
    if (!existsSync(folder)) return;
    // Rename first so a half-removed folder never looks like an image.
    const trash = join(this.dir, `.deleted-${id}-${process.pid}-${Date.now()}`);
    renameSync(folder, trash);
    rmSync(trash, { recursive: true, force: true });
  }
}
