/**
 * What the QEMU tests share: the guest image (built once, cached under
 * `${OCS_GUEST_IMAGE_CACHE:-/tmp/ocs-guest-image}`), an images folder with a variant that ignores
 * ACPI and has no guest agent, SSH password logins (OpenSSH with SSH_ASKPASS, no sshpass), and
 * the cleanup that kills every QEMU process started under a test's state directory.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { IMAGE_ID, buildGuestImage } from "../../scripts/guest-image/build.js";

/** The image variant whose guest ignores the ACPI power button and runs no guest agent. */
export const NOACPI_IMAGE_ID = "compshareImage-ocs-debian12-noacpi";

/** Builds the guest image into the cache (a no-op when it is up to date); returns its folder and the build time. */
export async function guestImage(): Promise<{ folder: string; ms: number }> {
  const cache = process.env.OCS_GUEST_IMAGE_CACHE ?? "/tmp/ocs-guest-image";
  const folder = join(cache, IMAGE_ID);
  const started = Date.now();
  await buildGuestImage({ out: folder, cacheDir: join(cache, ".cache"), log: (line) => console.log(`# guest-image: ${line}`) });
  return { folder, ms: Date.now() - started };
}

/** An images folder for a test: the guest image (linked) and its no-ACPI, no-agent variant. */
export function imagesDir(root: string, imageFolder: string): string {
  const dir = join(root, "images");
  mkdirSync(dir, { recursive: true });
  symlinkSync(imageFolder, join(dir, IMAGE_ID));
  const image = JSON.parse(readFileSync(join(imageFolder, "image.json"), "utf8")) as Record<string, unknown>;
  mkdirSync(join(dir, NOACPI_IMAGE_ID));
  writeFileSync(
    join(dir, NOACPI_IMAGE_ID, "image.json"),
    JSON.stringify({
      ...image,
      id: NOACPI_IMAGE_ID,
      name: "Debian 12 (ocs guest, no ACPI, no agent)",
      kernel: join(imageFolder, image.kernel as string),
      initrd: join(imageFolder, "initrd.img"),
      disk: join(imageFolder, "disk.qcow2"),
      cmdline: "ocs.noacpi=1 ocs.noga=1",
    }),
  );
  return dir;
}

/** The pids of qemu-system processes whose command line mentions `dir`. */
export function qemuPidsUnder(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if ((argv[0] ?? "").includes("qemu-system") && argv.some((a) => a.includes(dir))) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** SIGKILLs, by pid, every QEMU this test started (those using its state directory). */
export function killQemusUnder(dir: string): number[] {
  const pids = qemuPidsUnder(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** True when an OpenSSH client is installed. */
export function haveSsh(): boolean {
  return spawnSync("sh", ["-c", "command -v ssh"], { stdio: "ignore" }).status === 0;
}

/**
 * Logs in over SSH with a password (OpenSSH ≥ 8.4: SSH_ASKPASS with SSH_ASKPASS_REQUIRE=force,
 * no terminal) and runs `echo`, then `command` if given; resolves with whether the login worked
 * and what ssh said. Retries while the connection itself fails (the server still starting), not
 * on a refused password.
 */
export async function sshLogin(dir: string, port: number, user: string, password: string, command?: string): Promise<{ ok: boolean; output: string }> {
  const askpass = join(dir, "askpass.sh");
  writeFileSync(askpass, '#!/bin/sh\nprintf \'%s\\n\' "$OCS_TEST_SSH_PASSWORD"\n');
  chmodSync(askpass, 0o700);
  let output = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(
        "ssh",
        [
          "-p",
          String(port),
          "-o",
          "StrictHostKeyChecking=no",
          "-o",
          "UserKnownHostsFile=/dev/null",
          "-o",
          "PreferredAuthentications=password",
          "-o",
          "PubkeyAuthentication=no",
          "-o",
          "NumberOfPasswordPrompts=1",
          "-o",
          "ConnectTimeout=20",
          "-o",
          "LogLevel=ERROR",
          `${user}@127.0.0.1`,
          command ? `echo ocs-ssh-login-ok; ${command}` : "echo ocs-ssh-login-ok",
        ],
        {
          env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: "ocs-test", OCS_TEST_SSH_PASSWORD: password },
          stdio: ["ignore", "pipe", "pipe"],
          detached: true,
        },
      );
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, output: out });
      });
    });
    output = result.output;
    if (result.code === 0 && output.includes("ocs-ssh-login-ok")) return { ok: true, output };
    if (/Permission denied/i.test(output)) return { ok: false, output };
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { ok: false, output };
}

/** Counts the `ocs-boot-id:` lines in a console log. */
export function bootLines(consoleText: string): number {
  return (consoleText.match(/ocs-boot-id: [0-9a-f-]{36}/g) ?? []).length;
}
