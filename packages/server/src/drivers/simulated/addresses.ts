/**
 * The simulated fleet's public addresses: the configured IPv4 ranges (OCS_SIM_PUBLIC_RANGE,
 * comma-separated CIDR blocks, by default the three documentation ranges of RFC 5737) and the
 * choice of a free one for a machine. Pure; the claim that makes an address a machine's is the
 * database's (a unique address), so replicas choosing at once never share one.
 */
import { createHash } from "node:crypto";

/** RFC 5737's documentation ranges (TEST-NET-3, -2, -1): 762 addresses no real network uses. */
export const DOCUMENTATION_RANGES = "203.0.113.0/24,198.51.100.0/24,192.0.2.0/24";

/** The most addresses the ranges may hold together. */
const MAX_ADDRESSES = 65_536;

const toInt = (octets: number[]): number => ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
const toIp = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/**
 * The host addresses of `spec`'s ranges, in order, each once: a block of 4 or more addresses
 * leaves out its first and last (network and broadcast). Throws an Error saying what is wrong.
 */
export function addressesOf(spec: string): string[] {
  const out = new Set<string>();
  const blocks = spec.split(",").map((b) => b.trim()).filter((b) => b !== "");
  if (blocks.length === 0) throw new Error("no range given");
  for (const block of blocks) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(block);
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const prefix = m ? Number(m[5]) : -1;
    if (!m || octets.some((o) => o > 255) || prefix > 32) throw new Error(`${JSON.stringify(block)} is not an IPv4 CIDR block such as 203.0.113.0/24`);
    if (prefix < 16) throw new Error(`${block} is larger than a /16`);
    const size = 2 ** (32 - prefix);
    const base = toInt(octets) & ~(size - 1);
    const [first, last] = size >= 4 ? [base + 1, base + size - 2] : [base, base + size - 1];
    for (let n = first; n <= last; n++) out.add(toIp(n >>> 0));
    if (out.size > MAX_ADDRESSES) throw new Error(`the ranges hold more than ${MAX_ADDRESSES} addresses`);
  }
  return [...out];
}

/**
 * A free address of `pool` for machine `id`, or undefined when all are taken: the search starts
 * at a place derived from the id, so machines made at once mostly ask for different addresses.
 */
export function freeAddress(id: string, pool: readonly string[], taken: ReadonlySet<string>): string | undefined {
  if (pool.length === 0) return undefined;
  const start = createHash("sha1").update(`public:${id}`).digest().readUInt32BE(0) % pool.length;
  for (let i = 0; i < pool.length; i++) {
    const ip = pool[(start + i) % pool.length]!;
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}
