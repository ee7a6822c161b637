import type { ServiceObservation } from '../observation';
import { inFlightTotal, pendingTotal } from '../observation';

/**
 * Arrival rate λ (median of recent intervals) and per-worker throughput μ (an EWMA), tasks/min,
 * from the deltas between two observations: completed = growth of the workers' `processed` totals, arrivals = growth of
 * the work in the system + completed. Pure: the previous sample is passed in and returned.
 */
export interface RateState {
  /** Previous sample. */
  at?: number;
  work?: number;
  processed?: Record<string, number>;
  /** Arrivals per minute: the median of the recent interval rates. */
  lambda?: number;
  /** The last few intervals' arrival rates (per minute). */
  arrivalRates?: number[];
  /** EWMA of tasks per minute per worker, measured only while a backlog kept workers busy. */
  mu?: number;
  muSamples: number;
  /** Arrivals per minute in the last interval alone (idleness needs "none just now", not a decayed average). */
  lastArrivalRate?: number;
}

const ARRIVAL_SAMPLES = 5;
const MIN_ARRIVAL_SAMPLES = 3;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Time constant of the EWMAs: a sample weighs 1 − e^(−dt/τ). */
const TAU_MINUTES = 3;
/** Samples further apart than this restart the baseline (a gap in cycles, a redeploy). */
const MAX_GAP_MINUTES = 10;
/** μ is trusted after this many samples; until then the configured rate is used. */
export const MU_SAMPLES_NEEDED = 3;

export const emptyRates = (): RateState => ({ muSamples: 0 });

const ewma = (prev: number | undefined, sample: number, dtMin: number): number =>
  prev === undefined ? sample : prev + (1 - Math.exp(-dtMin / TAU_MINUTES)) * (sample - prev);

/**
 * Tasks completed between two samples, node by node. A node whose total went down restarted
 * (its counter began again at 0): count its new total. A node not seen before is skipped, so a
 * long-lived node that failed to answer last time does not count its whole life at once.
 */
export function completedBetween(prev: Record<string, number>, now: Record<string, number>): number {
  let done = 0;
  for (const [node, total] of Object.entries(now)) {
    const before = prev[node];
    if (before === undefined) continue;
    done += total >= before ? total - before : total;
  }
  return done;
}

export function processedByNode(obs: ServiceObservation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of obs.nodes) if (n.processed !== null) out[n.node] = n.processed;
  return out;
}

export function updateRates(state: RateState, obs: ServiceObservation, now: number): RateState {
  const work = pendingTotal(obs) + inFlightTotal(obs);
  const processed = processedByNode(obs);
  const next: RateState = { ...state, at: now, work, processed };
  if (state.at === undefined || state.work === undefined || !state.processed) return next;
  const dtMin = (now - state.at) / 60_000;
  if (dtMin <= 0) return { ...state };
  if (dtMin > MAX_GAP_MINUTES) return { ...next, lambda: state.lambda, arrivalRates: state.arrivalRates, mu: state.mu };
  const completed = completedBetween(state.processed, processed);
  const arrivals = Math.max(0, work - state.work + completed);
  // A flood shows up as one huge interval: the median ignores it (the flood itself is counted
  // once, as backlog), while steady arrivals fill every interval and set the median.
  const recent = [...(state.arrivalRates ?? []), arrivals / dtMin].slice(-ARRIVAL_SAMPLES);
  next.arrivalRates = recent;
  next.lambda = recent.length >= MIN_ARRIVAL_SAMPLES ? median(recent) : 0;
  next.lastArrivalRate = arrivals / dtMin;
  // Throughput only shows while there was a backlog the whole interval (every worker busy).
  const shared = Object.keys(processed).filter((n) => n in state.processed!).length;
  const busyWholeInterval = pendingTotal(obs) > 0 && state.work > shared;
  if (busyWholeInterval && shared > 0 && completed > 0) {
    next.mu = ewma(state.mu, completed / (shared * dtMin), dtMin);
    next.muSamples = state.muSamples + 1;
  }
  return next;
}

/** The throughput the plan uses: measured once trusted (bounded to 1/10–10× the configured), else configured. */
export function effectiveMu(state: RateState, configured: number): { mu: number; measured: boolean } {
  if (state.mu === undefined || state.muSamples < MU_SAMPLES_NEEDED) return { mu: configured, measured: false };
  return { mu: Math.min(configured * 10, Math.max(configured / 10, state.mu)), measured: true };
}
