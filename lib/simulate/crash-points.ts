import { serviceSchema, type ServiceConfig, type ServiceConfigInput } from '../config';
import { lockLeaseMs } from '../cycle/lease';
import type { MeasureResult } from '../cycle/measure-queues';
import { startCycles } from './cycle';
import type { SimService, World } from './engine';
import { StepFaults, type Fault, type PortCall, type StepRun } from './faults';
import { MemoryStore } from './memory-store';
import { workerModel } from './reference';
import { runPolicy } from './run';
import type { Trace, TraceTask } from './trace';

/**
 * Every crash point of the cycle, on the simulator's world: a scenario runs once without faults
 * to learn which step runs it has and how many port calls each makes; then, for every Task state
 * and every k, one run of it dies after its k-th port call (Step Functions' Catch, or its Retry),
 * or runs twice, and the following cycles run normally. The invariants below must hold.
 */

export const TASK_STATES = ['MeasureQueues', 'ComputePlan', 'CheckCooldown', 'ScaleUp', 'DrainWorkers', 'CheckDrain', 'ScaleDown', 'RestoreConsumers', 'ReleaseProtection', 'ReleaseAfterError'] as const;
export type TaskState = (typeof TASK_STATES)[number];

const CYCLE_SECONDS = 60;
/** How often the invariants are looked at between steps (CheckDrain's poll). */
const SAMPLE_SECONDS = 5;

export interface CrashScenario {
  name: string;
  service: SimService;
  tasks: TraceTask[];
  /** Faults every run has (from the fault-free run's steps): how ReleaseAfterError gets to run. */
  base?: (steps: StepRun[]) => Fault[];
  /** World seconds at which Redis restarts without its data (MemoryStore.flush()). */
  flushAt?: number;
  /** The Task states whose crash points this scenario covers (all that it runs, by default). */
  states?: TaskState[];
}

/** One service on queue `q`: concurrency 1, 20 s start-up, 1–6 workers, the simulator's knobs. */
export function crashService(config: Partial<ServiceConfigInput> = {}): SimService {
  const facts = { queues: ['q'], concurrency: 1, startupSeconds: 20 };
  const parsed: ServiceConfig = serviceSchema.parse({
    cluster: 'sim', service: 'svc', queues: facts.queues, minWorkers: 1, maxWorkers: 6, targetMinutes: 2,
    startupSeconds: facts.startupSeconds, tasksPerWorkerPerMinute: 6, ...config,
  });
  return { name: 'svc', config: parsed, worker: workerModel(facts) };
}

const tasks = (n: number, from: number, every: number, duration: number): TraceTask[] => Array.from({ length: n }, (_, i) => ({ arrival: from + i * every, queue: 'q', duration }));
const byArrival = (...parts: TraceTask[][]): TraceTask[] => parts.flat().sort((a, b) => a.arrival - b.arrival);

/** The first run of `state` whose output passes `pick`: a base fault's target. */
export function firstRun(steps: StepRun[], state: string, pick: (output: Record<string, unknown>) => boolean): number {
  const r = steps.find((s) => s.state === state && s.outcome.ok && pick(s.outcome.value as Record<string, unknown>));
  if (!r) throw new Error(`the fault-free run has no ${state} to fault`);
  return r.run;
}

const hasReleased = (o: Record<string, unknown>) => Array.isArray(o.released) && o.released.length > 0;
const stillDraining = (o: Record<string, unknown>) => Array.isArray(o.draining) && o.draining.length > 0;

/** ScaleDown dies after its last call while a slow worker still drains (the drain's first release). */
const scaleDownDies = (steps: StepRun[]): Fault => {
  const run = firstRun(steps, 'ScaleDown', stillDraining);
  const calls = steps.find((s) => s.state === 'ScaleDown' && s.run === run)?.calls.length ?? 1;
  return { state: 'ScaleDown', run, mode: 'catch', point: { k: calls, when: 'after' } };
};

/** A burst that scales up to 6, then idle: a drain of 5 in which two workers hold slow tasks. */
const burstThenSlow = (slowSeconds: number) => byArrival(tasks(60, 0, 0.5, 10), tasks(2, 60, 5, slowSeconds));

/** The scenarios that between them run every Task state (`states`: the ones crashed in each). */
export const CRASH_SCENARIOS: CrashScenario[] = [
  {
    // CheckDrain and ScaleDown loop: the idle workers are released at once, the slow one as it empties.
    name: 'burst, then idle with a slow worker',
    service: crashService({ drainTimeoutSeconds: 300 }),
    tasks: burstThenSlow(150),
  },
  {
    name: 'a drain that times out',
    service: crashService({ drainTimeoutSeconds: 90 }),
    tasks: burstThenSlow(300),
  },
  {
    name: 'a drain abandoned by a new burst',
    service: crashService({ drainTimeoutSeconds: 300 }),
    tasks: byArrival(burstThenSlow(200), tasks(80, 280, 0.25, 10)),
  },
  {
    // A little new work at 240 s: the next cycle's scale-up finds the service held by the drain and
    // leaves its target (CheckCooldown's `want`); the drain gives way to it at its next poll.
    name: 'a drain given up for a held scale-up',
    service: crashService({ drainTimeoutSeconds: 300 }),
    tasks: byArrival(burstThenSlow(150), tasks(8, 239.5, 0, 10)),
  },
  {
    // ReleaseAfterError gives the slow worker its queues back, clears protection and the drain record, frees the lock.
    name: 'a scale-down that fails mid-drain',
    service: crashService({ drainTimeoutSeconds: 300 }),
    tasks: burstThenSlow(150),
    base: (steps) => [scaleDownDies(steps)],
    states: ['ReleaseAfterError'],
  },
  {
    name: 'a drain check that fails after a partial release',
    service: crashService({ drainTimeoutSeconds: 300 }),
    tasks: burstThenSlow(150),
    base: (steps) => [{ state: 'CheckDrain', run: firstRun(steps, 'CheckDrain', hasReleased), mode: 'catch', point: { k: 1, when: 'before' } }],
    states: ['ReleaseAfterError'],
  },
  {
    // ScaleDown and then its cleanup die: once the lease runs out, MeasureQueues repairs what they left.
    name: 'a cycle that dies with its cleanup',
    service: crashService({ drainTimeoutSeconds: 300 }),
    tasks: burstThenSlow(150),
    base: (steps) => {
      const scaleDown = scaleDownDies(steps);
      return [scaleDown, { state: 'ReleaseAfterError', run: 1, mode: 'catch', point: { k: 1, when: 'before' } }];
    },
    states: ['MeasureQueues'],
  },
  {
    // DrainWorkers dies right after cancel_consumer: no drain is left on record, and MeasureQueues
    // gives the cancelled workers their queues back (self-healing).
    name: 'a drain that dies after cancel_consumer',
    service: crashService({ drainTimeoutSeconds: 300 }),
    tasks: burstThenSlow(150),
    base: (steps) => {
      const run = firstRun(steps, 'DrainWorkers', (o) => o.status === 'draining');
      const calls = steps.find((s) => s.state === 'DrainWorkers' && s.run === run)?.calls.length ?? 1;
      return [{ state: 'DrainWorkers', run, mode: 'catch', point: { k: calls, when: 'after' } }];
    },
    states: ['MeasureQueues'],
  },
];

export interface Queueless {
  node: string;
  from: number;
  to: number;
}

export interface CrashRun {
  scenario: string;
  faults: Fault[];
  steps: StepRun[];
  /** The step runs the faults hit. */
  hits: StepRun[];
  violations: string[];
  /** How the cycle absorbed the fault: its Catch cleaned up, a later cycle repaired, … */
  absorbed: string[];
  /** Seconds from the last task's end until the fleet was back at its minimum for good. */
  secondsToMinimum: number;
  /** Each time a running worker went without its queues outside a live drain (world seconds). */
  queueless: Queueless[];
  world: World;
}

const EPOCH_MS = Date.UTC(2026, 0, 1);

/** A scenario with its base faults resolved, and its run without any other fault. */
export interface PreparedScenario {
  scenario: CrashScenario;
  base: Fault[];
  reference: CrashRun;
}

export function prepareScenario(scenario: CrashScenario): PreparedScenario {
  const clean = runWorld(scenario, []);
  const base = scenario.base ? scenario.base(clean.steps) : [];
  return { scenario, base, reference: base.length > 0 ? runWorld(scenario, base) : clean };
}

/** One run of a prepared scenario with these faults on top of its base ones. */
export function runCrashScenario(p: PreparedScenario, faults: Fault[]): CrashRun {
  return runWorld(p.scenario, [...p.base, ...faults], faults.at(-1));
}

/** One run of a scenario with these faults, every invariant checked; `absorbed` tells how `target` was. */
function runWorld(scenario: CrashScenario, all: Fault[], target: Fault | undefined = all.at(-1)): CrashRun {
  const svc = scenario.service;
  const cfg = svc.config;
  const violations: string[] = [];
  const violate = (v: string) => {
    if (violations.length < 20 && !violations.includes(v)) violations.push(v);
  };
  const leases = new Map<string, { at: number; ttl: number }>();
  let cloudRef: World | null = null;
  const nowMs = () => cloudRef?.nowMs ?? EPOCH_MS;
  const faultsRun = new StepFaults(all, {
    onCall(call: PortCall, args: unknown[]) {
      if (call === 'lease.acquireLock' || call === 'lease.extendLock') {
        const ttl = args[2] as number;
        if (!(Number.isFinite(ttl) && ttl > 0)) violate(`${call} with a lease of ${ttl} ms`);
        leases.set(args[1] as string, { at: nowMs(), ttl });
      }
      if ((call === 'history.saveProtected' || call === 'history.want') && !Number.isFinite(args[2] as number)) violate(`${call} without an expiry`);
    },
    onStep: (r) => {
      look();
      if (r.outcome.ok) afterCleanup(r.state, r.outcome.value);
    },
  });
  const store = (): MemoryStore | null => (faultsRun.env?.history instanceof MemoryStore ? faultsRun.env.history : null);
  const queueless = new Map<string, number>();
  const episodes: Queueless[] = [];
  let lastOffMinimum = 0;
  let quietAt: number | null = null;
  const bound = cfg.stabilizationSeconds + cfg.drainTimeoutSeconds + 3 * CYCLE_SECONDS;
  // Long enough for the fleet to return to its minimum, a dead cycle's lease included; it ends
  // earlier once the world is quiet.
  const trace: Trace = {
    name: scenario.name,
    tasks: scenario.tasks,
    horizonSeconds: Math.max(...scenario.tasks.map((t) => t.arrival + t.duration)) + bound + lockLeaseMs() / 1000 + 2 * CYCLE_SECONDS,
  };
  /**
   * A cleanup path must leave every worker it touched consuming its queues the moment it ends:
   * the next cycle's self-healing (counted apart, in `queueless`) never excuses one that forgot.
   */
  const afterCleanup = (state: string, out: unknown) => {
    const world = cloudRef;
    const s = store();
    if (!world || !s) return;
    const cancelled = new Set(faultsRun.env?.workers ? (faultsRun.env.workers.inspect() as { nodes: { node: string; queues?: string[] }[] }).nodes.filter((n) => (n.queues ?? []).length === 0).map((n) => n.node) : []);
    const working = (node: string) => world.workers.some((w) => w.node === node && w.status === 'RUNNING' && !w.stopping);
    const withoutQueues = (node: string) => working(node) && (cancelled.has(node) || !world.workers.some((w) => w.node === node && w.consuming));
    let touched: string[] = [];
    if (state === 'RestoreConsumers') touched = (out as { restored?: string[] }).restored ?? [];
    const ended = (state === 'ReleaseProtection' && (out as { status?: string }).status === 'done')
      || (state === 'ReleaseAfterError' && !/cleanup incomplete/.test((out as { result?: string }).result ?? '') && !((out as { cleanup?: string[] }).cleanup ?? []).some((c) => c.startsWith('left to')));
    if (ended) {
      // The service is free again: no worker outside another cycle's live drain may lack its queues.
      const holder = s.lockHolder(svc.name);
      const drain = s.drainRecords([svc.name])[svc.name];
      const live = drain !== null && holder === drain.execution ? new Set(drain.nodes.map((n) => n.node)) : new Set<string>();
      touched = world.workers.map((w) => w.node).filter((n) => !live.has(n));
    }
    for (const node of touched) if (withoutQueues(node)) violate(`${state} ended at ${world.now} s with ${node} still without its queues`);
  };
  const look = () => {
    const world = cloudRef;
    const s = store();
    if (!world) return;
    const desired = world.desired(svc.name);
    if (desired < cfg.minWorkers || desired > cfg.maxWorkers) violate(`desired ${desired} outside [${cfg.minWorkers}, ${cfg.maxWorkers}] at ${world.now} s`);
    if (desired !== cfg.minWorkers || world.ecsTasks(svc.name).length !== cfg.minWorkers) lastOffMinimum = world.now;
    // SIGTERM lets a short task finish (it is not interrupted), but ECS must not stop a busy worker at all.
    for (const w of world.workers) if (w.stopping && w.active.length > 0) violate(`ECS stopped ${w.node} while it ran a task (${world.now} s)`);
    if (!s) return;
    const holder = s.lockHolder(svc.name);
    const lease = holder === null ? undefined : leases.get(holder);
    if (holder !== null && (!lease || world.nowMs > lease.at + lease.ttl)) violate(`${holder} holds the lock past its lease at ${world.now} s`);
    // A worker without its queues must be in a live drain (its record, its cycle holding the lock).
    const drain = s.drainRecords([svc.name])[svc.name];
    const live = drain !== null && holder === drain.execution ? new Set(drain.nodes.map((n) => n.node)) : new Set<string>();
    const cancelled = new Set(faultsRun.env?.workers ? (faultsRun.env.workers.inspect() as { nodes: { node: string; queues?: string[] }[] }).nodes.filter((n) => (n.queues ?? []).length === 0).map((n) => n.node) : []);
    for (const w of world.workers) {
      const withoutQueues = w.status === 'RUNNING' && !w.stopping && (!w.consuming || cancelled.has(w.node)) && !live.has(w.node);
      const since = queueless.get(w.node);
      if (!withoutQueues) {
        if (since !== undefined) episodes.push({ node: w.node, from: since, to: world.now });
        queueless.delete(w.node);
        continue;
      }
      if (since === undefined) {
        queueless.set(w.node, world.now);
        continue;
      }
      if (world.now - since > 2 * CYCLE_SECONDS) violate(`${w.node} went without its queues outside a live drain for more than 2 cycles from ${since} s`);
    }
    // Every task done, the minimum fleet, nothing held or left over: nothing will change any more.
    const quiet = world.completed === trace.tasks.length && lastOffMinimum < world.now && holder === null && drain === null
      && s.protectedTasks(svc.name).length === 0 && queueless.size === 0 && !world.workers.some((w) => w.protected && w.status !== 'STOPPED');
    if (quiet && quietAt === null) {
      quietAt = world.now;
      trace.horizonSeconds = Math.min(trace.horizonSeconds, world.now); // the world ends here
    }
  };
  const run = runPolicy(trace, { services: [svc], cycleSeconds: CYCLE_SECONDS }, {
    name: 'planner',
    initialWorkers: (s) => s.config.minWorkers,
    start: (cloud) => {
      cloudRef = cloud as World;
      startCycles(cloud, { [svc.name]: cfg }, CYCLE_SECONDS, undefined, { runStep: faultsRun.runStep });
      cloud.every(SAMPLE_SECONDS, look);
      if (scenario.flushAt !== undefined) {
        cloud.after(scenario.flushAt, () => {
          store()?.flush();
          look();
        });
      }
    },
  });
  const world = run.world;
  look();
  // At the end: every task once, none interrupted; nothing left behind; the minimum fleet.
  const n = world.trace.tasks.length;
  const unfinished = Array.from(world.finishAt).filter((t) => !Number.isFinite(t)).length;
  if (world.completed !== n || unfinished > 0) violate(`${n - world.completed} of ${n} tasks never completed`);
  const interrupted = Array.from(world.interrupted).reduce((a, b) => a + b, 0);
  if (interrupted > 0) violate(`${interrupted} task run(s) interrupted by a stopped worker`);
  const s = store();
  if (s) {
    if (s.drainRecords([svc.name])[svc.name] !== null) violate('a drain record remains at the end');
    if (s.protectedTasks(svc.name).length > 0) violate('a protection record remains at the end');
    if (s.lockHolder(svc.name) !== null) violate(`the lock is still held by ${s.lockHolder(svc.name)} at the end`);
  }
  const live = world.workers.filter((w) => w.status !== 'STOPPED');
  if (live.some((w) => w.protected)) violate('a live task is still protected from scale-in at the end');
  const cancelled = (faultsRun.env?.workers.inspect() as { nodes: { node: string; queues?: string[] }[] } | undefined)?.nodes.filter((x) => (x.queues ?? []).length === 0) ?? [];
  if (live.some((w) => w.status === 'RUNNING' && !w.consuming) || cancelled.length > 0) violate('a live worker does not consume its queues at the end');
  const secondsToMinimum = Math.max(0, lastOffMinimum - world.lastFinish);
  if (secondsToMinimum > bound) violate(`the fleet returned to its minimum ${secondsToMinimum} s after the last task (bound ${bound} s)`);
  if (quietAt === null) violate(`still not quiet (minimum fleet, nothing held) when the world ended at ${world.end} s`);
  for (const [node, from] of queueless) episodes.push({ node, from, to: Infinity });
  return { scenario: scenario.name, faults: all, steps: faultsRun.runs, hits: faultsRun.hits, violations, absorbed: absorbedBy(faultsRun, target), secondsToMinimum, queueless: episodes, world };
}

/** How the cycle absorbed a fault it was given (empty: it did not hit). */
function absorbedBy(f: StepFaults, target: Fault | undefined): string[] {
  const hit = f.hits.find((h) => h.state === target?.state && h.run === target.run);
  if (!hit) return [];
  const out = new Set<string>();
  if (hit.fault === 'retry' || hit.fault === 'twice') out.add(hit.fault === 'retry' ? 'retried' : 'ran twice');
  const after = f.runs.slice(f.runs.indexOf(hit) + 1);
  if (hit.fault === 'catch') {
    if (hit.state === 'MeasureQueues' || hit.state === 'ComputePlan') out.add('cycle failed');
    else if (hit.state === 'ReleaseAfterError') out.add('cleanup died');
    else {
      const cleanup = after.find((r) => r.state === 'ReleaseAfterError');
      out.add(cleanup?.outcome.ok ? 'caught' : 'cleanup died');
    }
  }
  for (const r of after) {
    if (r.state !== 'MeasureQueues' || !r.outcome.ok) continue;
    const recovered = (r.outcome.value as MeasureResult).measurement.recovered ?? [];
    if (recovered.some((l) => l.includes('ended without cleaning up'))) out.add('repaired');
    if (recovered.some((l) => l.includes('outside any drain'))) out.add('healed');
  }
  return [...out];
}

/** What distinguishes one run of a state from another: its calls and where it routes. */
function shapeOf(r: StepRun): string {
  const o = (r.outcome.ok ? r.outcome.value : {}) as Record<string, unknown>;
  return `${r.calls.join(',')}|${String(o.status ?? o.allowed ?? '')}|${hasReleased(o)}`;
}

export interface CrashPointCase {
  scenario: PreparedScenario;
  state: TaskState;
  /** The crash point: its k; 0 for a whole step run twice. */
  k: number;
  fault: Fault;
  label: string;
}

/**
 * Every crash point a scenario has: for each distinct run of each Task state (distinct port
 * calls or route; with `everyRun`, every run), each k from 1 to its number of calls, the step
 * dies after the k-th (Catch, and Retry), before the first, and the step runs twice.
 */
export function crashPointsOf(p: PreparedScenario, opts: { everyRun?: boolean } = {}): CrashPointCase[] {
  const states: readonly string[] = p.scenario.states ?? TASK_STATES;
  const { scenario } = p;
  const seen = new Set<string>();
  const out: CrashPointCase[] = [];
  const base = new Set(p.base.map((f) => `${f.state}#${f.run}`));
  for (const r of p.reference.steps) {
    const key = opts.everyRun ? `${r.state}#${r.run}` : `${r.state}|${shapeOf(r)}`;
    if (!states.includes(r.state) || seen.has(key) || base.has(`${r.state}#${r.run}`) || r.calls.length === 0) continue;
    seen.add(key);
    const state = r.state as TaskState;
    const at = `${scenario.name}: ${state} run ${r.run}`;
    out.push({ scenario: p, state, k: 1, fault: { state, run: r.run, mode: 'catch', point: { k: 1, when: 'before' } }, label: `${at}, dies before call 1` });
    for (let k = 1; k <= r.calls.length; k += 1) {
      // Retried after its last call, it is the step run twice (below).
      for (const mode of k < r.calls.length ? (['catch', 'retry'] as const) : (['catch'] as const)) {
        out.push({ scenario: p, state, k, fault: { state, run: r.run, mode, point: { k, when: 'after' } }, label: `${at}, dies after call ${k} (${r.calls[k - 1]}), ${mode === 'catch' ? 'caught' : 'retried'}` });
      }
    }
    out.push({ scenario: p, state, k: 0, fault: { state, run: r.run, mode: 'twice' }, label: `${at}, runs twice` });
  }
  return out;
}

export interface CrashPointResult {
  case: CrashPointCase;
  run: CrashRun;
}

/** Runs one crash point. */
export function runCrashPoint(c: CrashPointCase): CrashPointResult {
  return { case: c, run: runCrashScenario(c.scenario, [c.fault]) };
}

/** Every crash point of every scenario. */
export function allCrashPoints(opts: { everyRun?: boolean } = {}, scenarios: CrashScenario[] = CRASH_SCENARIOS): CrashPointCase[] {
  return scenarios.map(prepareScenario).flatMap((p) => crashPointsOf(p, opts));
}

const OUTCOMES = ['caught', 'retried', 'ran twice', 'cycle failed', 'cleanup died', 'repaired', 'healed'] as const;

/** The docs section: one row per Task state and crash point, with how each run ended. */
export function renderCrashPoints(results: CrashPointResult[]): string {
  const rows: string[] = [];
  for (const state of TASK_STATES) {
    const mine = results.filter((r) => r.case.state === state);
    const keys = [...new Set(mine.map((r) => pointKey(r.case)))].sort((a, b) => a.order - b.order || a.label.localeCompare(b.label));
    for (const key of keys.filter((k, i) => keys.findIndex((x) => x.label === k.label) === i)) {
      const at = mine.filter((r) => pointKey(r.case).label === key.label);
      const calls = [...new Set(at.flatMap((r) => (r.case.fault.mode !== 'twice' && r.case.fault.point.when === 'after' ? [callAt(r)] : [])))];
      const held = at.filter((r) => r.run.violations.length === 0).length;
      const count = (o: string) => at.filter((r) => r.run.absorbed.includes(o)).length;
      rows.push(`| ${state} | ${key.label} | ${calls.map((c) => `\`${c}\``).join(', ') || '—'} | ${at.length} | ${held === at.length ? held : `**${held}**`} | ${OUTCOMES.map((o) => count(o) || '').join(' | ')} |`);
    }
  }
  const total = results.length;
  const held = results.filter((r) => r.run.violations.length === 0).length;
  const scenarios = [...new Set(results.map((r) => r.case.scenario.scenario.name))];
  return [
    '## Crash points',
    '',
    `Written by \`npm run crashpoints:report\`; \`npm test\` runs the same ${total} crash points (test/unit/crash-points.test.ts). Each runs the deployed cycle's steps (lib/cycle) on the simulator's world: one run of one Task state dies at a port call, and the following cycles run normally. A Lambda that dies after its k-th port call made that call and nothing after it (every later call of that attempt fails too, even one the step would catch); Step Functions then either catches the error (ReleaseAfterError; MeasureQueues and ComputePlan fail the cycle) or retries the step with the same input. *Runs twice*: the step completed, its output was lost, and it ran again. Dying before call k is dying after call k − 1, so only *before call 1* is listed.`,
    '',
    `Scenarios (${scenarios.length}): ${scenarios.join('; ')}. The points of each are found by running it without faults: every distinct run of each state (its port calls and where it routes) and each of its calls. \`npm run crashpoints:report -- --every-run\` crashes every run of each state instead (a few thousand runs, ~15 s) and prints what broke.`,
    '',
    'Checked in every run: every task completes exactly once and none is interrupted; ECS never stops a worker while it runs a task (SIGTERM would let a short one finish, so this is checked apart); desired stays within [minWorkers, maxWorkers]; no lock is held past its lease; a cleanup path (RestoreConsumers, ReleaseProtection, ReleaseAfterError) leaves every worker it touched consuming its queues the moment it ends, so the next cycle\'s self-healing never excuses one; no other worker outside a live drain goes without its queues for more than 2 cycles (a dead cycle\'s repair); at the end no drain record, protection record, lock or ECS protection remains, every live worker consumes its queues, and the fleet was back at minWorkers within stabilization + drain timeout + 3 cycles of the last task.',
    '',
    `**${held} of ${total} held every invariant.**`,
    '',
    `| state | crash point | port call | runs | invariants held | ${OUTCOMES.map((o) => OUTCOME_LABELS[o]).join(' | ')} |`,
    `|---|---|---|---:|---:|${OUTCOMES.map(() => '---:').join('|')}|`,
    ...rows,
    '',
    'Outcomes (a run may have several): *caught*: ReleaseAfterError undid the branch; *cycle failed*: MeasureQueues or ComputePlan failed, so the cycle scaled nothing; *cleanup died*: ReleaseAfterError itself died (or was the state crashed) and the lock ran out; *repaired*: a later MeasureQueues undid a dead cycle\'s leftovers; *queues healed*: a later MeasureQueues gave a worker outside any drain the queues it lacked.',
    '',
  ].join('\n');
}

const OUTCOME_LABELS: Record<(typeof OUTCOMES)[number], string> = {
  caught: 'caught', retried: 'retried', 'ran twice': 'ran twice', 'cycle failed': 'cycle failed', 'cleanup died': 'cleanup died', repaired: 'repaired', healed: 'queues healed',
};

function pointKey(c: CrashPointCase): { label: string; order: number } {
  if (c.fault.mode === 'twice') return { label: 'runs twice', order: 1000 };
  if (c.fault.point.when === 'before') return { label: 'dies before call 1', order: 0 };
  return { label: `dies after call ${c.k}`, order: c.k };
}

function callAt(r: CrashPointResult): PortCall {
  const f = r.case.fault;
  const run = r.case.scenario.reference.steps.find((s) => s.state === f.state && s.run === f.run);
  return run?.calls[r.case.k - 1] ?? ('?.?' as PortCall);
}

/** docs/reliability.md with its "Crash points" section (the last one) replaced or appended. */
export function withCrashPointsSection(doc: string, section: string): string {
  const at = doc.indexOf('\n## Crash points\n');
  const head = at >= 0 ? doc.slice(0, at + 1) : `${doc.replace(/\n*$/, '')}\n\n`;
  return `${head}${section}`;
}
