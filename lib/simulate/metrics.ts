import type { World } from './engine';

/** What the simulator reports per policy (and per service). Minutes are worker-minutes. */
export interface PolicyMetrics {
  tasks: number;
  completed: number;
  /** Σ over ECS tasks of (stopped − started by ECS): start-up, idle and drain included. */
  paidMinutes: number;
  /** Σ duration / concurrency of the tasks that completed: the work done (a SIGKILLed attempt is paid, not counted). */
  busyMinutes: number;
  /** paid / busy; 1.0 is the physical limit. */
  ratio: number;
  /** Tasks whose (last) start came within the service's targetMinutes of their arrival. */
  withinTargetPct: number;
  p95WaitSeconds: number;
  maxWaitSeconds: number;
  /** Changes of the ECS desired count. */
  scaleActions: number;
  /** A scale-up undone by a scale-down (or the reverse) within start-up + 2 cycles. */
  reversals: number;
  /** Tasks SIGKILLed while running (ECS stopped their worker before they finished). */
  interrupted: number;
  peakWorkers: number;
  /** Paid worker-minutes over the best known schedule's (the hindsight search's) on the same trace (set once it has run). */
  xOracle?: number;
  /** The certified lower bound (bound.ts): no schedule starting ≥ 99% of these tasks within the target pays less. */
  bound?: number;
  /** Paid worker-minutes over `bound`. */
  xBound?: number;
}

/** Nearest-rank quantile of an ascending array. */
export const quantile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/**
 * Metrics of some services (by index; all when omitted). Each service's window ends when the
 * trace's horizon has passed and its own last task is done, so one service's stragglers are not
 * charged to another's minimum fleet.
 */
export function measureRun(world: World, cycleSeconds: number, serviceIndexes?: number[]): PolicyMetrics {
  const { tasks } = world.trace;
  const specs = world.opts.services;
  const chosen = serviceIndexes ?? specs.map((_, i) => i);
  const mine = new Set(chosen);
  const tasksBy = specs.map(() => 0);
  for (let i = 0; i < tasks.length; i += 1) tasksBy[world.taskService[i]] += 1;
  const endOf = chosen.map((s) => (world.completedBy[s] === tasksBy[s] ? Math.min(world.end, Math.max(world.trace.horizonSeconds, world.lastFinishBy[s])) : world.end));
  const ends = new Map(chosen.map((s, i) => [s, endOf[i]]));
  const waits = new Float64Array(tasks.length);
  let counted = 0;
  let within = 0;
  let busySeconds = 0;
  let completed = 0;
  let interrupted = 0;
  for (let i = 0; i < tasks.length; i += 1) {
    const s = world.taskService[i];
    if (!mine.has(s)) continue;
    interrupted += world.interrupted[i];
    const done = !Number.isNaN(world.finishAt[i]);
    if (done) {
      completed += 1;
      busySeconds += tasks[i].duration / specs[s].worker.concurrency;
    }
    const wait = done ? world.startAt[i] - tasks[i].arrival : world.end - tasks[i].arrival;
    waits[counted++] = wait;
    if (done && wait <= specs[s].config.targetMinutes * 60 + 1e-9) within += 1;
  }
  // Typed and sorted natively: a million-task run measures each service in milliseconds, not seconds.
  const sorted = waits.subarray(0, counted).sort();
  let paidSeconds = 0;
  for (const w of world.workers) {
    const end = ends.get(w.service);
    if (end === undefined) continue;
    paidSeconds += Math.max(0, Math.min(w.stoppedAt ?? end, end) - w.launchedAt);
  }
  const peakWorkers = world.samples.reduce((p, x) => Math.max(p, chosen.reduce((a, i) => a + x.workers[i], 0)), 0);
  const paidMinutes = paidSeconds / 60;
  const busyMinutes = busySeconds / 60;
  return {
    tasks: counted,
    completed,
    paidMinutes,
    busyMinutes,
    ratio: busyMinutes > 0 ? paidMinutes / busyMinutes : Infinity,
    withinTargetPct: counted > 0 ? (100 * within) / counted : 100,
    p95WaitSeconds: quantile(sorted, 0.95),
    maxWaitSeconds: counted > 0 ? sorted[counted - 1] : 0,
    scaleActions: chosen.reduce((a, i) => a + world.scaleActions(specs[i].name), 0),
    reversals: chosen.reduce((a, i) => a + world.reversals(specs[i].name, specs[i].worker.startupSeconds + 2 * cycleSeconds), 0),
    interrupted,
    peakWorkers,
  };
}
