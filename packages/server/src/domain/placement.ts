/**
 * Where an instance goes: the pure part of placement. Given hosts with their free GPUs, CPUs and
 * memory, which ones can take a demand, best first. Pure: the fleet module reads the hosts and
 * reserves on the chosen one by compare-and-set.
 */

export interface HostCandidate {
  id: string;
  cpuPlatform: string;
  freeGpus: number;
  freeCpus: number;
  freeMemoryMb: number;
}

export interface Demand {
  gpu: number;
  cpu: number;
  memoryMb: number;
  /** `Auto`, `Intel/Auto`, `Amd/Auto`, or one platform such as `Intel/IceLake`. */
  platform: string;
}

/** Whether a host of `hostPlatform` satisfies the MinimalCpuPlatform `wanted`. */
export function platformMatches(hostPlatform: string, wanted: string): boolean {
  if (!wanted || wanted === "Auto") return true;
  const [vendor, model] = wanted.split("/");
  const [hostVendor, hostModel] = hostPlatform.split("/");
  if (vendor?.toLowerCase() !== hostVendor?.toLowerCase()) return false;
  return !model || model.toLowerCase() === "auto" || model.toLowerCase() === hostModel?.toLowerCase();
}

export const fits = (h: HostCandidate, d: Demand): boolean =>
  h.freeGpus >= d.gpu && h.freeCpus >= d.cpu && h.freeMemoryMb >= d.memoryMb && platformMatches(h.cpuPlatform, d.platform);

/**
 * The hosts that can take `d`, best first: with `Auto`, AMD before Intel (CompShare's rule: AMD
 * first, Intel when AMD is short); then the host with the most free GPUs, so that instances have
 * room to grow where they are (a resize never moves an instance); then by id, so the order is stable.
 */
export function rank(hosts: readonly HostCandidate[], d: Demand): HostCandidate[] {
  const amdFirst = (h: HostCandidate) => (d.platform === "Auto" || !d.platform ? (h.cpuPlatform.toLowerCase().startsWith("amd") ? 0 : 1) : 0);
  return hosts
    .filter((h) => fits(h, d))
    .sort((a, b) => amdFirst(a) - amdFirst(b) || b.freeGpus - a.freeGpus || b.freeCpus - a.freeCpus || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
