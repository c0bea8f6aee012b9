// A tiny seeded PRNG (mulberry32) so every fuzz and chaos run can be replayed from its seed.
export interface Rng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

/** The seed to use: `name` from the environment (decimal, 0x hex, or `random`), else `fallback`, else a random one. */
export function seedFromEnv(name = 'ORCHD_FUZZ_SEED', fallback?: number): number {
  const raw = process.env[name]?.trim();
  if (raw === 'random' || ((raw === undefined || raw === '') && fallback === undefined)) return (Math.random() * 2 ** 32) >>> 0;
  if (raw === undefined || raw === '') return fallback! >>> 0;
  const parsed = Number(raw);
  if (!Number.isSafeInteger(parsed)) throw new Error(`Expected \`${name}\` to be an integer or \`random\`, got \`${raw}\``);
  return parsed >>> 0;
}

/** A generator seeded with `seed` (only its low 32 bits count). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed: seed >>> 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/** An integer from the environment, else the default (used to scale suites: ORCHD_FUZZ_FRAMES, CHAOS_ROUNDS, …). */
export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parsed = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`Expected \`${name}\` to be a non-negative integer, got \`${raw}\``);
  return parsed;
}
