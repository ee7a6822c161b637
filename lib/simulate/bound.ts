import { loadSolver, lpNumber as fmt, solveLp } from '../planner/lp';
import type { SimService } from './model';
import type { Trace } from './trace';

/**
 * The certified lower bound (docs/simulator.md, "The certified bound"): no schedule of the
 * simulator's model that starts ≥ `share`% of a service's tasks within its target pays fewer
 * worker-minutes than the optimum of this LP, a relaxation over time slots solved by HiGHS.
 *
 * Per slot k of length Δ (k = 0..K−1, all full slots within the shortest window any schedule is
 * billed for): r_k ≥ 0 the workers ready on average over the slot, u_k ≥ r_k − r_{k−1}, u_k ≥ 0 the
 * workers that became ready (each paid a start-up before), w_k the work done by kΔ (in
 * worker-seconds: slot-seconds / concurrency). Minimise Δ·Σ r_k + S·Σ u_k subject to
 *   0 ≤ w_k − w_{k−1} ≤ Δ·r_{k−1}                (work is done by ready workers)
 *   D(kΔ) − late ≤ w_k ≤ A(kΔ)                    (latest starts within target; no start before arrival)
 * where A(τ) = Σ min(d_i, (τ − a_i)⁺)/c, D(τ) = Σ min(d_i, (τ − a_i − T)⁺)/c and `late` is the
 * work of the ⌊(1 − share) n⌋ longest tasks (the tasks allowed to start late).
 */

/** Loads HiGHS (WebAssembly: the only asynchronous step); `certifiedBound` needs it loaded. */
export const loadBoundSolver = loadSolver;

/** Slots in one LP at most: a day at the 60 s cycle fits; longer traces get coarser slots (still a bound). */
export const MAX_SLOTS = 1500;

export interface BoundOptions {
  /** Slot length in seconds (default: the cycle's, coarsened to keep ≤ MAX_SLOTS slots). */
  slotSeconds?: number;
  /** The share of tasks that must start within the target (default 100). */
  sharePct?: number;
  /** How long a run may go on past the horizon (the window ends by then at the latest). */
  overrunSeconds?: number;
}

export interface CertifiedBound {
  /** Paid worker-minutes no such schedule can go below. */
  minutes: number;
  slotSeconds: number;
  slots: number;
  /** Tasks the LP lets start late (⌊(1 − share) n⌋). */
  lateTasks: number;
}

/** Σ over points p ≤ τ of (τ − p) at τ = kΔ, k = 0..K: ramps accumulated per slot. */
function rampSums(points: Float64Array, slot: number, K: number): Float64Array {
  const cnt = new Float64Array(K + 2);
  const sum = new Float64Array(K + 2);
  for (const p of points) {
    const k = Math.max(0, Math.ceil(p / slot - 1e-12));
    if (k > K) continue;
    cnt[k] += 1;
    sum[k] += p;
  }
  const out = new Float64Array(K + 1);
  let c = 0;
  let s = 0;
  for (let k = 0; k <= K; k += 1) {
    c += cnt[k];
    s += sum[k];
    out[k] = Math.max(0, c * k * slot - s);
  }
  return out;
}

/** The most tasks that can miss the target while `withinTargetPct` (as metrics.ts computes it) stays ≥ share. */
export function lateAllowed(n: number, sharePct: number): number {
  let k = Math.floor((n * (100 - sharePct)) / 100) + 1;
  while (k > 0 && (100 * (n - k)) / n < sharePct) k -= 1;
  return Math.max(0, k);
}

/** One service's certified bound on a trace (the solver must be loaded). */
export function certifiedBound(trace: Trace, service: SimService, cycleSeconds: number, o: BoundOptions = {}): CertifiedBound {
  const mine = new Set(service.config.queues);
  const c = service.worker.concurrency;
  const S = service.worker.startupSeconds;
  const T = service.config.targetMinutes * 60;
  const arrivals: number[] = [];
  const durations: number[] = [];
  let lastEnd = trace.horizonSeconds;
  for (const t of trace.tasks) {
    if (!mine.has(t.queue)) continue;
    arrivals.push(t.arrival);
    durations.push(t.duration);
    lastEnd = Math.max(lastEnd, t.arrival + t.duration);
  }
  const n = arrivals.length;
  // Every schedule's billing window runs at least to the horizon and its last finish (capped by the run's end).
  const windowEnd = Math.min(lastEnd, trace.horizonSeconds + (o.overrunSeconds ?? Infinity));
  let slot = o.slotSeconds ?? cycleSeconds;
  if (o.slotSeconds === undefined) slot *= Math.max(1, Math.ceil(windowEnd / slot / MAX_SLOTS));
  const K = Math.floor(windowEnd / slot + 1e-9);
  const lateTasks = lateAllowed(n, o.sharePct ?? 100);
  const minFloor = (service.config.minWorkers * K * slot) / 60;
  if (n === 0 || K === 0) return { minutes: minFloor, slotSeconds: slot, slots: K, lateTasks };
  // A(τ): work arrived by τ; D(τ): work that must be done by τ if every task starts at its deadline.
  const pts = (shift: number, plusDuration: boolean) => Float64Array.from(arrivals, (a, i) => a + shift + (plusDuration ? durations[i] : 0));
  const rA = rampSums(pts(0, false), slot, K);
  const rA2 = rampSums(pts(0, true), slot, K);
  const rD = rampSums(pts(T, false), slot, K);
  const rD2 = rampSums(pts(T, true), slot, K);
  const sorted = Float64Array.from(durations).sort();
  let late = 0;
  for (let i = 0; i < lateTasks; i += 1) late += sorted[n - 1 - i];
  const obj: string[] = [];
  const rows: string[] = [];
  const bounds: string[] = [];
  for (let k = 0; k < K; k += 1) obj.push(`+ ${fmt(slot / 60)} r${k}`);
  for (let k = 1; k < K; k += 1) if (S > 0) obj.push(`+ ${fmt(S / 60)} u${k}`);
  for (let k = 1; k <= K; k += 1) {
    const prev = k > 1 ? ` - w${k - 1}` : '';
    rows.push(`cap${k}: w${k}${prev} - ${fmt(slot)} r${k - 1} <= 0`);
    if (k > 1) rows.push(`mono${k}: w${k}${prev} >= 0`);
    if (k < K && S > 0) rows.push(`up${k}: u${k} - r${k} + r${k - 1} >= 0`);
    const hi = (rA[k] - rA2[k]) / c;
    const lo = Math.min(hi, Math.max(0, (rD[k] - rD2[k] - late) / c));
    bounds.push(`${fmt(lo)} <= w${k} <= ${fmt(hi)}`);
  }
  const res = solveLp({ objective: obj, rows, bounds }, "the bound's LP");
  // HiGHS works in floating point to ~1e-7 feasibility: give back a margin so the bound stays below the exact LP optimum.
  const lpMinutes = Math.max(0, res.objective * (1 - 1e-6) - 1e-6);
  return { minutes: Math.max(lpMinutes, minFloor), slotSeconds: slot, slots: K, lateTasks };
}

/** The bound of each service (share: the share of tasks the schedules meet the target for). */
export function certifiedBounds(trace: Trace, services: SimService[], cycleSeconds: number, o: BoundOptions = {}): Record<string, CertifiedBound> {
  return Object.fromEntries(services.map((s) => [s.name, certifiedBound(trace, s, cycleSeconds, o)]));
}
