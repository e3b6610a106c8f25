/**
 * Container metrics from `podman stats`: CPU (percent of the host's CPUs the container may use,
 * as podman reports it) and memory (percent of its limit), sampled into a small ring per machine
 * whenever metrics are asked for. GPUs are the host's business (nvidia-smi, in the agent's heartbeat).
 */
import type { MachineMetrics, MetricPoint } from "@opencompshare/protocol";
import type { PodmanCli } from "./podman-cli.js";

const RING = 720;
const MIN_GAP_MS = 1000;

interface Sample {
  at: number;
  cpu: number;
  memory: number;
}

const percent = (text: unknown): number => {
  const v = Number.parseFloat(String(text ?? "").replace("%", ""));
  return Number.isFinite(v) ? Math.round(Math.min(100, Math.max(0, v)) * 10) / 10 : 0;
};

export class ContainerMetrics {
  private readonly rings = new Map<string, Sample[]>();

  /** Takes a sample of the container now (skipped when the last is under a second old). */
  async sample(podman: PodmanCli, id: string, container: string, signal: AbortSignal): Promise<void> {
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
    ring.push({ at: Date.now(), cpu: percent(row.cpu_percent), memory: percent(row.mem_percent) });
    if (ring.length > RING) ring.splice(0, ring.length - RING);
    this.rings.set(id, ring);
  }

  series(id: string, seconds: number): MachineMetrics {
    const since = Date.now() - seconds * 1000;
    const cpu: MetricPoint[] = [];
    const memory: MetricPoint[] = [];
    for (const s of this.rings.get(id) ?? []) {
      if (s.at < since) continue;
      const t = Math.floor(s.at / 1000);
      cpu.push({ t, v: s.cpu });
      memory.push({ t, v: s.memory });
    }
    return { cpu, memory, gpus: [] };
  }

  forget(id: string): void {
    this.rings.delete(id);
  }
}
