import type { World } from './engine';

/** What the simulator reports per policy (and per service). Minutes are worker-minutes. */
export interface PolicyMetrics {
  tasks: number;
  completed: number;
  /** Σ over ECS tasks of (stopped − started by ECS): start-up, idle and drain included. */
  paidMinutes: number;
  /** Σ task duration / concurrency: the work itself. */
  busyMinutes: number;
  /** paid / busy; 1.0 is the physical limit. */
  ratio: number;
  /** Tasks whose (last) start came within the service's targetMinutes of their arrival. */
  withinTargetPct: number;
  p95WaitSeconds: number;
  maxWaitSeconds: number;
  /** Changes of the ECS desired count. */
  scaleActions: number;
  /** Tasks SIGKILLed while running (ECS stopped their worker before they finished). */
  interrupted: number;
  peakWorkers: number;
}

/** Nearest-rank quantile of an ascending array. */
export const quantile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** Metrics of one service (by index), or of all services together. */
export function measureRun(world: World, serviceIndex: number | null): PolicyMetrics {
  const { tasks } = world.trace;
  const specs = world.opts.services;
  const mine = (s: number) => serviceIndex === null || s === serviceIndex;
  const waits: number[] = [];
  let within = 0;
  let busySeconds = 0;
  let completed = 0;
  let interrupted = 0;
  for (let i = 0; i < tasks.length; i += 1) {
    const s = world.taskService[i];
    if (!mine(s)) continue;
    busySeconds += tasks[i].duration / specs[s].worker.concurrency;
    interrupted += world.interrupted[i];
    const done = !Number.isNaN(world.finishAt[i]);
    if (done) completed += 1;
    const wait = done ? world.startAt[i] - tasks[i].arrival : world.end - tasks[i].arrival;
    waits.push(wait);
    if (done && wait <= specs[s].config.targetMinutes * 60 + 1e-9) within += 1;
  }
  waits.sort((a, b) => a - b);
  let paidSeconds = 0;
  for (const w of world.workers) {
    if (!mine(w.service)) continue;
    paidSeconds += Math.max(0, Math.min(w.stoppedAt ?? world.end, world.end) - w.launchedAt);
  }
  const servicesHere = specs.map((_, i) => i).filter(mine);
  const peakWorkers = Math.max(0, ...world.samples.map((x) => servicesHere.reduce((a, i) => a + x.workers[i], 0)));
  const paidMinutes = paidSeconds / 60;
  const busyMinutes = busySeconds / 60;
  return {
    tasks: waits.length,
    completed,
    paidMinutes,
    busyMinutes,
    ratio: busyMinutes > 0 ? paidMinutes / busyMinutes : Infinity,
    withinTargetPct: waits.length > 0 ? (100 * within) / waits.length : 100,
    p95WaitSeconds: quantile(waits, 0.95),
    maxWaitSeconds: waits.length > 0 ? waits[waits.length - 1] : 0,
    scaleActions: servicesHere.reduce((a, i) => a + world.scaleActions(specs[i].name), 0),
    interrupted,
    peakWorkers,
  };
}
