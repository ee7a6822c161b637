import type { ServiceConfig } from '../config';
import type { Observation, ServiceObservation } from '../observation';
import { inFlightTotal, pendingTotal } from '../observation';
import type { HorizonInput, HorizonSizing, WaitingTasks } from './horizon';
import { arrivalTaskMin, effectiveMu, emptyRates, groupsByWait, pendingByWait, rateWindow, updateRates, workerMinutesPerName, workerMinutesPerTask, type RateState } from './rates';

export { completedBetween, effectiveMu, emptyRates, pendingByWait, updateRates, type RateState } from './rates';

/** What the planner remembers between cycles (JSON, bounded: stored in Redis every cycle). */
export interface ServiceHistory {
  rates: RateState;
  /**
   * [epoch ms, workers the arrival rate alone needs], the stabilization window plus the entry
   * just before it. A backlog's need is not kept: once worked off it says nothing about what comes next.
   */
  recs: [number, number][];
  /** Since when there has been no work and no arrivals (null while there is). */
  idleSince: number | null;
  lastScaleUpAt?: number;
  lastScaleDownAt?: number;
}

export const emptyHistory = (): ServiceHistory => ({ rates: emptyRates(), recs: [], idleSince: null });

export interface ServiceDecision {
  service: string;
  from: number;
  to: number;
  direction: 'up' | 'down' | 'none';
  reason: string;
  /** The numbers behind the reason. */
  work: number;
  lambda: number;
  mu: number;
  /** μ came from history (else it is the configured tasksPerWorkerPerMinute). */
  muMeasured: boolean;
  needed: number;
}

export interface PlanOptions {
  /** A desired count set by hand for this run. */
  desired?: number;
  skipCooldown?: boolean;
  /**
   * Sizes the fleet with the horizon model instead of the rules below (lib/planner/horizon.ts:
   * `horizonNeed`, given by the caller so that the LP solver loads only where it is used).
   */
  horizon?: HorizonSizing;
}

/**
 * A scale-down removes only workers whose held tasks end within this long at the worker's rate:
 * a drain holds the service's lock (no scale-up meanwhile), so busy long-task workers are
 * removed once idle rather than drained for their tasks' whole length.
 */
const QUICK_DRAIN_MINUTES = 1;
/** Arrivals below this (tasks/min) count as none, for idleness. */
const IDLE_LAMBDA = 0.01;
/**
 * How sharply the time left is smoothed near the deadline: about a cycle, but never more than a
 * quarter of the target, or a sub-minute target would be sized as if it had a minute (24 one-second
 * tasks, 6 s target: 1 worker instead of 4).
 */
const SOFT_MINUTES = 1;
const softZone = (targetMin: number): number => Math.min(SOFT_MINUTES, targetMin / 4);
/** The share of a worker of the arrivals' need left to the queue to absorb (keeps 5.02 workers' worth of arrivals at 5, not 6). */
const ARRIVAL_SLACK = 0.5;
/**
 * A scale-down keeps the arrivals' need less only this much: between it and ARRIVAL_SLACK the
 * fleet stays (2.5 workers' worth of arrivals held 2, the queue grew, 3 cleared it, 2 again: a
 * reversal every few minutes on a day of steady traffic).
 */
const DOWN_SLACK = 0.2;
/** An active task is on average half done: it counts half of what its name takes. */
const ACTIVE_LEFT = 2;
/**
 * No scale-down within the start-up plus this long (or the stabilization window, if shorter) of a
 * scale-up: its workers start and work a cycle before the plan may say they were not needed
 * (what the simulator counts as a reversal). The window bounds it so second-scale local stacks stay fast.
 */
const SETTLE_MINUTES = 1;
const ceil = (x: number): number => Math.ceil(x - 1e-9);
const round1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/**
 * Time left, smoothed: x down to τ, then τ·e^((x − τ)/τ), which meets it with the same slope and
 * stays positive past the deadline, so a queue that has waited its whole target asks for steadily
 * more workers (up to the usable bound), not for 1/1e-6 of them.
 */
const softLeft = (x: number, targetMin: number): number => {
  const soft = softZone(targetMin);
  return x >= soft ? x : soft * Math.exp((x - soft) / soft);
};

/**
 * Workers needed so that the waiting work (worker-minutes) starts within the target while the
 * fleet keeps up with arrivals. `waitedMin` is how long the queue has waited already, as one
 * number (see `queueWaited`); T' = T − waitedMin is the time left, smoothed (`softLeft`).
 * - steady: ⌈W/T'⌉, never below ⌊λ/μ⌋ nor 1 while tasks arrive: the fraction of a worker that
 *   λ/μ leaves over is served by letting the queue use the target;
 * - behind: when the waiting work within T' on top of the arrivals' own need, Wp/T' + λ/μ, is more
 *   than a worker above N, the fleet is falling behind (a queue growing a little every minute
 *   only hit the deadline, and then the max): that fluid need, less half a worker;
 * - scaling up: existing workers work the whole T', added ones only T' − S (smoothed too):
 *     N·T' + (N* − N)·(T' − S) ≥ W (when behind: Wp + (λ/μ)·T');
 * - bounded by `usable`: no more workers than can start every waiting and held task at once;
 *   what the arrivals need (keepUp) is the larger of that bound and it, not added to it.
 * With N = 0, S = 0, λ = 0 and W = tasks/μ this is the seed's rule ⌈tasks / (μ·T)⌉.
 */
export function workersNeeded(workMin: number, lambda: number, mu: number, targetMin: number, startupMin: number, current: number, waitedMin = 0, usable = Infinity): number {
  const arriving = lambda < IDLE_LAMBDA ? 0 : lambda / mu;
  const keepUp = arriving === 0 ? 0 : Math.max(1, ceil(arriving - ARRIVAL_SLACK));
  if (workMin <= 0) return keepUp;
  const left = softLeft(targetMin - waitedMin, targetMin);
  const steady = ceil(workMin / left);
  const forBacklog = steady > current ? current + ceil((workMin - current * left) / softLeft(left - startupMin, targetMin)) : steady;
  return Math.max(keepUp, Math.min(usable, Math.max(steady, forBacklog)));
}

/**
 * The queue's wait as one number: the wait that, applied to all of it, asks for the same rate as
 * its tightest group. With FIFO, the group of tasks that arrived by some moment must all start
 * within what is left of their target: rate ≥ count / (T − waited). A flood binds at its oldest
 * task; a queue that grew slowly binds at its newest ones, which have most of the target left.
 */
export function queueWaited(groups: [number, number][], pending: number, targetMin: number): number {
  if (pending <= 0 || groups.length === 0) return 0;
  let rate = 0;
  for (const [count, waited] of groups) rate = Math.max(rate, count / softLeft(targetMin - waited, targetMin));
  // The inverse of softLeft: past the deadline the wait keeps growing instead of stopping at T.
  const left = pending / rate;
  const soft = softZone(targetMin);
  return Math.max(0, targetMin - (left >= soft ? left : soft + soft * Math.log(left / soft)));
}

/**
 * A drain waits for its workers' tasks; meanwhile new work may arrive. Its plan is stale when the
 * queues now hold more than `to` workers finish within the target (the seed's rule at the plan's
 * throughput): the workers needed then, or null while removing them still makes sense.
 */
export function staleDrainNeed(pending: number, mu: number, targetMin: number, to: number): number | null {
  const needed = ceil(pending / (mu * targetMin));
  return needed > to ? needed : null;
}

export function cooldownVerdict(cfg: ServiceConfig, direction: 'up' | 'down', history: Pick<ServiceHistory, 'lastScaleUpAt' | 'lastScaleDownAt'>, now: number): { allowed: boolean; reason: string } {
  if (direction === 'up') {
    const since = history.lastScaleUpAt === undefined ? Infinity : (now - history.lastScaleUpAt) / 1000;
    const left = cfg.scaleUpCooldownSeconds - since;
    return left > 0 ? { allowed: false, reason: `scale-up cooldown: ${Math.ceil(left)} s left of ${cfg.scaleUpCooldownSeconds} s` } : { allowed: true, reason: 'no cooldown' };
  }
  const last = Math.max(history.lastScaleUpAt ?? -Infinity, history.lastScaleDownAt ?? -Infinity);
  const left = cfg.scaleDownCooldownSeconds - (now - last) / 1000;
  return left > 0 ? { allowed: false, reason: `scale-down cooldown: ${Math.ceil(left)} s left of ${cfg.scaleDownCooldownSeconds} s` } : { allowed: true, reason: 'no cooldown' };
}

export function recordScale(history: ServiceHistory, direction: 'up' | 'down', now: number): ServiceHistory {
  return direction === 'up' ? { ...history, lastScaleUpAt: now } : { ...history, lastScaleDownAt: now };
}

/**
 * The work waiting, in worker-minutes: each queue's pending tasks at what a task of that queue
 * takes (learned per task name, else 1/μ), reserved tasks at 1/μ, active ones at half of what
 * their name takes (on average they are half done).
 */
function workerMinutes(obs: ServiceObservation, rates: RateState, mu: number): { total: number; pending: number; perQueue: Record<string, number> } {
  const learned = workerMinutesPerTask(rates);
  const perQueue = Object.fromEntries(Object.keys(obs.queues).map((q) => [q, learned[q] ?? 1 / mu]));
  let pending = 0;
  for (const [queue, n] of Object.entries(obs.queues)) pending += n * perQueue[queue];
  let total = pending;
  for (const node of obs.nodes) {
    total += node.reserved / mu;
    const named = Object.entries(node.activeByTask ?? {});
    let unnamed = node.active;
    for (const [name, k] of named) {
      total += (k * (workerMinutesPerName(rates, name) ?? 1 / mu)) / ACTIVE_LEFT;
      unnamed -= k;
    }
    total += Math.max(0, unnamed) / mu / ACTIVE_LEFT;
  }
  return { total, pending, perQueue };
}

/**
 * With per-queue waiting groups: the queue whose pending work, with its rivals' turns (Celery
 * takes one message from each non-empty queue in turn: clearing q also runs min(pending, q's) of
 * each other), over its own smoothed time left, asks for the most workers. A queue's wait is
 * never taken below the service's (its arrivals count tasks taken from a worker's prefetch as
 * new). Without them, or with one queue waiting: null.
 */
function bindingQueue(queues: Record<string, number>, perQueue: Record<string, number>, rates: RateState, T: number, now: number, serviceWaited: number): { work: number; waited: number } | null {
  if (!rates.queueWaiting || Object.values(queues).filter((p) => p > 0).length < 2) return null;
  let best: { work: number; waited: number; rate: number } | null = null;
  for (const [q, p] of Object.entries(queues)) {
    if (p <= 0) continue;
    const waited = Math.max(serviceWaited, queueWaited(groupsByWait(rates.queueWaiting[q], now), p, T));
    let work = 0;
    for (const [r, pr] of Object.entries(queues)) work += Math.min(pr, p) * perQueue[r];
    const rate = work / softLeft(T - waited, T);
    if (!best || rate > best.rate) best = { work, waited, rate };
  }
  return best;
}

/** Cycles are taken to be this long until two samples show the interval (minutes), and within these bounds after. */
const DEFAULT_STEP_MIN = 1;
const MIN_STEP_MIN = 0.1;
const MAX_STEP_MIN = 5;

/**
 * How much sooner a waiting task is due where workers bind messages before a slot is free
 * (lib/planner/rates.ts, `boundWaitMin`): it waits for the first of its worker's `slots` busy
 * slots to free, beyond its own length of `taskMin`. The longest task seen (about the longest of
 * the last hundred) gives that wait two ways, each exact for one shape of the lengths' tail and
 * above the truth for the other: a c-th of the longest (lengths with an exponential tail, where c
 * slots free c times as often), and the task's length times the c-th root of the longest's ratio
 * to it (a power-law tail, where the few long tasks seldom hold every slot of a node at once).
 * The smaller is taken. On one slot both are the longest.
 */
export function boundWait(longestMin: number, taskMin: number, slots: number): number {
  return Math.max(0, slotWait(longestMin, taskMin, slots) - taskMin / Math.max(1, slots));
}

/** The wait itself for the first of `slots` busy slots to free (`boundWait` without the task's own share). */
export function slotWait(longestMin: number, taskMin: number, slots: number): number {
  const c = Math.max(1, slots);
  const powerLaw = taskMin > 0 ? taskMin * Math.pow(Math.max(1, longestMin / taskMin), 1 / c) : longestMin;
  return Math.min(longestMin / c, powerLaw);
}

/** The stream's rate over the last half hour and its deviation as a share of it, for the spare slots (`rateWindow`). */
function streamRate(rates: RateState): { streamPerMin: number; rateSpread: number } {
  const { n, minutes } = rateWindow(rates);
  return { streamPerMin: minutes > 0 ? n / minutes : 0, rateSpread: 1 / Math.sqrt(Math.max(1, n)) };
}

/** What the horizon model sees of a service (lib/planner/horizon.ts). */
export function horizonInput(cfg: ServiceConfig, obs: ServiceObservation, rates: RateState, prevAt: number | undefined, now: number, lambda: number, mu: number, paid: number, lastUpAt?: number): HorizonInput {
  const slots = rates.concurrency ?? 1;
  const learned = workerMinutesPerTask(rates);
  const taskMin = (q: string) => (learned[q] ?? 1 / mu) * slots;
  const step = prevAt === undefined ? DEFAULT_STEP_MIN : Math.min(MAX_STEP_MIN, Math.max(MIN_STEP_MIN, (now - prevAt) / 60_000));
  // The margin, stated once: what the model does not know yet. An arrival is seen at the next
  // cycle's measurement at the earliest, so arrivals aim a cycle early. A waiting task is seen
  // now, dated at the sample before it was counted; what is unsure is how long the tasks ahead of
  // it run. With one queue that length is learned where the nodes were full with a backlog, which
  // is exact (rates.ts, `Duration`), so the margin is one task (a slot frees only as its task
  // ends), at most a cycle. With several queues a full node's slot-time is split among them by
  // two samples of their active counts, and the margin stays a cycle.
  const margin = (m: number) => Math.max(cfg.targetMinutes / 2, cfg.targetMinutes - m);
  const T = margin(step);
  const oneQueue = Object.keys(obs.queues).length === 1;
  const due = (queue: string) => (oneQueue ? margin(Math.min(step, taskMin(queue))) : T);
  const waiting: WaitingTasks[] = [];
  const pending = pendingTotal(obs);
  const byQueue = rates.queueWaiting;
  const push = (queue: string, groups: [number, number][], count: number) => {
    let before = 0;
    for (const [upTo, waited] of groups) {
      const k = Math.min(count, upTo) - before;
      if (k > 0) waiting.push({ queue, count: k, dueMin: due(queue) - waited, taskMin: taskMin(queue) });
      before += Math.max(0, k);
    }
    if (count > before) waiting.push({ queue, count: count - before, dueMin: due(queue), taskMin: taskMin(queue) });
  };
  if (byQueue && !oneQueue) {
    for (const [q, p] of Object.entries(obs.queues)) if (p > 0) push(q, groupsByWait(byQueue[q], now), p);
  } else if (pending > 0) {
    const [q] = Object.keys(obs.queues);
    // One FIFO: its tasks at the mean duration of what waits.
    const mean = Object.entries(obs.queues).reduce((a, [name, p]) => a + p * taskMin(name), 0) / pending;
    push(q ?? '*', groupsByWait(rates.waiting, now), pending);
    for (const g of waiting) g.taskMin = mean;
  }
  const running: HorizonInput['running'] = [];
  for (const node of obs.nodes) {
    const mine: HorizonInput['running'] = [];
    // The node's active tasks' whole lengths, summed (each is counted with 1 / ACTIVE_LEFT of it left).
    let whole = 0;
    const active = (count: number, taskMin: number) => {
      mine.push({ count, leftMin: taskMin / ACTIVE_LEFT });
      whole += count * taskMin;
    };
    let unnamed = node.active;
    for (const [name, k] of Object.entries(node.activeByTask ?? {})) {
      active(k, (workerMinutesPerName(rates, name) ?? 1 / mu) * slots);
      unnamed -= k;
    }
    if (unnamed > 0) active(unnamed, slots / mu);
    // A reserved task is bound to its node: it starts when one of the node's slots is free, and
    // no other worker can take it. Its work extends the node's busy slots (added workers do not
    // help it); a node with nothing active runs it on its free slots. It was taken by the same
    // turns over the queues as the node's active tasks, so it is as long as they are on average
    // (a node running long tasks of one queue holds that queue's tasks in reserve, not the short
    // ones of a burst that set μ); 1/μ on a node with nothing active.
    if (node.reserved > 0) {
      const busy = mine.reduce((a, r) => a + r.count, 0);
      const extra = node.reserved * (busy > 0 ? whole / busy : slots / mu);
      if (busy === 0) mine.push({ count: Math.min(node.reserved, slots), leftMin: extra / Math.min(node.reserved, slots) });
      else for (const r of mine) r.leftMin += extra / busy;
    }
    running.push(...mine);
  }
  // Where workers bind a message before a slot is free, a waiting task waits behind its worker's
  // busy slots, which may run as long as the longest task seen there: it is due sooner by `boundWait`,
  // and an arrival that finds every slot busy waits `slotWait` (the model keeps slots spare for it).
  if (rates.boundWaitMin) for (const g of waiting) g.dueMin -= boundWait(rates.boundWaitMin, g.taskMin, slots);
  // The arrivals' tasks are a stream's: their mean length is its slot-time over its tasks ended in
  // every interval (Little's law), not in the full ones alone, which a mix of lengths reads long (a
  // backlog forms where the long tasks hold the slots).
  const stream = workerMinutesPerTask(rates, { stream: true });
  const arrivingMin = arrivalTaskMin(rates, (q) => (stream[q] ?? 1 / mu) * slots) ?? slots / mu;
  // Paid workers with no node answering yet are starting: the last scale-up launched them at the
  // latest, so they are ready by its start-up's end (as if launched now when none is known).
  const startupMin = cfg.startupSeconds / 60;
  const count = Math.max(0, paid - obs.nodes.length);
  const readyMin = lastUpAt === undefined ? startupMin : Math.max(0, startupMin - (now - lastUpAt) / 60_000);
  return {
    stepMin: step, startupMin, paid, ...(count > 0 && readyMin > 0 ? { starting: { count, readyMin } } : {}), minWorkers: cfg.minWorkers, maxWorkers: cfg.maxWorkers, slots,
    waiting, running, arrivals: { perMin: lambda, taskMin: arrivingMin, targetMin: T, ...(rates.boundWaitMin ? { slotWaitMin: slotWait(rates.boundWaitMin, arrivingMin, slots), longestMin: rates.boundWaitMin, ...streamRate(rates) } : {}) },
  };
}

/** Current workers: the ECS desired count; without ECS, the nodes that answered. */
const currentWorkers = (obs: ServiceObservation): number => obs.ecs?.desired ?? obs.nodes.length;

export function planService(name: string, cfg: ServiceConfig, obs: ServiceObservation, history: ServiceHistory, now: number, opts: PlanOptions = {}): { decision: ServiceDecision; history: ServiceHistory } {
  const rates: RateState = updateRates(history.rates ?? emptyRates(), obs, now);
  const pending = pendingTotal(obs);
  const inFlight = inFlightTotal(obs);
  const work = pending + inFlight;
  const lambda = rates.lambda ?? 0;
  const { mu, measured } = effectiveMu(rates, cfg.tasksPerWorkerPerMinute);
  const from = currentWorkers(obs);
  const T = cfg.targetMinutes;
  const S = cfg.startupSeconds / 60;

  const idle = work === 0 && (rates.lastArrivalRate ?? 0) < IDLE_LAMBDA;
  const idleSince = idle ? history.idleSince ?? now : null;
  const idleFor = idleSince === null ? 0 : (now - idleSince) / 60_000;

  const groups = pendingByWait(rates, pending, now);
  const { total, pending: pendingMin, perQueue } = workerMinutes(obs, rates, mu);
  // The queue that binds: the work it takes to clear it within its own time left, its rivals' turns included.
  const serviceWaited = queueWaited(groups, pending, T);
  const binding = bindingQueue(obs.queues, perQueue, rates, T, now, serviceWaited) ?? { work: pendingMin, waited: serviceWaited };
  const workMin = total - pendingMin + binding.work;
  const waited = binding.waited;
  const slots = rates.concurrency ?? 1;
  const usable = ceil(work / slots);
  let needed = opts.horizon
    ? opts.horizon(horizonInput(cfg, obs, rates, history.rates?.at, now, idle ? 0 : lambda, mu, from, history.lastScaleUpAt))
    : workersNeeded(workMin, idle ? 0 : lambda, mu, T, S, from, waited, usable);
  // What the arrival rate alone needs: the stabilization window holds this, so a backlog's need
  // (queued or in flight), once worked off, does not keep its fleet for the window. Idleness keeps
  // its one worker by itself: held in the window too, it stayed idleMinutes + the window.
  const forArrivals = idle || lambda < IDLE_LAMBDA ? 0 : Math.max(1, ceil(lambda / mu - DOWN_SLACK));
  const waitedNote = groups.length > 0 && groups[0][1] >= 0.05 ? `, oldest waiting ${round1(groups[0][1])} min` : '';
  const sized = Math.abs(workMin * mu - work) > 0.05 * work ? ` = ${round1(workMin)} worker-min` : '';
  const capped = needed === usable && usable < Infinity && work > 0 ? `, capped at ${usable} (all ${work} started at once over ${slots} slot${slots === 1 ? '' : 's'})` : '';
  let why = `backlog ${work} (${pending} pending, ${inFlight} in flight${waitedNote}${sized}${capped}), arrivals ${round1(lambda)}/min, ${round1(mu)}/min/worker${measured ? ' measured' : ''}, ${T} min target, ${round1(S)} min start-up → ${needed}`;
  if (work > 0 && needed === 0) needed = 1;
  if (idle && from > 0 && idleFor < cfg.idleMinutes) {
    needed = Math.max(needed, 1);
    why = `idle for ${round1(idleFor)} of ${cfg.idleMinutes} min → keep 1`;
  }
  const bounded = (n: number) => Math.min(cfg.maxWorkers, Math.max(cfg.minWorkers, n));
  const recommended = bounded(needed);
  const bound = recommended !== needed ? ` (${recommended === cfg.maxWorkers ? 'max' : 'min'} ${recommended})` : '';

  // The stabilization window: recommendations within it, plus the last one before it.
  const windowStart = now - cfg.stabilizationSeconds * 1000;
  const recs: [number, number][] = [...(history.recs ?? []), [now, bounded(forArrivals)]];
  const firstInWindow = recs.findIndex(([at]) => at >= windowStart);
  const kept = recs.slice(Math.max(0, firstInWindow - 1));
  const next: ServiceHistory = { ...history, rates, recs: kept, idleSince };

  const decide = (to: number, reason: string, direction: ServiceDecision['direction'] = to > from ? 'up' : to < from ? 'down' : 'none') => ({
    decision: { service: name, from, to, direction, reason, work, lambda, mu, muMeasured: measured, needed: recommended },
    history: next,
  });

  // Two autoscalers on one desired count undo each other's changes: this one holds, by hand too.
  if (obs.otherAutoscaling) return decide(from, `not scaled: ${obs.otherAutoscaling}`, 'none');

  if (opts.desired !== undefined) {
    const to = Math.min(cfg.maxWorkers, Math.max(cfg.minWorkers, opts.desired));
    return decide(to, `set by hand to ${to} (plan would be ${recommended}: ${why}${bound})`);
  }

  if (recommended > from) {
    if (from > 0 && recommended <= from * cfg.scaleUpThreshold && from >= cfg.minWorkers) {
      return decide(from, `${why}${bound}; within scale-up threshold ×${cfg.scaleUpThreshold} of ${from}`, 'none');
    }
    const cd = opts.skipCooldown ? null : cooldownVerdict(cfg, 'up', history, now);
    if (cd && !cd.allowed && from >= cfg.minWorkers) return decide(from, `${why}${bound}; ${cd.reason}`, 'none');
    return decide(recommended, `${why} workers${bound}`);
  }

  if (recommended < from) {
    if (obs.errors.length > 0) return decide(from, `no scale-down: measurement incomplete (${obs.errors[0]})`, 'none');
    if (obs.missingNodes.length > 0) return decide(from, `no scale-down: ${obs.missingNodes.length} worker(s) did not answer (${obs.missingNodes.slice(0, 3).join(', ')})`, 'none');
    if (obs.ecs?.deploymentInProgress) return decide(from, 'no scale-down: an ECS deployment is in progress', 'none');
    // Messages wait and every worker holds tasks: the fleet is busy, not oversized; a lower need
    // here comes from estimates (a faster μ, the deadline math) that a wrong guess would turn into missed targets.
    if (pending > 0 && obs.nodes.length > 0 && obs.nodes.every((n) => n.active + n.reserved > 0) && from <= cfg.maxWorkers) {
      return decide(from, `${why}${bound}; no scale-down while ${pending} wait and every worker is busy`, 'none');
    }
    if (from > cfg.maxWorkers) return decide(cfg.maxWorkers, `above maxWorkers ${cfg.maxWorkers}: ${why}${bound}`);
    const settle = S + Math.min(SETTLE_MINUTES, cfg.stabilizationSeconds / 60) - (now - (history.lastScaleUpAt ?? -Infinity)) / 60_000;
    if (settle > 0) return decide(from, `${why}${bound}; the last scale-up's workers start and work first (${Math.ceil(settle * 60)} s left)`, 'none');
    const covered = kept.length > 0 && kept[0][0] <= windowStart;
    if (!covered) {
      const seen = Math.round((now - (kept[0]?.[0] ?? now)) / 1000);
      return decide(from, `${why}${bound}; scale-down waits for stabilization (${seen} s of ${cfg.stabilizationSeconds} s)`, 'none');
    }
    const stable = kept.reduce((a, [at, r], i) => (at >= windowStart || i === 0 ? Math.max(a, r) : a), recommended);
    if (stable >= from) return decide(from, `${why}${bound}; highest in the ${cfg.stabilizationSeconds} s window is ${stable}`, 'none');
    if (stable > from * cfg.scaleDownThreshold && stable > 0) {
      return decide(from, `${why}${bound}; ${stable} is above the scale-down threshold ×${cfg.scaleDownThreshold} of ${from}`, 'none');
    }
    const cd = opts.skipCooldown ? null : cooldownVerdict(cfg, 'down', history, now);
    if (cd && !cd.allowed) return decide(from, `${why}${bound}; ${cd.reason}`, 'none');
    const quick = obs.nodes.filter((n) => n.active + n.reserved + n.scheduled <= mu * QUICK_DRAIN_MINUTES).length;
    if (quick === 0) return decide(from, `${why}${bound}; no worker would drain within ${QUICK_DRAIN_MINUTES} min (all hold long tasks)`, 'none');
    const to = Math.max(stable, from - quick);
    const idleNote = stable === 0 ? `idle for ${round1(idleFor)} min → 0` : why;
    const quickNote = to > stable ? `; ${quick} worker(s) would drain within ${QUICK_DRAIN_MINUTES} min → ${to}` : '';
    return decide(to, `${idleNote} workers (highest in ${cfg.stabilizationSeconds} s window)${bound}${quickNote}`);
  }
  return decide(from, `${why}${bound}; no change`, 'none');
}

export function plan(
  services: Record<string, ServiceConfig>,
  observation: Observation,
  histories: Record<string, ServiceHistory>,
  now: number,
  opts: { desired?: Record<string, number>; skipCooldown?: boolean; horizon?: HorizonSizing } = {},
): { changes: ServiceDecision[]; holds: { service: string; reason: string }[]; histories: Record<string, ServiceHistory>; decisions: ServiceDecision[] } {
  const changes: ServiceDecision[] = [];
  const decisions: ServiceDecision[] = [];
  const holds: { service: string; reason: string }[] = [];
  const out: Record<string, ServiceHistory> = {};
  for (const [name, cfg] of Object.entries(services)) {
    const obs = observation.services[name];
    if (!obs) {
      holds.push({ service: name, reason: 'not measured' });
      continue;
    }
    const { decision, history } = planService(name, cfg, obs, histories[name] ?? emptyHistory(), now, { desired: opts.desired?.[name], skipCooldown: opts.skipCooldown, horizon: opts.horizon });
    out[name] = history;
    decisions.push(decision);
    if (decision.direction === 'none' || decision.to === decision.from) holds.push({ service: name, reason: decision.reason });
    else changes.push(decision);
  }
  return { changes, holds, histories: out, decisions };
}
