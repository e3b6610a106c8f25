/**
 * What the agent reads of its host: its boot id, its CPU vendor, and whether KVM really runs a
 * guest here. `/dev/kvm` can exist where KVM cannot boot one (nested virtualisation that hangs
 * in early boot), so the probe boots a real kernel under KVM and waits for it to print; the
 * verdict is kept for this boot of the host.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function hostBootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

/** `Intel/Auto` or `Amd/Auto`, from /proc/cpuinfo (what MinimalCpuPlatform matches). */
export function cpuPlatform(): string {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    if (/vendor_id\s*:\s*AuthenticAMD/.test(info)) return "Amd/Auto";
  } catch {
    // not Linux: say Intel
  }
  return "Intel/Auto";
}

export interface ProbeOptions {
  qemu: string;
  /** A kernel to boot (any image's). */
  kernel: string;
  stateDir: string;
  timeoutMs: number;
}

/**
 * `kvm` if a kernel booted under KVM reaches its first console line within the timeout, else
 * `tcg`. The kernel is booted with no root and no init: it prints and panics, and QEMU exits.
 */
export async function probeAccelerator(opts: ProbeOptions): Promise<"kvm" | "tcg"> {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return "tcg";
  }
  const cache = join(opts.stateDir, "accelerator.json");
  const boot = hostBootId();
  try {
    const cached = JSON.parse(readFileSync(cache, "utf8")) as { bootId: string; accelerator: "kvm" | "tcg" };
    if (cached.bootId === boot && boot !== "") return cached.accelerator;
  } catch {
    // no verdict yet for this boot
  }
  const verdict = await new Promise<"kvm" | "tcg">((resolve) => {
    const child = spawn(
      opts.qemu,
      ["-accel", "kvm", "-m", "256", "-smp", "1", "-nographic", "-no-reboot", "-kernel", opts.kernel, "-append", "console=ttyS0 panic=-1 rdinit=/ocs-probe-none init=/ocs-probe-none"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const done = (v: "kvm" | "tcg") => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve(v);
    };
    const timer = setTimeout(() => done("tcg"), opts.timeoutMs);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("utf8");
      // The end of the boot, not its first line: a nested KVM that hangs does so after printing a little.
      if (/Kernel panic|ocs-probe-none/.test(out)) done("kvm");
    });
    child.on("error", () => done("tcg"));
    child.on("exit", () => done(/Kernel panic|ocs-probe-none/.test(out) ? "kvm" : "tcg"));
  });
  mkdirSync(opts.stateDir, { recursive: true });
  writeFileSync(cache, JSON.stringify({ bootId: boot, accelerator: verdict }));
  return verdict;
}
