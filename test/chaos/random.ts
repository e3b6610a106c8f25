/**
 * A seeded random source (mulberry32): the same choices for the same seed. OCS_CHAOS_SEED
 * replays a run's choices (its timing still varies).
 */

export const SEED = Number(process.env.OCS_CHAOS_SEED ?? Date.now() % 1_000_000);
let seedState = SEED >>> 0;
export const random = (): number => {
  seedState = (seedState + 0x6d2b79f5) >>> 0;
  let t = seedState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
export const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
export const pick = <T>(xs: readonly T[]): T | undefined => (xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)]);
export function weighted<T>(choices: Array<[number, T]>): T {
  const total = choices.reduce((s, [w]) => s + w, 0);
  let r = random() * total;
  for (const [w, v] of choices) {
    r -= w;
    if (r < 0) return v;
  }
  return (choices[choices.length - 1] as [number, T])[1];
}
