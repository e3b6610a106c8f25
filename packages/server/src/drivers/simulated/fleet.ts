/**
 * The simulated fleet: the hosts the catalog describes (`fleet`: so many hosts of a GPU type per
 * zone), written at start into the hosts tables that placement reads, as agent hosts are by
 * their registration. Missing hosts are added, sizes updated, hosts the catalog no longer has
 * drained (while an instance runs on one) or removed.
 */
import type { Catalog } from "../../catalog/catalog.js";
import { anyInstanceOn } from "../../store/repositories/instances.js";
import { addGpus, deleteHost, gpusOfKind, hostSizes, insertHosts, removeFreeGpusFrom, resizeHost, setHostState, type NewHost, type PlacedGpu } from "../../store/repositories/hosts.js";
import type { Executor } from "../../store/schema.js";

/** A simulated GPU's PCI address: the n-th GPU of a host. */
export const simulatedDevice = (n: number): string => `0000:${(0x10 + n).toString(16).padStart(2, "0")}:00.0`;

interface SimulatedHost {
  zone: string;
  gpuType: string;
  gpus: number;
  cpus: number;
  memoryMb: number;
  cpuPlatform: string;
}

/** The hosts the catalog wants, by id (`sim-<zone>-<gpu type>-001`…). */
function wantedHosts(catalog: Catalog): Map<string, SimulatedHost> {
  const wanted = new Map<string, SimulatedHost>();
  for (const f of catalog.data.fleet) {
    for (let i = 0; i < f.hosts; i++) {
      wanted.set(`sim-${f.zone}-${f.gpuType}-${String(i + 1).padStart(3, "0")}`, {
        zone: f.zone,
        gpuType: f.gpuType,
        gpus: f.gpusPerHost,
        cpus: f.cpusPerHost,
        memoryMb: f.memoryGbPerHost * 1024,
        cpuPlatform: f.cpuPlatform,
      });
    }
  }
  return wanted;
}

/**
 * Writes the catalog's simulated fleet. Runs under the start-up lock (`store.exclusively`): it
 * reads, then writes. A few statements whatever the fleet's size (two reads, one insert per 500
 * hosts or GPUs, and one statement per host that changed), not several per host: a server starts,
 * and a testing-mode reset ends, in milliseconds on PostgreSQL too.
 */
export async function syncFleet(db: Executor, catalog: Catalog, now: number): Promise<void> {
  const wanted = wantedHosts(catalog);
  const existing = new Map((await hostSizes(db, "simulated")).map((h) => [h.id, h]));
  const gpusBy = new Map<string, Array<{ device: string; idx: number; instanceId: string | null }>>();
  for (const g of await gpusOfKind(db, "simulated")) {
    const list = gpusBy.get(g.hostId);
    if (list) list.push(g);
    else gpusBy.set(g.hostId, [g]);
  }
  const newHosts: NewHost[] = [];
  const newGpus: PlacedGpu[] = [];
  for (const [id, h] of wanted) {
    const had = existing.get(id);
    if (!had) newHosts.push({ id, kind: "simulated", zone: h.zone, gpuType: h.gpuType, cpuPlatform: h.cpuPlatform, cpus: h.cpus, memoryMb: h.memoryMb, tokenHash: null, accelerator: "simulated", now });
    else if (had.cpus !== h.cpus || had.memoryMb !== h.memoryMb || had.cpuPlatform !== h.cpuPlatform || had.state !== "Ready") {
      await resizeHost(db, id, { cpus: h.cpus, memoryMb: h.memoryMb, cpuPlatform: h.cpuPlatform });
    }
    const hostGpus = gpusBy.get(id) ?? [];
    const known = new Set(hostGpus.map((g) => g.device));
    for (let n = 0; n < h.gpus; n++) {
      const device = simulatedDevice(n);
      if (!known.has(device)) newGpus.push({ hostId: id, device, idx: n, model: h.gpuType });
    }
    // Fewer GPUs than before: the extra ones leave unless given to an instance.
    if (hostGpus.some((g) => g.idx >= h.gpus && g.instanceId === null)) await removeFreeGpusFrom(db, id, h.gpus);
  }
  await insertHosts(db, newHosts);
  await addGpus(db, newGpus);
  for (const id of existing.keys()) {
    if (wanted.has(id)) continue;
    if (await anyInstanceOn(db, id)) await setHostState(db, id, "Draining");
    else await deleteHost(db, id);
  }
}
