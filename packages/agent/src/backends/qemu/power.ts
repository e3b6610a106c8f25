/**
 * The power actions of one machine, each observing before it acts: start QEMU and wait for a new
 * boot id; soft power-off (guest agent, else ACPI) and hard (QMP `quit`, else SIGKILL); soft
 * reboot (guest agent, else ACPI power-down with the shutdown action `pause`, then reset: the
 * fake reboot) and hard (`system_reset`). A boot or reboot is recorded in machine.json before
 * it is asked for, so a call after a restart of the agent joins it instead of asking again.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BootImage } from "../backend.js";
import { qemuArgs } from "./command-line.js";
import { GuestAgentError } from "./guest-agent.js";
import type { PendingBoot } from "./machine.js";
import type { MachineRuntime } from "./runtime.js";
import { sleep, throwIfAborted } from "../common/waits.js";

/** How long a soft action waits for guest-ping before it uses ACPI instead (TCG guests can be slow to answer). */
const AGENT_PROBE_MS = 3000;
/**
 * How long asking the machine for a reboot may take. Once a reboot is recorded as pending it is
 * asked for even when the caller gives up meanwhile: a pending reboot that was never asked for
 * would be waited for by every later call (until the rejoin window ends), and nothing would come.
 */
const ASK_MS = 15_000;

/** Runs the asking part of a reboot to its end, whatever the caller does; drops the pending record when asking fails. */
async function ask(rt: MachineRuntime, pending: PendingBoot, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  try {
    await work(AbortSignal.timeout(ASK_MS));
  } catch (error) {
    rt.dir.update((r) => {
      if (r.pending?.startedAt === pending.startedAt && r.pending.action === pending.action) delete r.pending;
    });
    throw error;
  }
}

/** True when nothing listens on `bind:port` (so QEMU can forward it). */
export function portFree(bind: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, bind, () => srv.close(() => resolve(true)));
  });
}

/** Runs QEMU with `-daemonize`: resolves once the parent has exited (the machine then runs on its own). */
function startDaemon(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      child.stderr.destroy();
      if (code === 0) resolve();
      else reject(new Error(`QEMU did not start (${code ?? signal}): ${err.trim()}`));
    });
  });
}

/** The data disks of the spec, with their files. */
function dataDiskFiles(rt: MachineRuntime): Array<{ id: string; sizeGb: number; path: string }> {
  return (rt.record().spec.dataDisks ?? []).map((d) => ({ ...d, path: join(rt.ctx.disksDir, `${d.id}.qcow2`) }));
}

/** Starts QEMU for a stopped machine (the boot is recorded as pending first). */
async function launch(rt: MachineRuntime, image: BootImage, signal: AbortSignal): Promise<PendingBoot> {
  const rec = rt.record();
  if (!existsSync(rt.dir.bootDisk)) throw new Error(`machine ${rt.id}: its boot disk ${rt.dir.bootDisk} is missing (reinstall it)`);
  for (const d of dataDiskFiles(rt)) if (!existsSync(d.path)) throw new Error(`machine ${rt.id}: data disk ${d.id} (${d.path}) is missing`);
  let port = rec.sshPort;
  if (!(await portFree(rt.ctx.sshBind, port))) {
    port = await rt.ctx.allocatePort(rt.ctx.sshBind);
    rt.ctx.log.info({ machine: rt.id, port }, "SSH port was taken; moved");
  }
  throwIfAborted(signal);
  const logOffset = rt.serial.rotate();
  const pending: PendingBoot = { action: "boot", mode: "hard", fromBootId: rec.bootIds[rec.bootIds.length - 1], logOffset, startedAt: Date.now() };
  rt.dir.update((r) => {
    r.sshPort = port;
    r.runOffset = logOffset;
    r.pending = pending;
  });
  rt.dir.clearRuntime();
  const args = qemuArgs({
    id: rt.id,
    spec: rec.spec,
    image,
    accel: rt.ctx.accel,
    files: { bootDisk: rt.dir.bootDisk, qmpSocket: rt.dir.qmpSocket, qgaSocket: rt.dir.qgaSocket, serialLog: rt.dir.serialLog, pidfile: rt.dir.pidfile },
    sshBind: rt.ctx.sshBind,
    sshPort: port,
    ...(rt.ctx.bridge ? { bridge: rt.ctx.bridge } : {}),
    dataDisks: dataDiskFiles(rt),
  });
  try {
    await startDaemon(rt.ctx.qemuBinary, args);
  } catch (error) {
    rt.dir.update((r) => {
      delete r.pending;
    });
    throw error;
  }
  rt.metrics.reset();
  rt.ctx.log.info({ machine: rt.id, pid: rt.pid(), sshPort: port, accel: rt.ctx.accel }, "QEMU started");
  await rt.qmp().catch((error: unknown) => rt.ctx.log.warn({ machine: rt.id, err: String(error) }, "QMP connect after start"));
  rt.startMonitor();
  return pending;
}

/** powerOn: start a stopped machine and wait for a new boot id; join a boot in flight; no-op when running. */
export async function boot(rt: MachineRuntime, signal: AbortSignal): Promise<void> {
  const rec = rt.record();
  if (rt.pid()) {
    rt.startMonitor();
    if (rec.pending) await rt.awaitNewBoot(rec.pending, signal);
    return;
  }
  const image = rt.ctx.images.get(rec.spec.imageId);
  if (!image) throw new Error(`machine ${rt.id}: image ${rec.spec.imageId} is not on this host`);
  const pending = await launch(rt, image, signal);
  await rt.awaitNewBoot(pending, signal);
}

/** powerOff soft: ask the guest agent, else press the ACPI power button; then wait for QEMU to exit. */
export async function softOff(rt: MachineRuntime, signal: AbortSignal): Promise<void> {
  const pid = rt.pid();
  if (!pid) {
    rt.stopped("already stopped");
    return;
  }
  const qmp = await rt.qmp(signal);
  // A fake reboot in flight would turn the guest's power-off into a reset: power off means off.
  await qmp.execute("set-action", { shutdown: "poweroff" }, { signal });
  if (rt.record().pending?.action === "reboot") {
    rt.dir.update((r) => {
      delete r.pending;
    });
  }
  let asked = false;
  if (await rt.ga.ping(AGENT_PROBE_MS, signal)) {
    try {
      await rt.ga.shutdown("powerdown", { signal });
      asked = true;
      rt.ctx.log.info({ machine: rt.id }, "soft power-off asked through the guest agent");
    } catch (error) {
      if (!(error instanceof GuestAgentError)) throw error;
      rt.ctx.log.warn({ machine: rt.id, err: error.message }, "guest agent refused to power off; ACPI instead");
    }
  }
  if (!asked) {
    await qmp.execute("system_powerdown", undefined, { signal });
    rt.ctx.log.info({ machine: rt.id }, "soft power-off asked by ACPI power button");
  }
  await rt.waitExit(pid, signal);
  rt.stopped("soft power-off");
}

/** powerOff hard: QMP `quit`, and SIGKILL when QMP does not answer or QEMU does not end. */
export async function hardOff(rt: MachineRuntime, signal: AbortSignal): Promise<void> {
  const pid = rt.pid();
  if (!pid) {
    rt.stopped("already stopped");
    return;
  }
  try {
    const qmp = await rt.qmp(AbortSignal.any([signal, AbortSignal.timeout(2000)]));
    await qmp.execute("quit", undefined, { timeoutMs: 2000 }).catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (rt.pid() && Date.now() < deadline) await sleep(100, signal);
  } catch (error) {
    throwIfAborted(signal);
    rt.ctx.log.warn({ machine: rt.id, err: String(error) }, "QMP quit failed; SIGKILL");
  }
  if (rt.pid()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  await rt.waitExit(pid, signal);
  rt.stopped("hard power-off");
}

/** A pending reboot young enough that a new call joins it rather than asking again. */
function joinable(pending: PendingBoot | undefined, rt: MachineRuntime, modes: Array<"soft" | "hard">): PendingBoot | undefined {
  if (!pending || pending.action !== "reboot" || !modes.includes(pending.mode)) return undefined;
  return Date.now() - pending.startedAt < rt.ctx.rejoinWindowMs ? pending : undefined;
}

/** reboot soft: through the guest agent when it answers, else the ACPI fake reboot; waits for a new boot id. */
export async function softReboot(rt: MachineRuntime, signal: AbortSignal): Promise<void> {
  if (!rt.pid()) throw new Error(`machine ${rt.id} is not running`);
  let rec = rt.record();
  if (rec.pending?.action === "boot") {
    await rt.awaitNewBoot(rec.pending, signal);
    rec = rt.record();
  }
  // A reboot asked before (by a caller that gave up, or by the agent before it restarted): join it.
  const inFlight = joinable(rec.pending, rt, ["soft", "hard"]);
  if (inFlight) {
    rt.ctx.log.info({ machine: rt.id, fromBootId: inFlight.fromBootId }, "reboot already in flight: joined");
    await rt.awaitNewBoot(inFlight, signal);
    return;
  }
  const useAgent = await rt.ga.ping(AGENT_PROBE_MS, signal);
  const pending: PendingBoot = {
    action: "reboot",
    mode: "soft",
    via: useAgent ? "agent" : "acpi",
    fromBootId: rec.bootIds[rec.bootIds.length - 1],
    logOffset: rt.serial.size(),
    startedAt: Date.now(),
  };
  throwIfAborted(signal);
  rt.dir.update((r) => {
    r.pending = pending;
  });
  await ask(rt, pending, async (asking) => {
    if (useAgent) {
      try {
        await rt.ga.shutdown("reboot", { signal: asking });
        rt.ctx.log.info({ machine: rt.id }, "soft reboot asked through the guest agent");
      } catch (error) {
        if (!(error instanceof GuestAgentError)) throw error;
        rt.ctx.log.warn({ machine: rt.id, err: error.message }, "guest agent refused to reboot; ACPI instead");
        pending.via = "acpi";
        rt.dir.update((r) => {
          r.pending = pending;
        });
      }
    }
    if (pending.via === "acpi") {
      const qmp = await rt.qmp(asking);
      // The guest's power-off must pause QEMU, not end it: then reset and continue.
      await qmp.execute("set-action", { shutdown: "pause" }, { signal: asking });
      await qmp.execute("system_powerdown", undefined, { signal: asking });
      rt.ctx.log.info({ machine: rt.id }, "soft reboot asked by ACPI power button (fake reboot)");
    }
  });
  await rt.awaitNewBoot(pending, signal);
}

/** reboot hard: QMP `system_reset` (cutting a soft reboot short); waits for a new boot id. */
export async function hardReboot(rt: MachineRuntime, signal: AbortSignal): Promise<void> {
  if (!rt.pid()) throw new Error(`machine ${rt.id} is not running`);
  const rec = rt.record();
  const inFlight = joinable(rec.pending, rt, ["hard"]);
  if (inFlight) {
    await rt.awaitNewBoot(inFlight, signal);
    return;
  }
  const pending: PendingBoot = {
    action: "reboot",
    mode: "hard",
    fromBootId: rec.pending?.action === "reboot" ? rec.pending.fromBootId : rec.bootIds[rec.bootIds.length - 1],
    logOffset: rt.serial.size(),
    startedAt: Date.now(),
  };
  throwIfAborted(signal);
  rt.dir.update((r) => {
    r.pending = pending;
  });
  await ask(rt, pending, async (asking) => {
    const qmp = await rt.qmp(asking);
    await qmp.execute("set-action", { shutdown: "poweroff" }, { signal: asking });
    await qmp.execute("system_reset", undefined, { signal: asking });
    const st = await qmp.execute<{ running: boolean; status: string }>("query-status", undefined, { signal: asking });
    if (!st.running) await qmp.execute("cont", undefined, { signal: asking });
    rt.ctx.log.info({ machine: rt.id }, "hard reboot (system_reset)");
  });
  await rt.awaitNewBoot(pending, signal);
}
