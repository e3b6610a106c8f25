/**
 * The text of the guest's own files: the initramfs `/init`, busybox init's inittab and boot
 * scripts, the `/sbin/shutdown` and `chpasswd` that qemu-ga runs, the DHCP and ACPI handlers,
 * and the account files. Everything the guest does at boot is here, in one place.
 */

/** The root password of a fresh guest, unless the kernel command line has `ocs.password=BASE64` on first boot. */
export const DEFAULT_ROOT_PASSWORD = "opencompshare";

/**
 * The initramfs `/init`: load the modules listed in /modules.order (dependencies first), mount
 * the root disk (`root=`, default /dev/vda; `rw` unless the command line says `ro`), and switch
 * to its /sbin/init.
 */
export const INITRAMFS_INIT = `#!/bin/busybox sh
# ocs initramfs: virtio and ext4 modules, then the root disk, then its /sbin/init.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
root=/dev/vda
mode=rw
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    root=*) root="\${arg#root=}" ;;
    ro) mode=ro ;;
    rw) mode=rw ;;
  esac
done
while read -r module; do
  [ -n "$module" ] || continue
  insmod "/lib/modules/$module" || echo "ocs-initrd: insmod $module failed"
done < /modules.order
i=0
while [ ! -b "$root" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
if ! mount -t ext4 -o "$mode" "$root" /newroot; then
  echo "ocs-initrd: cannot mount $root as the root file system"
  exec sh
fi
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /sbin/init
`;

/** busybox init's table: the boot script, the shutdown script, and a reboot on ctrl-alt-del. */
export const INITTAB = `# ocs guest: busybox init
::sysinit:/etc/init.d/rcS
::shutdown:/etc/init.d/rcK
::ctrlaltdel:/sbin/reboot
::restart:/sbin/init
`;

/**
 * The boot script. It reports `ocs-boot-id: <boot_id>` on the console last, once the SSH
 * server, the guest agent and acpid have been started, so the host may take the line as "booted".
 */
export const RC_S = `#!/bin/sh
# ocs guest boot: file systems, network, SSH, guest agent, ACPI; then the boot id on the console.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
[ -e /proc/self/stat ] || mount -t proc proc /proc
[ -d /sys/kernel ] || mount -t sysfs sysfs /sys
[ -c /dev/null ] || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -o remount,rw /
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mkdir -p /run/qemu-ga /var/log
hostname -F /etc/hostname
cmdline=" $(cat /proc/cmdline) "
has() { case "$cmdline" in *" $1 "*) return 0 ;; esac; return 1; }
param() { for a in $cmdline; do case "$a" in "$1"=*) echo "\${a#*=}"; return 0 ;; esac; done; return 1; }
kver=$(uname -r)

# First boot: the root password from the command line, when given (else the image's default).
if [ ! -e /etc/ocs/password-set ]; then
  if pw64=$(param ocs.password); then
    printf 'root:%s\\n' "$(printf '%s' "$pw64" | base64 -d)" | chpasswd
  fi
  mkdir -p /etc/ocs && touch /etc/ocs/password-set && sync
fi

# What udev would do: /dev/virtio-ports/<name> for each virtio-serial port. Wait up to 30 s:
# under TCG on a loaded host the ports are named seconds late, and without the link no agent starts.
mkdir -p /dev/virtio-ports
i=0
while [ "$i" -lt 600 ]; do
  for p in /sys/class/virtio-ports/*; do
    [ -e "$p/name" ] || continue
    name=$(cat "$p/name")
    [ -n "$name" ] && ln -sf "../\${p##*/}" "/dev/virtio-ports/$name"
  done
  # Wait only while a virtio-serial device exists and its ports are not named yet.
  ls /sys/bus/virtio/drivers/virtio_console/ 2>/dev/null | grep -q virtio || break
  [ -n "$(ls /dev/virtio-ports/)" ] && break
  sleep 0.05
  i=$((i + 1))
done

# Network: user-mode networking hands out 10.0.2.15 by DHCP.
ip link set lo up
if ip link set eth0 up 2>/dev/null; then
  udhcpc -i eth0 -s /etc/ocs/udhcpc.script -p /run/udhcpc.pid -b -t 20 -T 1 -A 5 >/dev/null 2>&1
fi

# SSH: host keys on first boot, root may log in with its password.
mkdir -p /etc/dropbear
for t in ed25519 ecdsa; do
  k=/etc/dropbear/dropbear_\${t}_host_key
  [ -s "$k" ] || dropbearkey -t "$t" -f "$k" >/dev/null 2>&1
done
sync
dropbear -r /etc/dropbear/dropbear_ed25519_host_key -r /etc/dropbear/dropbear_ecdsa_host_key -p 22 -P /run/dropbear.pid

# ACPI: the power button powers off cleanly (ocs.noacpi=1 makes a guest that ignores it).
if ! has ocs.noacpi=1; then
  insmod "/lib/modules/$kver/button.ko" 2>/dev/null
  insmod "/lib/modules/$kver/evdev.ko" 2>/dev/null
  i=0
  while [ ! -e /dev/input/event0 ] && [ "$i" -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
  acpid -c /etc/acpi -l /run/acpid.log -p /run/acpid.pid
fi

# Guest agent (ocs.noga=1 makes a guest without one).
if ! has ocs.noga=1 && [ -e /dev/virtio-ports/org.qemu.guest_agent.0 ]; then
  qemu-ga -d -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 -f /run/qemu-ga.pid -t /run/qemu-ga -l /run/qemu-ga.log
fi

boot_id=$(cat /proc/sys/kernel/random/boot_id)
echo "$boot_id" > /run/ocs-boot-id
echo "ocs-boot-id: $boot_id" > /dev/console
`;

/** The shutdown script: stop the daemons, flush, and leave the root file system read-only. */
export const RC_K = `#!/bin/sh
# ocs guest shutdown: stop the daemons, then sync and remount / read-only.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
for p in qemu-ga dropbear acpid udhcpc; do
  [ -f "/run/$p.pid" ] && kill "$(cat "/run/$p.pid")" 2>/dev/null
done
sync
mount -o remount,ro / 2>/dev/null
sync
echo "ocs-guest: shutdown"
`;

/**
 * `/sbin/shutdown`, as qemu-ga's guest-shutdown runs it (`shutdown -h -P|-H|-r +0 message`):
 * `-r` reboots, `-H` halts, anything else powers off, through busybox init.
 */
export const SHUTDOWN = `#!/bin/sh
# shutdown [-h] [-r|-P|-H] [TIME] [MESSAGE]: what qemu-ga's guest-shutdown runs, mapped to busybox.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
action=poweroff
for a in "$@"; do
  case "$a" in
    -r | --reboot) action=reboot ;;
    -H | --halt) [ "$action" = reboot ] || action=halt ;;
  esac
done
sync
exec busybox "$action"
`;

/**
 * `chpasswd` (Debian's busybox has none): reads `user:password` lines on stdin, `-e` when the
 * passwords are already crypt(3) hashes; writes SHA-512 hashes into /etc/shadow atomically.
 */
export const CHPASSWD = `#!/bin/sh
# chpasswd [-e]: set passwords from user:password lines on stdin (the password never reaches argv).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
encrypted=0
for a in "$@"; do
  case "$a" in
    -e | --encrypted) encrypted=1 ;;
  esac
done
umask 077
status=0
today=$(( $(date +%s) / 86400 ))
while IFS= read -r line || [ -n "$line" ]; do
  user=\${line%%:*}
  pass=\${line#*:}
  [ -n "$user" ] || continue
  if ! grep -q "^$user:" /etc/passwd; then
    echo "chpasswd: unknown user $user" >&2
    status=1
    continue
  fi
  if [ "$encrypted" = 1 ]; then
    hash=$pass
  else
    hash=$(printf '%s\\n' "$pass" | mkpasswd -m sha512 -P 0) || { status=1; continue; }
  fi
  awk -F: -v u="$user" -v h="$hash" -v d="$today" 'BEGIN { OFS = ":" }
    $1 == u { $2 = h; $3 = d; found = 1 }
    { print }
    END { if (!found) print u, h, d, 0, 99999, 7, "", "", "" }' /etc/shadow > /etc/shadow.new &&
    chmod 600 /etc/shadow.new && sync && mv /etc/shadow.new /etc/shadow && sync || status=1
done
exit $status
`;

/** busybox udhcpc's event script: configure the interface, the default route and DNS. */
export const UDHCPC_SCRIPT = `#!/bin/sh
# udhcpc events: deconfig, bound, renew.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
case "$1" in
  deconfig)
    ifconfig "$interface" 0.0.0.0 up
    ;;
  bound | renew)
    ifconfig "$interface" "$ip" netmask "\${subnet:-255.255.255.0}" up
    if [ -n "$router" ]; then
      while route del default gw 0.0.0.0 dev "$interface" 2>/dev/null; do :; done
      for r in $router; do route add default gw "$r" dev "$interface"; break; done
    fi
    : > /run/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /run/resolv.conf; done
    ;;
esac
exit 0
`;

/** busybox acpid's handler for the power button (event `PWRF`, action `PWRF/00000080`). */
export const ACPI_POWER_BUTTON = `#!/bin/sh
# The ACPI power button: a clean power-off.
exec /sbin/poweroff
`;

/** The account and system files under /etc (the shadow file is made at build time with the hash). */
export function etcFiles(rootHash: string): Record<string, { text: string; mode: number }> {
  return {
    "etc/passwd": { text: "root:x:0:0:root:/root:/bin/sh\n", mode: 0o644 },
    "etc/group": { text: "root:x:0:\ntty:x:5:\n", mode: 0o644 },
    "etc/shadow": { text: `root:${rootHash}:19700:0:99999:7:::\n`, mode: 0o600 },
    "etc/shells": { text: "/bin/sh\n/bin/ash\n", mode: 0o644 },
    "etc/hostname": { text: "ocs-guest\n", mode: 0o644 },
    "etc/hosts": { text: "127.0.0.1 localhost\n127.0.1.1 ocs-guest\n", mode: 0o644 },
    "etc/nsswitch.conf": { text: "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n", mode: 0o644 },
    "etc/profile": { text: 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1="\\u@\\h:\\w# "\n', mode: 0o644 },
    "etc/os-release": {
      text: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm), ocs guest"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
      mode: 0o644,
    },
    "etc/inittab": { text: INITTAB, mode: 0o644 },
  };
}

/** Executable scripts of the root file system, by path. */
export const ROOT_SCRIPTS: Record<string, string> = {
  "etc/init.d/rcS": RC_S,
  "etc/init.d/rcK": RC_K,
  "usr/sbin/shutdown": SHUTDOWN,
  "usr/sbin/chpasswd": CHPASSWD,
  "etc/ocs/udhcpc.script": UDHCPC_SCRIPT,
  "etc/acpi/PWRF/00000080": ACPI_POWER_BUTTON,
};
