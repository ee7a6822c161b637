import { mulberry32, sortByArrival, type TraceTask } from './trace';

/**
 * Seeded building blocks for reference workloads. Each returns tasks for one queue; a reference
 * trace concatenates them. Same seed → same tasks, bit for bit.
 */
export type Rand = () => number;
export type Durations = (rand: Rand) => number;

/** Uniform in [lo, hi] seconds. */
export const uniform = (lo: number, hi: number): Durations => (rand) => lo + (hi - lo) * rand();

/** Log-normal with the given median and spread (σ of the log), clipped to [lo, hi] seconds. */
export const logNormal = (median: number, sigma: number, lo: number, hi: number): Durations => (rand) => {
  const u1 = Math.max(rand(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
  return Math.min(hi, Math.max(lo, median * Math.exp(sigma * z)));
};

/** `count` tasks arriving evenly spread over `spreadSeconds` from `at` (a flood, a burst). */
export function burst(rand: Rand, queue: string, at: number, count: number, spreadSeconds: number, duration: Durations): TraceTask[] {
  return Array.from({ length: count }, () => ({ arrival: at + spreadSeconds * rand(), queue, duration: duration(rand) }));
}

/**
 * Poisson arrivals with a time-varying rate (tasks per minute), by thinning: candidates at the
 * peak rate, each kept with probability rate(t) / peak.
 */
export function poisson(rand: Rand, queue: string, from: number, to: number, perMinute: (t: number) => number, peakPerMinute: number, duration: Durations): TraceTask[] {
  const out: TraceTask[] = [];
  const peak = peakPerMinute / 60;
  let t = from;
  for (;;) {
    t += -Math.log(Math.max(rand(), 1e-12)) / peak;
    if (t >= to) return out;
    if (rand() * peakPerMinute <= perMinute(t)) out.push({ arrival: t, queue, duration: duration(rand) });
  }
}

/** Runs the parts with one seeded generator, in order, and sorts the result by arrival. */
export function generate(seed: number, parts: ((rand: Rand) => TraceTask[])[]): TraceTask[] {
  const rand = mulberry32(seed);
  // Millisecond resolution, so the CSV form (3 decimals) is the same trace.
  const ms = (x: number) => Math.round(x * 1000) / 1000;
  return sortByArrival(parts.flatMap((p) => p(rand)).map((t) => ({ arrival: ms(t.arrival), queue: t.queue, duration: Math.max(0.001, ms(t.duration)) })));
}
