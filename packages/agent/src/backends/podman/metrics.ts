/**
 * Container metrics: CPU and memory from `podman stats` (CPU: percent of the host's CPUs the
 * container may use, as podman reports it; memory: percent of its limit), and the GPUs given to
 * it from the host's nvidia-smi (the agent reads it for the heartbeat's health pass: utilization,
 * and memory used as a percent of the GPU's), sampled into a small ring per machine whenever
 * metrics are asked for. An emulated GPU has no reading, and no series.
 */
import type { MachineMetrics, MetricPoint } from "@opencompshare/protocol";
import type { GpuReading } from "../../gpu/nvidia-smi.js";
import type { PodmanCli } from "./podman-cli.js";

const RING = 720;
const MIN_GAP_MS = 1000;

interface GpuSample {
  device: string;
  util: number;
  memory: number;
}

interface Sample {
  at: number;
  cpu: number;
  memory: number;
  gpus: GpuSample[];
}

const percent = (text: unknown): number => {
  const v = Number.parseFloat(String(text ?? "").replace("%", ""));
  return Number.isFinite(v) ? Math.round(Math.min(100, Math.max(0, v)) * 10) / 10 : 0;
};

/** A GPU's utilization and memory in use, as percents, from its nvidia-smi row. */
function gpuSample(device: string, r: GpuReading): GpuSample {
  const memory = r.memoryUsedMb !== null && r.memoryTotalMb > 0 ? (r.memoryUsedMb / r.memoryTotalMb) * 100 : 0;
  return { device, util: percent(r.utilGpu ?? 0), memory: percent(memory) };
}

export class ContainerMetrics {
  private readonly rings = new Map<string, Sample[]>();

  /**
   * Takes a sample of the container now (skipped when the last is under a second old): podman's
   * stats, and the latest reading of each of `gpus` (PCI addresses) that `readingOf` has.
   */
  async sample(podman: PodmanCli, id: string, container: string, signal: AbortSignal, gpus: readonly string[] = [], readingOf: (pci: string) => GpuReading | undefined = () => undefined): Promise<void> {
    const ring = this.rings.get(id) ?? [];
    const last = ring.at(-1);
    if (last && Date.now() - last.at < MIN_GAP_MS) return;
    const out = await podman.run(["stats", "--no-stream", "--format", "json", container], signal).catch(() => "[]");
    let rows: Array<Record<string, unknown>>;
    try {
      rows = JSON.parse(out) as Array<Record<string, unknown>>;
    } catch {
      return;
    }
    const row = rows[0];
    if (!row) return;
    const gpuSamples = gpus.flatMap((device) => {
      const r = readingOf(device);
      return r ? [gpuSample(device, r)] : [];
    });
    ring.push({ at: Date.now(), cpu: percent(row.cpu_percent), memory: percent(row.mem_percent), gpus: gpuSamples });
    if (ring.length > RING) ring.splice(0, ring.length - RING);
    this.rings.set(id, ring);
  }

  series(id: string, seconds: number): MachineMetrics {
    const since = Date.now() - seconds * 1000;
    const cpu: MetricPoint[] = [];
    const memory: MetricPoint[] = [];
    const gpus = new Map<string, { device: string; util: MetricPoint[]; memory: MetricPoint[] }>();
    for (const s of this.rings.get(id) ?? []) {
      if (s.at < since) continue;
      const t = Math.floor(s.at / 1000);
      cpu.push({ t, v: s.cpu });
      memory.push({ t, v: s.memory });
      for (const g of s.gpus) {
        const series = gpus.get(g.device) ?? { device: g.device, util: [], memory: [] };
        series.util.push({ t, v: g.util });
        series.memory.push({ t, v: g.memory });
        gpus.set(g.device, series);
      }
    }
    return { cpu, memory, gpus: [...gpus.values()] };
  }

  forget(id: string): void {
    this.rings.delete(id);
  }
}
