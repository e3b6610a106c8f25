/** qemu-img: overlays on a base image, empty data disks, growing a disk, and flattening copies with progress. */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { abortReason } from "../common/waits.js";

const run = promisify(execFile);
const GB = 1024 ** 3;

/** What `qemu-img info` says of an image. */
export interface ImageInfo {
  virtualSize: number;
  actualSize: number;
  format: string;
  backingFile?: string;
}

/** The qemu-img operations the backend uses. */
export class QemuImg {
  constructor(readonly binary = "qemu-img") {}

  private async exec(args: string[], signal?: AbortSignal): Promise<string> {
    try {
      const { stdout } = await run(this.binary, args, { signal, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      const e = error as { stderr?: string; message: string };
      throw new Error(`qemu-img ${args[0]}: ${(e.stderr || e.message).trim()}`, { cause: error });
    }
  }

  /** Reads an image's sizes and backing file (`-U`: also while QEMU has it open). */
  async info(path: string, signal?: AbortSignal): Promise<ImageInfo> {
    const out = JSON.parse(await this.exec(["info", "-U", "--output=json", path], signal)) as {
      "virtual-size": number;
      "actual-size"?: number;
      format: string;
      "full-backing-filename"?: string;
      "backing-filename"?: string;
    };
    return {
      virtualSize: out["virtual-size"],
      actualSize: out["actual-size"] ?? 0,
      format: out.format,
      backingFile: out["full-backing-filename"] ?? out["backing-filename"],
    };
  }

  /** A qcow2 overlay on `base`, at least `sizeGb` (never smaller than the base). */
  async createOverlay(base: string, path: string, sizeGb: number, signal?: AbortSignal): Promise<void> {
    const baseInfo = await this.info(base, signal);
    const size = Math.max(baseInfo.virtualSize, Math.round(sizeGb * GB));
    await this.exec(["create", "-q", "-f", "qcow2", "-F", baseInfo.format, "-b", base, path, String(size)], signal);
  }

  /** An empty qcow2 disk of `sizeGb`. */
  async createDisk(path: string, sizeGb: number, signal?: AbortSignal): Promise<void> {
    await this.exec(["create", "-q", "-f", "qcow2", path, String(Math.round(sizeGb * GB))], signal);
  }

  /** Grows an image to `sizeGb`; refuses to shrink. Returns whether it grew. */
  async grow(path: string, sizeGb: number, signal?: AbortSignal): Promise<boolean> {
    const info = await this.info(path, signal);
    const want = Math.round(sizeGb * GB);
    if (want < info.virtualSize) throw new Error(`${path} is ${(info.virtualSize / GB).toFixed(1)} GB: disks are never shrunk (asked for ${sizeGb} GB)`);
    if (want === info.virtualSize) return false;
    await this.exec(["resize", "-q", "-f", info.format, path, String(want)], signal);
    return true;
  }

  /** Copies `src` (with its whole backing chain) into a standalone qcow2 at `dst`, reporting 0–100; `rate` limits it, bytes/s. */
  convert(src: string, dst: string, onProgress: (percent: number) => void, signal: AbortSignal, rate?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortReason(signal));
      const limit = rate && rate > 0 ? ["-r", String(Math.round(rate))] : [];
      const child = spawn(this.binary, ["convert", "-p", ...limit, "-O", "qcow2", src, dst], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      let out = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        out = (out + d).slice(-256);
        const all = [...out.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)];
        const last = all[all.length - 1];
        if (last) onProgress(Number(last[1]));
      });
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const onAbort = (): void => {
        child.kill("SIGKILL");
      };
      signal.addEventListener("abort", onAbort, { once: true });
      child.on("error", (e) => reject(e));
      child.on("close", (code) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) return reject(abortReason(signal));
        if (code === 0) {
          onProgress(100);
          resolve();
        } else reject(new Error(`qemu-img convert ${src}: exit ${code}: ${err.trim()}`));
      });
    });
  }
}
