/**
 * The kernel the guest boots. Debian ships a bzImage whose payload is XZ-compressed; under TCG
 * its decompressor alone takes about 6 s of every boot before the kernel prints a line. QEMU's
 * `-kernel` also starts an uncompressed ELF kernel at its PVH entry point (Debian builds with
 * CONFIG_PVH), so the image carries the payload unpacked once at build time: the same kernel,
 * without that wait at each boot and reboot.
 */
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync, rmSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { hasPvhEntry } from "./elf.js";

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/**
 * Writes the ELF kernel inside `bzImage` to `out` and returns true, or returns false (writing
 * nothing) when the payload is not XZ or the kernel has no PVH entry: then boot the bzImage.
 */
export async function unpackPvhKernel(bzImage: string, out: string): Promise<boolean> {
  const image = readFileSync(bzImage);
  const at = image.indexOf(XZ_MAGIC);
  if (at < 0) return false;
  // The payload is followed by the rest of the bzImage: one stream, and what follows is not XZ.
  const xz = spawn("xz", ["--decompress", "--stdout", "--single-stream"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve, reject) => {
    xz.on("error", reject);
    xz.on("close", resolve);
  });
  xz.stdin.end(image.subarray(at));
  await pipeline(xz.stdout, createWriteStream(out));
  const code = await exited;
  if (code !== 0) throw new Error(`xz could not unpack the kernel of ${bzImage} (exit ${code})`);
  if (hasPvhEntry(out)) return true;
  rmSync(out, { force: true });
  return false;
}
