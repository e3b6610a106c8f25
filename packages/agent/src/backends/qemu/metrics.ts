/**
 * Machine metrics from the host's view of the QEMU process: CPU time from /proc/PID/stat and
 * resident memory from /proc/PID/status, sampled into a small ring per machine, reported as
 * percentages (CPU of the machine's vCPUs, memory of its configured memory).
 */
import { readFileSync } from "node:fs";
import type { MachineMetrics, MetricPoint } from "@opencompshare/protocol";

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;
/** Samples kept per machine (an hour at one every 5 s). */
const RING = 720;

interface Sample {
  /** Unix ms. */
  at: number;
  cpuTicks: number;
  rssKb: number;
}

/** Reads a process's user+system CPU ticks and resident set size; undefined when it is gone. */
export function readProcess(pid: number): { cpuTicks: number; rssKb: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return { cpuTicks: utime + stime, rssKb: Number(rss ?? 0) };
  } catch {
    return undefined;
  }
}

const clamp = (v: number): number => Math.round(Math.min(100, Math.max(0, v)) * 10) / 10;

/** The recent CPU and memory samples of one machine's QEMU process. */
export class MetricsRing {
  private readonly samples: Sample[] = [];

  /** Takes a sample of `pid` now (skipped when the last one is under `minGapMs` old). */
  sample(pid: number, minGapMs = 1000): void {
    const last = this.samples[this.samples.length - 1];
    const now = Date.now();
    if (last && now - last.at < minGapMs) return;
    const p = readProcess(pid);
    if (!p) return;
    this.samples.push({ at: now, ...p });
    if (this.samples.length > RING) this.samples.splice(0, this.samples.length - RING);
  }

  /** Forgets the samples (a new QEMU process starts its CPU time at zero). */
  reset(): void {
    this.samples.length = 0;
  }

  /** The series over the last `seconds`, for a machine of `vcpus` and `memoryMb`. */
  series(seconds: number, vcpus: number, memoryMb: number): MachineMetrics {
    const since = Date.now() - seconds * 1000;
    const cpu: MetricPoint[] = [];
    const memory: MetricPoint[] = [];
    for (let i = 0; i < this.samples.length; i++) {
      const s = this.samples[i] as Sample;
      if (s.at < since) continue;
      const t = Math.floor(s.at / 1000);
      memory.push({ t, v: clamp((s.rssKb / 1024 / Math.max(1, memoryMb)) * 100) });
      const prev = this.samples[i - 1];
      if (prev && s.at > prev.at && s.cpuTicks >= prev.cpuTicks) {
        const busy = (s.cpuTicks - prev.cpuTicks) / CLK_TCK;
        cpu.push({ t, v: clamp((busy / ((s.at - prev.at) / 1000) / Math.max(1, vcpus)) * 100) });
      }
    }
    return { cpu, memory, gpus: [] };
  }
}
