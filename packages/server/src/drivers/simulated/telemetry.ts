/**
 * What the simulated fleet shows of its machines: a boot id per boot, a serial console made from
 * the journal of its actions, plausible usage series, and a private address. All of it is derived
 * from the machine id and the clock (and the public address from the row the machine holds), so it
 * is the same on every replica and after a restart.
 */
import { createHash } from "node:crypto";
import type { MachineAccess, MachineMetrics, MetricPoint } from "@opencompshare/protocol";
import type { SimAccess } from "../../store/repositories/simulator.js";

const hash = (...parts: Array<string | number>): Buffer => createHash("sha1").update(parts.join(":")).digest();

/** The boot id of the `n`-th boot of machine `id`, shaped like the kernel's (a UUID). */
export function bootIdOf(id: string, n: number): string {
  const h = hash("boot", id, n).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[parseInt(h[16] ?? "0", 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A stable private address for a machine, derived from its id. */
function privateIp(id: string): string {
  const h = hash(id);
  return `10.${h[0]! % 256}.${h[1]! % 256}.${(h[2]! % 253) + 2}`;
}

/**
 * Where a simulated machine is reached: its private address, and the public address and login it
 * holds (`held`); a machine that holds none (made before the fleet gave them) shows root on 22.
 */
export function simulatedAccess(id: string, held?: SimAccess, ports: readonly number[] = []): MachineAccess {
  // A simulated machine has an address of its own: its ports are published as themselves.
  const published = ports.length > 0 ? { ports: ports.map((port) => ({ port, hostPort: port })) } : {};
  if (!held) return { ip: privateIp(id), sshPort: 22, sshUser: "root", ...published };
  return { ip: privateIp(id), publicIp: held.publicIp, sshPort: held.sshPort, sshUser: held.sshUser, ...published };
}

const LINES: Record<string, string[]> = {
  boot: ["Booting Linux on physical CPU 0x0", "systemd[1]: Reached target Multi-User System."],
  reboot: ["reboot: Restarting system", "Booting Linux on physical CPU 0x0", "systemd[1]: Reached target Multi-User System."],
  shutdown: ["systemd[1]: Reached target Power-Off.", "reboot: Power down"],
  reinstall: ["ocs: boot disk replaced with a fresh copy of the image"],
  resize: ["ocs: the machine's size changes at its next boot"],
  password: ["qemu-ga: guest-set-user-password root"],
};

/** The serial console of a simulated machine: a few lines per action, and the boot id after each boot. */
export function consoleOf(id: string, journal: ReadonlyArray<{ action: string; startedAt: number; until: number }>, now: number): string {
  let boots = 0;
  const out: string[] = [];
  for (const entry of journal) {
    const at = entry.startedAt;
    if (at > now) break;
    const stamp = (ms: number) => `[${new Date(ms).toISOString()}]`;
    for (const line of LINES[entry.action] ?? []) out.push(`${stamp(at)} ${line}`);
    if ((entry.action === "boot" || entry.action === "reboot") && entry.until <= now) {
      boots++;
      out.push(`${stamp(entry.until)} ocs-boot-id: ${bootIdOf(id, boots)}`);
    }
  }
  return out.length ? out.join("\n") + "\n" : "";
}

/** A smooth, stable percentage for `key` at second `t`: a base level, a slow wave and a little noise. */
function level(key: string, t: number, base: number, swing: number): number {
  const h = hash(key);
  const phase = (h[0]! / 255) * Math.PI * 2;
  const noise = (hash(key, Math.floor(t / 10))[0]! / 255 - 0.5) * 4;
  const v = base + (h[1]! / 255) * 20 + swing * Math.sin(t / 600 + phase) + noise;
  return Math.round(Math.min(100, Math.max(0, v)) * 10) / 10;
}

/** Usage series of a running machine over the last `seconds` (empty when it does not run). */
export function metricsOf(id: string, devices: string[], running: boolean, nowMs: number, seconds: number): MachineMetrics {
  const span = Math.max(1, Math.min(seconds, 7 * 86_400));
  const step = span <= 600 ? 10 : Math.ceil(span / 60 / 10) * 10;
  const end = Math.floor(nowMs / 1000 / step) * step;
  const times: number[] = [];
  if (running) for (let t = end - Math.floor(span / step) * step; t <= end; t += step) times.push(t);
  const series = (key: string, base: number, swing: number): MetricPoint[] => times.map((t) => ({ t, v: level(key, t, base, swing) }));
  const scaled = (key: string, base: number, swing: number, factor: number): MetricPoint[] => series(key, base, swing).map((p) => ({ t: p.t, v: Math.round(p.v * factor) }));
  return {
    cpu: series(`${id}:cpu`, 15, 15),
    memory: series(`${id}:mem`, 30, 5),
    gpus: devices.map((device) => ({ device, util: series(`${id}:${device}:util`, 40, 30), memory: series(`${id}:${device}:mem`, 35, 10) })),
    systemDisk: series(`${id}:disk`, 20, 1),
    netIn: scaled(`${id}:netin`, 10, 8, 1e5),
    netOut: scaled(`${id}:netout`, 5, 4, 1e5),
    diskRead: scaled(`${id}:dread`, 5, 5, 1e5),
    diskWrite: scaled(`${id}:dwrite`, 8, 6, 1e5),
  };
}
