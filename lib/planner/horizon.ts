import { lpNumber as n, solveLp } from './lp';

/**
 * The planner's model (docs/planner.md, "The horizon model"): each cycle, per service, the work
 * projected over a horizon as a fluid, and the cheapest fleet path that starts every task within
 * its target, found by a linear program (HiGHS). The cycle applies the path's first step and plans
 * again at the next cycle (receding horizon).
 *
 * Time runs in slots of Δ minutes from now (slot j covers [jΔ, (j+1)Δ)). Per slot: r_j the workers
 * kept (ready, or z_j of them launched before now and still starting, fractional where they become
 * ready within the slot), u_j the workers that became ready (each paid its start-up before), and by the slot's end
 * w_j the work done (worker-minutes: a task of d minutes on a worker of c slots is d/c of them).
 *
 *   minimise  Δ·Σ r_j + L·Σ u_j + P·Σ s_j + ε·Σ (A_j − w_j)
 *   0 ≤ w_j − w_{j−1} ≤ Δ·(r_{j−1} − z_{j−1})  the ready workers do the work (z_j: paid ones still starting)
 *   w_j ≤ A(jΔ)                             no work before it can start (a task runs at one slot's pace)
 *   w_j + s_j ≥ D(jΔ)                       every task started by its due time (s_j: the work that is late)
 *   u_j ≥ r_j − r_{j−1}, u_0 ≥ r_0 − N      starts; N = the workers paid now
 *   r_j ≤ N until a worker launched now is ready (after the start-up), ≤ maxWorkers after; ≥ minWorkers
 *   r_j ≥ z_j                               a starting worker is kept until it is ready (a drain takes only workers that answer)
 *   r_j ≥ spare                             where tasks bind to busy workers, the spare slots (`spareWorkers`)
 *   r_last ≥ what the arrivals need           the path does not end by running down the fleet
 *
 * L, the cost of a start, is the start-up plus half a cycle: a worker is removed only at a cycle,
 * so it idles on average half of one after its last task. P, the cost of late work, is high
 * enough that the plan is late only where no fleet within maxWorkers is on time. ε prefers, among
 * paths of equal cost, the one that does the work sooner (without it a path that waits until the
 * last moment costs the same, and a receding horizon would keep waiting).
 *
 * A(τ) and D(τ) are the work that can have been done, and must have been, by τ: a task of d
 * minutes that starts at s contributes min(d, (τ − s)⁺)/c; A starts each task as soon as it is
 * there (now, or at its arrival), D as late as its due time allows. Celery takes one message from
 * each non-empty queue in turn, so a queue's tasks start only with as many of each other queue's:
 * D is the larger of every task started by its own due time and, per queue, its tasks with their
 * rivals' turns started by theirs.
 */

/** Pending tasks of one queue that arrived together (oldest first within a queue). */
export interface WaitingTasks {
  queue: string;
  count: number;
  /** Minutes from now by which they must start (≤ 0: due already). */
  dueMin: number;
  /** How long one of them runs, in minutes (on one task slot). */
  taskMin: number;
}

export interface HorizonInput {
  /** How often the plan is made again: the cycle, in minutes. */
  stepMin: number;
  startupMin: number;
  /** Workers paid now (ECS desired count): ready, or starting. */
  paid: number;
  /** Of the paid workers, those still starting (no node answered for them yet), and within how many minutes they are all ready. */
  starting?: { count: number; readyMin: number };
  minWorkers: number;
  maxWorkers: number;
  /** Task slots per worker (the pool's concurrency). */
  slots: number;
  waiting: WaitingTasks[];
  /** Tasks running on the workers now, with the minutes each slot has left (a node's reserved tasks included: they lengthen its busy slots). */
  running: { count: number; leftMin: number }[];
  /**
   * Arrivals expected per minute, how long each runs, and the minutes each may wait; where workers
   * bind a message before a slot is free, how long one that finds every slot busy waits for one,
   * the longest task seen there, and the stream's rate over the last half hour with its deviation
   * as a share of it (1/√ of the arrivals it was read from), which size the spare slots.
   */
  arrivals: { perMin: number; taskMin: number; targetMin: number; slotWaitMin?: number; longestMin?: number; streamPerMin?: number; rateSpread?: number };
}

export interface HorizonPlan {
  /** Slot length, minutes. */
  slotMin: number;
  /** Workers ready in each slot (fractional: a fluid path). */
  fleet: number[];
  /** The first slot a worker launched now works in (the start-up ends within it). */
  readySlot: number;
  /** Worker-minutes of work the path starts late (0 when the target can be met). */
  lateWorkerMin: number;
}

/** Slots in one program at most: the horizon is cut into coarser slots beyond (each plan is a few ms). */
export const HORIZON_SLOTS = 40;
/** The cost of a worker-minute of late work, in paid worker-minutes, per minute of start-up and cycle it could have been bought with. */
const LATE_COST = 100;
/** The tie-break towards doing work sooner, per worker-minute of work still to do at each slot's end. */
const SOONER = 1e-6;

/** The share of tasks that may start past their target. */
const LATE_SHARE = 0.01;

/**
 * Task slots to keep so that few arrivals bind behind busy slots. Where workers bind a message
 * before a slot is free, a task that finds every slot busy waits on its worker for one of them,
 * and no worker added later can take it: the fluid path, which sees only the mean load, has no
 * word for it. Slots busy with the arrivals' tasks are Poisson of mean `busy` (M/G/∞), so the
 * spare is the smallest s with P(busy ≥ s) · late ≤ LATE_SHARE, where `late` is the chance that a
 * bound task waits past its target, the smaller of two readings:
 * - e^(−target / waitMin): the wait taken as exponential, of mean `waitMin` (`slotWait`, high for
 *   the tails it is written for);
 * - (1 − target / longest)^slots, a bound for any lengths of at most `longest`: a busy slot is more
 *   often held by a long task than a task is long (a slot's time left has the tail
 *   E[(d − target)⁺] / E[d]), and with a given mean that tail is highest when every length is 0 or
 *   `longest` (it is convex in d), where it is 1 − target / longest; a node's slots free independently.
 * None where a bound task seldom waits past its target (short tasks).
 */
export function spareSlots(busy: number, waitMin: number, targetMin: number, longestMin = Infinity, slots = 1): number {
  const bounded = Math.pow(Math.max(0, 1 - targetMin / longestMin), Math.max(1, slots));
  const lateIfBound = Math.min(bounded, Math.exp(-targetMin / Math.max(waitMin, 1e-9)));
  if (!(busy > 0 && Number.isFinite(busy)) || lateIfBound <= LATE_SHARE) return 0;
  // At least LATE_SHARE: the Poisson probabilities summed (in logs, so a large mean does not
  // underflow the first ones) reach 1 − allowed within a few standard deviations of the mean.
  const allowed = LATE_SHARE / lateIfBound;
  let logP = -busy;
  let below = 0;
  for (let k = 0; ; k += 1) {
    if (k > 0) logP += Math.log(busy / k);
    below += Math.exp(logP);
    if (1 - below <= allowed) return k + 1;
  }
}

/**
 * Deviations of the arrival rate's estimate below it at which the spare is bought. A rate read
 * from n arrivals is off by about 1/√n of itself (Poisson counts); bought at the rate as read,
 * the spare followed that noise and turned the fleet with each arrival.
 */
const SPREAD_Z = 2;

/**
 * The workers the path holds for the spare slots (`spareSlots`): bought for the arrival rate
 * SPREAD_Z deviations below its estimate, and, of those paid now, kept for the rate as read. A
 * fleet between the two holds until the rate has moved by more than its estimate's noise. The
 * spare is a steady stream's, so its rate is the stream's over the last half hour where known
 * (λ, read from the last few minutes, follows their noise, and the kept spare fell with each low
 * reading); none while no arrivals are expected.
 */
export function spareWorkers(h: HorizonInput): number {
  const { taskMin, targetMin, slotWaitMin, longestMin, rateSpread } = h.arrivals;
  if (!slotWaitMin || !(h.arrivals.perMin > 0)) return 0;
  const perMin = h.arrivals.streamPerMin ?? h.arrivals.perMin;
  const c = Math.max(1, h.slots);
  const at = (z: number) => Math.min(h.maxWorkers, spareSlots(Math.max(0, 1 + z * (rateSpread ?? 0)) * perMin * taskMin, slotWaitMin, targetMin, longestMin, c) / c);
  return Math.max(at(-SPREAD_Z), Math.min(h.paid, at(0)));
}

/** ∫₀^x min(d, x − a) da: the work by x of a unit-rate stream of tasks of d minutes that started in [0, x]. */
const ramp = (x: number, d: number): number => (x <= 0 ? 0 : x <= d ? (x * x) / 2 : d * x - (d * d) / 2);

/** The horizon's fluid path (the LP solver must be loaded: lib/planner/lp.ts). */
export function planHorizon(h: HorizonInput): HorizonPlan {
  const c = Math.max(1, h.slots);
  const lambda = Math.max(0, h.arrivals.perMin);
  const keepUp = Math.min(h.maxWorkers, (lambda * h.arrivals.taskMin) / c);
  const spare = spareWorkers(h);
  const longest = Math.max(h.arrivals.taskMin, ...h.waiting.map((g) => g.taskMin), ...h.running.map((r) => r.leftMin));
  const lastDue = Math.max(lambda > 0 ? h.arrivals.targetMin : 0, ...h.waiting.map((g) => g.dueMin));
  // Long enough for every waiting task to start and run, arrivals to meet their target, and workers launched now to start.
  const horizon = Math.max(lastDue, 0) + h.startupMin + Math.min(longest, Math.max(h.arrivals.targetMin, h.stepMin)) + 2 * h.stepMin;
  // Slots short enough to tell a deadline from the next (a quarter of the target) and no shorter than a cycle needs.
  const slot = Math.max(horizon / HORIZON_SLOTS, Math.min(h.stepMin, h.arrivals.targetMin / 4));
  const K = Math.max(2, Math.ceil(horizon / slot - 1e-9));
  const readySlot = Math.min(K - 1, Math.floor(h.startupMin / slot + 1e-9));
  const floor = Math.min(h.minWorkers, h.maxWorkers);
  if (h.waiting.length === 0 && h.running.length === 0 && lambda === 0) {
    return { slotMin: slot, fleet: new Array<number>(K).fill(floor), readySlot, lateWorkerMin: 0 };
  }

  const tasksAtHand = h.waiting.reduce((a, g) => a + g.count, 0) + h.running.reduce((a, r) => a + r.count, 0);
  /** Tasks there by τ: those at hand and the arrivals since. */
  const present = (tau: number): number => tasksAtHand + lambda * tau;
  const pendingOf: Record<string, number> = {};
  for (const g of h.waiting) pendingOf[g.queue] = (pendingOf[g.queue] ?? 0) + g.count;
  const queues = Object.keys(pendingOf);
  const durationOf: Record<string, number> = {};
  for (const g of h.waiting) durationOf[g.queue] = Math.max(durationOf[g.queue] ?? 0, g.taskMin);
  const A: number[] = [0];
  const D: number[] = [0];
  const S: [number, number][] = [[0, 0]];
  for (let k = 1; k <= K; k += 1) {
    const t = k * slot;
    let running = 0;
    for (const r of h.running) running += r.count * Math.min(r.leftMin, t);
    const arrived = lambda * ramp(t, h.arrivals.taskMin);
    const due = lambda * ramp(t - h.arrivals.targetMin, h.arrivals.taskMin);
    let available = running + arrived;
    let edf = running + due;
    for (const g of h.waiting) {
      available += g.count * Math.min(g.taskMin, t);
      edf += g.count * Math.min(g.taskMin, Math.max(0, t - g.dueMin));
    }
    let turns = edf;
    if (queues.length > 1) {
      for (const q of queues) {
        let byQueue = running + due;
        let before = 0;
        for (const g of h.waiting) {
          if (g.queue !== q) continue;
          const late = Math.max(0, t - g.dueMin);
          byQueue += g.count * Math.min(g.taskMin, late);
          for (const r of queues) {
            if (r === q) continue;
            const theirs = Math.min(pendingOf[r], before + g.count) - Math.min(pendingOf[r], before);
            byQueue += theirs * Math.min(durationOf[r], late);
          }
          before += g.count;
        }
        turns = Math.max(turns, byQueue);
      }
    }
    A.push(available / c);
    D.push(Math.min(available, turns) / c);
    // Every task due by t has started: its whole work is done or held by a ready slot (one task
    // a slot, its length at most the longest). Not only the work that can have been done by t:
    // three 10-minute tasks due in a minute need three slots then, which a fluid worker sharing
    // itself among them would not.
    let started = Math.max(0, lambda * (t - h.arrivals.targetMin)) * h.arrivals.taskMin;
    let longestDue = started > 0 ? h.arrivals.taskMin : 0;
    for (const g of h.waiting) {
      if (g.dueMin > t) continue;
      started += g.count * g.taskMin;
      longestDue = Math.max(longestDue, g.taskMin);
    }
    S.push([(started + running) / c, longestDue]);
  }

  // Workers paid but still starting: in each slot, how many of them are not ready for its whole length.
  const notReady = Array.from({ length: K }, (_, j) => (h.starting ? h.starting.count * Math.min(1, Math.max(0, (h.starting.readyMin - j * slot) / slot)) : 0));
  const launch = h.startupMin + h.stepMin / 2;
  const late = LATE_COST * (1 + launch / slot);
  const objective: string[] = [];
  const rows: string[] = [];
  const bounds: string[] = [];
  for (let j = 0; j < K; j += 1) {
    objective.push(`+ ${n(slot)} r${j}`, `+ ${n(launch)} u${j}`);
    // A worker launched now works from the start-up's end on: in that slot for the part after it.
    const ready = Math.min(1, Math.max(0, ((j + 1) * slot - h.startupMin) / slot));
    const launchable = Math.min(h.maxWorkers, Math.max(Math.min(h.paid, h.maxWorkers), h.paid + (h.maxWorkers - h.paid) * ready));
    // A worker with no task to start helps nothing: no more slots than tasks there by the slot's end (a fluid path
    // would otherwise run a backlog that is already late on more workers than it has tasks, to finish it sooner).
    const cap = Math.min(launchable, Math.max(floor, Math.ceil(present(Math.min(horizon, (j + 1) * slot)) / c - 1e-9)));
    // A worker still starting stays paid until it is ready, and the spare is held once it can be: the path may not end them.
    const held = Math.min(launchable, spare);
    const hi = Math.max(cap, held, notReady[j]);
    const lo = Math.max(j === K - 1 ? Math.max(floor, keepUp) : floor, held, notReady[j]);
    bounds.push(`${n(Math.min(lo, hi))} <= r${j} <= ${n(hi)}`);
    rows.push(j === 0 ? `up0: u0 - r0 >= ${n(-h.paid)}` : `up${j}: u${j} - r${j} + r${j - 1} >= 0`);
  }
  for (let k = 1; k <= K; k += 1) {
    const prev = k > 1 ? ` - w${k - 1}` : '';
    objective.push(`+ ${n(late)} s${k}`, `- ${n(SOONER)} w${k}`);
    // Only ready workers work: the paid ones less those still starting.
    rows.push(`cap${k}: w${k}${prev} - ${n(slot)} r${k - 1} <= ${n(-slot * notReady[k - 1])}`);
    if (k > 1) rows.push(`mono${k}: w${k}${prev} >= 0`);
    rows.push(`due${k}: w${k} + s${k} >= ${n(D[k])}`);
    if (S[k][0] > D[k]) rows.push(`start${k}: w${k} + ${n(S[k][1])} r${k - 1} + s${k} >= ${n(S[k][0] + S[k][1] * notReady[k - 1])}`);
    bounds.push(`0 <= w${k} <= ${n(A[k])}`);
  }
  // At the end, what is left must start within the target at the last slot's fleet: A − w ≤ T·r.
  objective.push(`+ ${n(late)} s_end`);
  rows.push(`end: w${K} + ${n(h.arrivals.targetMin)} r${K - 1} + s_end >= ${n(A[K])}`);
  const sol = solveLp({ objective, rows, bounds }, 'the horizon plan');
  const fleet = Array.from({ length: K }, (_, j) => Math.max(0, sol.value(`r${j}`)));
  let lateWorkerMin = 0;
  for (let k = 1; k <= K; k += 1) lateWorkerMin = Math.max(lateWorkerMin, sol.value(`s${k}`));
  return { slotMin: slot, fleet, readySlot, lateWorkerMin };
}

/** Sizes a fleet from what the horizon model sees (lib/planner/index.ts: `horizonInput`). */
export type HorizonSizing = (input: HorizonInput) => number;

/** A fluid path's fraction of a worker below this is left to the margin rather than bought as a whole worker. */
const ROUND_DOWN = 0.1;

/**
 * The workers the horizon model keeps now: the most its path has in any slot that begins before a
 * worker launched at the next cycle could be ready (start-up + a cycle from now). Those slots can
 * only be served by workers launched now; later slots are bought by later cycles.
 */
export const horizonNeed: HorizonSizing = (input) => {
  const p = planHorizon(input);
  const last = Math.min(p.fleet.length - 1, Math.max(p.readySlot, Math.ceil((input.startupMin + input.stepMin) / p.slotMin - 1e-9) - 1));
  let most = 0;
  for (let j = 0; j <= last; j += 1) most = Math.max(most, p.fleet[j]);
  return Math.ceil(most - ROUND_DOWN - 1e-9);
};
