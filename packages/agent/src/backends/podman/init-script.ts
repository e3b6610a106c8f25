/**
 * The init every container instance starts with, mounted read-only at /usr/lib/ocs/ocs-init (it
 * is never part of the image, so a custom image does not carry it). On each start it writes a
 * new boot id to /run/ocs/boot-id (a folder the host sees) and prints an `ocs-boot-id:` line to
 * the console: a container shares the host's kernel, so the kernel's boot_id proves no reboot.
 * Then it runs sshd on port 23 as CompShare's containers have it (root, password allowed), as
 * PID 1, so that SIGTERM (a soft stop) ends it.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const INIT_MOUNT = "/usr/lib/ocs";
export const INIT_PATH = `${INIT_MOUNT}/ocs-init`;
/** Where the container writes its boot id; a per-machine folder of the host is mounted there. */
export const RUN_MOUNT = "/run/ocs";
/** The port sshd listens on inside the container. */
export const SSH_PORT = 23;

const SCRIPT = `#!/bin/sh
# opencompshare: the init of a container instance (mounted read-only from the host agent).
mkdir -p ${RUN_MOUNT} /run/sshd
id=$(cat /proc/sys/kernel/random/uuid)
echo "$id" > ${RUN_MOUNT}/boot-id.new && mv ${RUN_MOUNT}/boot-id.new ${RUN_MOUNT}/boot-id
echo "ocs-boot-id: $id"
if [ ! -x /usr/sbin/sshd ]; then
  echo "ocs-init: this image has no /usr/sbin/sshd: no login on port ${SSH_PORT}" >&2
  exec sleep infinity
fi
ssh-keygen -A >/dev/null 2>&1
exec /usr/sbin/sshd -D -e -p ${SSH_PORT} -o PermitRootLogin=yes -o PasswordAuthentication=yes
`;

/** Writes the init into `dir` (idempotent). */
export function installInit(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "ocs-init");
  let current = "";
  try {
    current = readFileSync(path, "utf8");
  } catch {
    // not there yet
  }
  if (current !== SCRIPT) writeFileSync(path, SCRIPT, { mode: 0o755 });
  chmodSync(path, 0o755);
}
