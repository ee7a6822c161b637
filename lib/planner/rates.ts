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
  pending?: number;
  processed?: Record<string, number>;
  /** Each node's active tasks at that sample. */
  activeByNode?: Record<string, number>;
  /** Arrivals per minute: the median of the recent interval rates. */
  lambda?: number;
  /** The last few intervals' arrival rates (per minute). */
  arrivalRates?: number[];
  /** [arrivals, minutes] of the last intervals, up to half an hour: the rate of a trickle. */
  arrivalCounts?: [number, number][];
  /** EWMA of tasks per minute per worker, measured only while a backlog kept workers busy. */
  mu?: number;
  muSamples: number;
  /** [completions, busy worker-minutes] gathered towards the next μ sample. */
  muBatch?: [number, number];
  /** Arrivals per minute in the last interval alone (idleness needs "none just now", not a decayed average). */
  lastArrivalRate?: number;
  /**
   * The pending messages as [count, arrived after (epoch ms)], oldest first, summing to the
   * pending count of the last sample. FIFO: each sample, the newest min(arrivals, pending) are
   * new and the rest are the youngest of the groups before, so an error in the arrival estimate
   * (completions of a worker that stopped between samples are not seen) does not accumulate.
   */
  waiting?: [number, number][];
  /**
   * Per task name: decayed sums [slot-seconds its tasks were active, completions, its queue, and
   * the two sums over full intervals] (`Duration`). By Little's law their ratio is the name's mean
   * duration, long tasks included (their active time counts while they run, not only when one
   * completes).
   */
  durations?: Record<string, Duration>;
  /**
   * Per queue, the same groups as `waiting` (when workers report per task name): Celery takes one
   * message from each non-empty queue in turn, so a service's queues do not drain as one FIFO.
   */
  queueWaiting?: Record<string, [number, number][]>;
  /** Per queue, the last few intervals' arrival rates (per minute): which queues the arrivals come to. */
  queueArrivalRates?: Record<string, number[]>;
  /** Pending per queue at the previous sample. */
  queuePending?: Record<string, number>;
  /** Per node at the previous sample: [active tasks per task name, started totals per name]. */
  tasksByNode?: Record<string, [Record<string, number>, Record<string, number>]>;
  /** The most task slots a worker has reported (Celery's pool max-concurrency). */
  concurrency?: number;
  /**
   * How long a message bound to a busy worker may wait for a slot, in minutes: the longest-running
   * active task (Celery's `active` time_start) seen on the service's workers, kept once a node has
   * been seen holding reserved tasks with every slot busy (early acknowledgement, or a prefetch
   * multiplier above 1, binds a message to a worker before a slot is free); absent until then.
   * Forgotten by tasks ended, not by minutes (BOUND_WAIT_TASKS).
   */
  boundWaitMin?: number;
}

const ARRIVAL_SAMPLES = 5;
const MIN_ARRIVAL_SAMPLES = 3;
/**
 * Below this many arrivals in the recent intervals, the rate is read over a longer window (up to
 * TRICKLE_MINUTES): a trickle of 0.6/min shows as minutes of 0, 1 and 2 arrivals, and with
 * 20-minute tasks each one of them read as the rate moved the fleet by 15 workers.
 */
const TRICKLE_ARRIVALS = 20;
const TRICKLE_MINUTES = 30;
/** Bounds the groups when a backlog lasts for hours (the two oldest are merged, keeping the older time). */
const MAX_WAITING_GROUPS = 60;
/**
 * The lower median: a rate must show in more than half of the recent intervals. (The mean of the
 * two middle values turned a flood that straddled two of four intervals into half its size per minute.)
 */
const lowerMedian = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
/** The last ARRIVAL_SAMPLES intervals' arrival rates, this one's appended. */
const withRate = (rates: number[] | undefined, arrivals: number, dtMin: number): number[] => [...(rates ?? []), arrivals / dtMin].slice(-ARRIVAL_SAMPLES);
/** The rate these intervals show: their lower median, none before MIN_ARRIVAL_SAMPLES of them. */
const rateOf = (rates: number[]): number | undefined => (rates.length < MIN_ARRIVAL_SAMPLES ? undefined : lowerMedian(rates));

/** Time constant of the EWMAs: a sample weighs 1 − e^(−dt/τ). */
const TAU_MINUTES = 3;
/** Samples further apart than this restart the baseline (a gap in cycles, a redeploy). */
const MAX_GAP_MINUTES = 10;
/**
 * A μ sample is completions / busy worker-minutes over busy intervals holding at least this many
 * completions: a ratio of sums, so long tasks (most minutes complete nothing) are neither
 * sampled only when lucky nor averaged from a first interval that happened to complete none.
 */
const MU_BATCH_COMPLETIONS = 20;
/** μ is trusted after this many samples; until then the configured rate is used. */
export const MU_SAMPLES_NEEDED = 3;

export const emptyRates = (): RateState => ({ muSamples: 0 });

/** The arrivals and minutes of the window, without the burst intervals (a burst is backlog, not a rate). */
function trickle(counts: [number, number][]): { n: number; minutes: number } {
  const usual = lowerMedian(counts.map(([n]) => n));
  const cap = Math.max(TRICKLE_ARRIVALS / 4, 4 * usual);
  let n = 0;
  let minutes = 0;
  for (const [k, m] of counts) {
    if (k > cap) continue;
    n += k;
    minutes += m;
  }
  return { n, minutes };
}

/** Arrivals per minute over the window, without the burst intervals. */
function trickleRate(counts: [number, number][]): number {
  const { n, minutes } = trickle(counts);
  return minutes > 0 ? n / minutes : 0;
}

/**
 * Per task name, decayed: [slot-seconds active, completions, its queue, and the same two sums over
 * the intervals only where its node was full at both samples while tasks waited at both].
 *
 * The slot-seconds come from the active counts at the two samples (a trapezoid). Over an interval
 * where the node is full with a backlog, its slots stay full between the samples, so its slot-time
 * is exact; one name alone on the node gets all of it. Elsewhere the trapezoid guesses: the
 * interval in which a burst drains ends with few tasks active, though the slots were full until
 * the queue emptied (a 2.2 s batch read as 1.1 s there), and a name that started mid-interval is
 * read from one sample of its active count. Without a backlog, a node full at both samples is not
 * exact and is left out: it is full more often while its tasks are long, so counting it would read
 * a trickle as longer than it is.
 */
export type Duration = [number, number, string | null, number?, number?];

const activeCount = (byName: Record<string, number>): number => Object.values(byName).reduce((a, b) => a + b, 0);

/** Durations forget with this time constant: a task type that got slower shows within the hour. */
const DURATION_TAU_MINUTES = 30;
/** A task name's duration is trusted after this many (decayed) completions. */
const DURATION_COMPLETIONS = 3;
/** Bounds the names remembered (the least busy go first). */
const MAX_TASK_NAMES = 50;

/** Per node: its active tasks per task name and its started totals per name (nodes that report them). */
function tasksByNode(obs: ServiceObservation): Record<string, [Record<string, number>, Record<string, number>]> | undefined {
  const out: Record<string, [Record<string, number>, Record<string, number>]> = {};
  for (const n of obs.nodes) if (n.activeByTask && n.totals) out[n.node] = [n.activeByTask, n.totals];
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Folds one interval into the per-name sums, node by node over the nodes seen at both samples (a
 * node that just started holds tasks whose start the previous sample did not see, and once
 * inflated a 2 s task to 7 s): active slot-seconds (trapezoid) and tasks ended, over all intervals
 * and over full ones.
 */
function nextDurations(state: RateState, obs: ServiceObservation, dtMin: number): RateState['durations'] {
  const now = tasksByNode(obs);
  if (!now || !state.tasksByNode) return state.durations;
  const decay = Math.exp(-dtMin / DURATION_TAU_MINUTES);
  const out: Record<string, Duration> = {};
  for (const [name, [busy, done, queue, fullBusy, fullDone]] of Object.entries(state.durations ?? {})) out[name] = [busy * decay, done * decay, queue, (fullBusy ?? 0) * decay, (fullDone ?? 0) * decay];
  const backlog = (state.pending ?? 0) > 0 && pendingTotal(obs) > 0;
  const slotsOf: Record<string, number> = {};
  for (const n of obs.nodes) slotsOf[n.node] = n.concurrency ?? state.concurrency ?? 1;
  const queues: Record<string, string> = {};
  for (const n of obs.nodes) Object.assign(queues, n.taskQueues ?? {});
  for (const [node, [active, totals]] of Object.entries(now)) {
    const before = state.tasksByNode[node];
    if (!before) continue;
    const [activeBefore, totalsBefore] = before;
    const full = backlog && activeCount(active) >= slotsOf[node] && activeCount(activeBefore) >= slotsOf[node];
    for (const name of new Set([...Object.keys(active), ...Object.keys(activeBefore), ...Object.keys(totals)])) {
      const a0 = activeBefore[name] ?? 0;
      const a1 = active[name] ?? 0;
      // stats().total counts a task when it starts: what ended is what started less what still runs.
      const restarted = (totals[name] ?? 0) < (totalsBefore[name] ?? 0);
      const started = restarted ? totals[name] ?? 0 : (totals[name] ?? 0) - (totalsBefore[name] ?? 0);
      const prev = out[name] ?? [0, 0, null, 0, 0];
      const busy = ((a0 + a1) / 2) * dtMin * 60;
      const ended = Math.max(0, started - (a1 - (restarted ? 0 : a0)));
      out[name] = [prev[0] + busy, prev[1] + ended, queues[name] ?? prev[2], (prev[3] ?? 0) + (full ? busy : 0), (prev[4] ?? 0) + (full ? ended : 0)];
    }
  }
  const kept = Object.entries(out).sort((a, b) => b[1][0] - a[1][0]).slice(0, MAX_TASK_NAMES);
  return Object.fromEntries(kept);
}

/**
 * How many ended tasks it takes to forget most of a long task: each task that ends weighs the
 * longest seen by e^(−1/BOUND_WAIT_TASKS), so the estimate stands for about the longest task in
 * the last hundred, roughly the 99th percentile of task lengths. Forgetting by minutes of running
 * instead wore it down within one burst of long tasks, and the burst's last task, bound to a busy
 * worker just before a new worker came up, then waited behind one of them.
 */
export const BOUND_WAIT_TASKS = 100;

/**
 * `boundWaitMin` after this sample, given the tasks that ended since the last one: it forgets only
 * as tasks end (an idle hour between two bursts keeps what the last burst showed).
 */
function nextBoundWait(state: RateState, obs: ServiceObservation, ended: number): number | undefined {
  let seen = 0;
  let binds = false;
  for (const n of obs.nodes) {
    binds ||= n.reserved > 0 && n.active >= (n.concurrency ?? state.concurrency ?? 1);
    seen = Math.max(seen, (n.longestActiveSeconds ?? 0) / 60);
  }
  if (state.boundWaitMin === undefined) return binds && seen > 0 ? seen : undefined;
  return Math.max(seen, state.boundWaitMin * Math.exp(-ended / BOUND_WAIT_TASKS));
}

/**
 * Worker-minutes one task of each queue takes (its mean duration over the worker's slots), from
 * the names seen coming from it; queues not learned yet are absent (the caller uses 1/μ). With
 * `stream`, each name's slot-time over all intervals (`Duration`), not its full ones': the mean of
 * a stream of arrivals, which the full intervals read long where lengths are mixed.
 */
export function workerMinutesPerTask(state: RateState, o: { stream?: boolean } = {}): Record<string, number> {
  const slots = state.concurrency ?? 1;
  const byQueue: Record<string, [number, number]> = {};
  for (const d of Object.values(state.durations ?? {})) {
    const queue = d[2];
    if (queue === null) continue;
    const q = (byQueue[queue] ??= [0, 0]);
    q[0] += o.stream ? d[0] : nameBusy(d);
    q[1] += d[1];
  }
  const out: Record<string, number> = {};
  for (const [queue, [busy, done]] of Object.entries(byQueue)) if (done >= DURATION_COMPLETIONS) out[queue] = busy / done / 60 / slots;
  return out;
}

/** Worker-minutes per task of a task name, when learned. */
export function workerMinutesPerName(state: RateState, name: string): number | undefined {
  const d = state.durations?.[name];
  return d && d[1] >= DURATION_COMPLETIONS ? nameBusy(d) / d[1] / 60 / (state.concurrency ?? 1) : undefined;
}

/**
 * A name's slot-seconds over its tasks ended: its full intervals' mean length times its tasks
 * ended, once enough of them ended in full intervals (`Duration`), else its slot-seconds over all.
 */
function nameBusy([busy, done, , fullBusy, fullDone]: Duration): number {
  return (fullDone ?? 0) >= DURATION_COMPLETIONS ? (done * (fullBusy as number)) / (fullDone as number) : busy;
}

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

/** Tasks that ended between two samples, node by node: started (growth of `processed`) less the growth of what runs. */
function endedBetween(prev: Record<string, number>, prevActive: Record<string, number>, obs: ServiceObservation): number {
  let done = 0;
  for (const n of obs.nodes) {
    const before = prev[n.node];
    if (before === undefined || n.processed === null) continue;
    const restarted = n.processed < before;
    const started = restarted ? n.processed : n.processed - before;
    done += Math.max(0, started - (n.active - (restarted ? 0 : prevActive[n.node] ?? 0)));
  }
  return done;
}

export function processedByNode(obs: ServiceObservation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of obs.nodes) if (n.processed !== null) out[n.node] = n.processed;
  return out;
}

/** The youngest `keep` tasks of the groups (FIFO: the oldest left the queue first). */
function youngest(groups: [number, number][], keep: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = groups.length - 1; i >= 0 && keep > 0; i -= 1) {
    const n = Math.min(groups[i][0], keep);
    out.unshift([n, groups[i][1]]);
    keep -= n;
  }
  return out;
}

function nextWaiting(prev: [number, number][], prevAt: number, arrivals: number, pending: number): [number, number][] {
  const fresh = Math.min(Math.round(arrivals), pending);
  const old = youngest(prev, pending - fresh);
  const unaccounted = pending - fresh - old.reduce((a, [n]) => a + n, 0);
  const groups: [number, number][] = [...(unaccounted > 0 ? [[unaccounted, prevAt] as [number, number]] : []), ...old, ...(fresh > 0 ? [[fresh, prevAt] as [number, number]] : [])];
  while (groups.length > MAX_WAITING_GROUPS) groups.splice(0, 2, [groups[0][0] + groups[1][0], groups[0][1]]);
  return groups;
}

/**
 * The pending tasks by how long they have waited at least, oldest first: [tasks counted from the
 * queue's head up to this group, minutes since the group arrived]. A group that arrived between
 * two samples is taken to have arrived at the earlier one. Measurable only: pending and arrivals.
 */
export function pendingByWait(state: RateState, pending: number, now: number): [number, number][] {
  return pending <= 0 ? [] : groupsByWait(state.waiting, now);
}

/** Groups as counted from the head, [tasks up to this group, minutes since it arrived], oldest first. */
export function groupsByWait(waiting: [number, number][] | undefined, now: number): [number, number][] {
  let count = 0;
  return (waiting ?? []).map(([n, since]) => [(count += n), (now - since) / 60_000]);
}

/** Per queue: arrivals = growth of its pending + tasks of its names started (nodes seen at both samples). */
function nextQueueWaiting(state: RateState, obs: ServiceObservation, byNode: NonNullable<RateState['tasksByNode']>, dtMin: number): Pick<RateState, 'queueWaiting' | 'queueArrivalRates'> | undefined {
  if (!state.tasksByNode || !state.queuePending || state.at === undefined) return undefined;
  const queueOf: Record<string, string> = {};
  for (const [name, [, , queue]] of Object.entries(state.durations ?? {})) if (queue !== null) queueOf[name] = queue;
  for (const n of obs.nodes) Object.assign(queueOf, n.taskQueues ?? {});
  const started: Record<string, number> = {};
  for (const [node, [, totals]] of Object.entries(byNode)) {
    const before = state.tasksByNode[node]?.[1];
    if (!before) continue;
    for (const [name, total] of Object.entries(totals)) {
      const q = queueOf[name] ?? (name in obs.queues ? name : undefined);
      if (q !== undefined) started[q] = (started[q] ?? 0) + completedBetween({ [name]: before[name] ?? 0 }, { [name]: total });
    }
  }
  const out: Record<string, [number, number][]> = {};
  const rates: Record<string, number[]> = {};
  for (const [q, pending] of Object.entries(obs.queues)) {
    const arrivals = Math.max(0, pending - (state.queuePending[q] ?? 0) + (started[q] ?? 0));
    out[q] = nextWaiting(state.queueWaiting?.[q] ?? [], state.at, arrivals, pending);
    rates[q] = withRate(state.queueArrivalRates?.[q], arrivals, dtMin);
  }
  return { queueWaiting: out, queueArrivalRates: rates };
}

/**
 * The arrivals of the last half hour (TRICKLE_MINUTES) and their minutes, without the intervals
 * of a burst: a steady stream's rate, slower than λ to follow a change and steadier. A rate read
 * from n Poisson arrivals is off by about 1/√n of itself.
 */
export function rateWindow(state: RateState): { n: number; minutes: number } {
  return trickle(state.arrivalCounts ?? []);
}

/**
 * How long the arrivals' tasks run, in minutes on one slot: each queue's task length weighed by
 * its arrival rate (the lower median of its recent intervals, as λ is), since the tasks that
 * trickle in need not be the ones that came in a burst and set μ. Undefined until a queue shows a rate.
 */
export function arrivalTaskMin(state: RateState, taskMin: (queue: string) => number): number | undefined {
  let rate = 0;
  let work = 0;
  for (const [q, xs] of Object.entries(state.queueArrivalRates ?? {})) {
    const r = rateOf(xs);
    if (r === undefined) continue;
    rate += r;
    work += r * taskMin(q);
  }
  return rate > 0 ? work / rate : undefined;
}

export function updateRates(state: RateState, obs: ServiceObservation, now: number): RateState {
  const pending = pendingTotal(obs);
  const work = pending + inFlightTotal(obs);
  const processed = processedByNode(obs);
  // A first sample cannot tell how long its pending messages have waited: from now, at least.
  const slots = obs.nodes.reduce((a, n) => Math.max(a, n.concurrency ?? 0), 0);
  const concurrency = slots > 0 ? slots : state.concurrency;
  const byNode = tasksByNode(obs);
  const activeByNode = Object.fromEntries(obs.nodes.map((n) => [n.node, n.active]));
  const queuePending = byNode ? { ...obs.queues } : undefined;
  const fresh = byNode ? Object.fromEntries(Object.entries(obs.queues).map(([q, n]) => [q, n > 0 ? [[n, now]] as [number, number][] : []])) : undefined;
  const sinceMin = state.at === undefined ? 0 : (now - state.at) / 60_000;
  // `processed` counts tasks as they start (stats().total): what left the system is what started less what still runs.
  const completed = state.processed ? endedBetween(state.processed, state.activeByNode ?? {}, obs) : 0;
  const boundWaitMin = nextBoundWait(state, obs, completed);
  const baseline: RateState = { ...state, at: now, work, pending, processed, activeByNode, waiting: pending > 0 ? [[pending, now]] : [], concurrency, tasksByNode: byNode, queuePending, queueWaiting: fresh, boundWaitMin };
  if (state.at === undefined || state.work === undefined || !state.processed) return baseline;
  const dtMin = sinceMin;
  if (dtMin <= 0) return { ...state };
  if (dtMin > MAX_GAP_MINUTES) return { ...baseline, lambda: state.lambda, arrivalRates: state.arrivalRates, arrivalCounts: state.arrivalCounts, mu: state.mu, durations: state.durations };
  const arrivals = Math.max(0, work - state.work + completed);
  const waiting = nextWaiting(state.waiting ?? [], state.at, arrivals, pending);
  const byQueue = byNode ? nextQueueWaiting(state, obs, byNode, dtMin) : undefined;
  const queueWaiting = byNode ? byQueue?.queueWaiting ?? fresh : undefined;
  const next: RateState = { ...state, at: now, work, pending, processed, activeByNode, waiting, concurrency, tasksByNode: byNode, queuePending, queueWaiting, queueArrivalRates: byQueue?.queueArrivalRates, durations: nextDurations(state, obs, dtMin), boundWaitMin };
  // A flood shows up as one huge interval: the median ignores it (the flood itself is counted
  // once, as backlog), while steady arrivals fill every interval and set the median.
  const recent = withRate(state.arrivalRates, arrivals, dtMin);
  next.arrivalRates = recent;
  const counts: [number, number][] = [...(state.arrivalCounts ?? []), [arrivals, dtMin]];
  while (counts.length > 1 && counts.reduce((a, [, m]) => a + m, 0) - counts[0][1] >= TRICKLE_MINUTES) counts.shift();
  next.arrivalCounts = counts;
  const lately = counts.slice(-ARRIVAL_SAMPLES).reduce((a, [n]) => a + n, 0);
  const usual = rateOf(recent);
  next.lambda = usual === undefined ? 0 : lately >= TRICKLE_ARRIVALS ? usual : trickleRate(counts);
  next.lastArrivalRate = arrivals / dtMin;
  // Throughput only shows while every worker was busy: messages waiting at both samples. A node
  // that had completed nothing at the previous sample has just started: its first interval
  // includes its first tasks' full durations (fewer completions than it will sustain), so skip it.
  const warm = Object.fromEntries(Object.entries(state.processed).filter(([n, total]) => total > 0 && n in processed));
  const shared = Object.keys(warm).length;
  const busyWholeInterval = state.pending === undefined ? pending > 0 && state.work > shared : state.pending > 0 && pending > 0;
  const completedByWarm = completedBetween(warm, processed);
  if (busyWholeInterval && shared > 0) {
    const [done, minutes] = state.muBatch ?? [0, 0];
    const batch: [number, number] = [done + completedByWarm, minutes + shared * dtMin];
    if (batch[0] >= MU_BATCH_COMPLETIONS) {
      next.mu = ewma(state.mu, batch[0] / batch[1], dtMin);
      next.muSamples = state.muSamples + 1;
      next.muBatch = [0, 0];
    } else {
      next.muBatch = batch;
    }
  }
  return next;
}

/** The throughput the plan uses: measured once trusted (bounded to 1/10–10× the configured), else configured. */
export function effectiveMu(state: RateState, configured: number): { mu: number; measured: boolean } {
  if (state.mu === undefined || state.muSamples < MU_SAMPLES_NEEDED) return { mu: configured, measured: false };
  return { mu: Math.min(configured * 10, Math.max(configured / 10, state.mu)), measured: true };
}
