import { World, type SimService } from './engine';
import { measureRun, type PolicyMetrics } from './metrics';
import { fixedPolicy } from './policies/fixed';
import { kedaPolicy } from './policies/keda';
import { horizonPolicy, plannerPolicy } from './policies/planner';
import { targetTrackingPolicy } from './policies/target-tracking';
import { thresholdPolicy } from './policies/threshold';
import { busySlots, hindsightSchedule, oraclePolicy, type OracleChoice, type ScheduleParams } from './policies/oracle';
import type { Policy, PolicyName, SimSetup } from './policies/types';
import type { Trace } from './trace';
import { certifiedBounds } from './bound';

/** The policies a simulation runs unless told otherwise. */
export const POLICY_NAMES: PolicyName[] = ['planner', 'fixed', 'threshold', 'keda', 'aws', 'oracle'];
/**
 * Every policy `--policies` accepts: the default ones and the horizon model, which replaces this
 * planner's sizing rules once it is at least as good on every workload (docs/planner.md).
 */
export const ALL_POLICIES: PolicyName[] = [...POLICY_NAMES.slice(0, 1), 'horizon', ...POLICY_NAMES.slice(1)];

export const POLICY_LABELS: Record<PolicyName, string> = {
  planner: 'this planner',
  horizon: 'horizon model (in development)',
  fixed: 'fixed fleet (peak)',
  threshold: 'seed threshold rule',
  keda: 'KEDA-style',
  aws: 'AWS target tracking',
  oracle: 'best known (hindsight)',
};

/** The share of tasks that must start within the target. */
export const TARGET_SHARE = 99;

/** A run gives up this long after the trace's horizon. */
export const OVERRUN_SECONDS = 2 * 86_400;

/** 2026-01-01T00:00:00Z: the clock the planner sees at t = 0 (any fixed value keeps runs identical). */
const EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * A service starts ≥ 99% of its tasks within its target and leaves none unrun when the run gives
 * up (OVERRUN_SECONDS past the trace): a schedule that strands a task for good has lost it, whatever
 * share of the rest started in time.
 */
export const serviceMeetsTarget = (m: PolicyMetrics): boolean => m.withinTargetPct >= TARGET_SHARE && m.completed === m.tasks;

/** Every service meets its target (a total could hide one that does not). */
export const meetsTarget = (run: PolicyRun): boolean => Object.values(run.byService).every(serviceMeetsTarget);

export interface PolicyRun {
  policy: PolicyName;
  world: World;
  total: PolicyMetrics;
  byService: Record<string, PolicyMetrics>;
  /** The fixed fleet's size per service (fixed policy only). */
  fleet?: Record<string, number>;
}

export function runPolicy(trace: Trace, setup: SimSetup, policy: Policy): PolicyRun {
  const world = new World(trace, {
    services: setup.services,
    initialWorkers: Object.fromEntries(setup.services.map((s) => [s.name, policy.initialWorkers(s)])),
    visibilityTimeoutSeconds: 3600,
    overrunSeconds: OVERRUN_SECONDS,
    sampleSeconds: Math.max(15, Math.ceil(trace.horizonSeconds / 720)),
    epochMs: EPOCH_MS,
  });
  policy.start(world);
  world.runToEnd();
  return {
    policy: policy.name,
    world,
    total: measureRun(world, setup.cycleSeconds),
    byService: Object.fromEntries(setup.services.map((s, i) => [s.name, measureRun(world, setup.cycleSeconds, [i])])),
  };
}

/**
 * The most generous fixed fleet: per service, the smallest constant N ≤ maxWorkers that starts
 * ≥ 99% of its tasks within the target, by bisection (services are independent, so one run per
 * step serves them all). Where even maxWorkers misses the target, N = maxWorkers.
 */
export function fixedFleetRun(trace: Trace, setup: SimSetup): PolicyRun {
  const lo: Record<string, number> = {};
  const hi: Record<string, number> = {};
  const meets = (run: PolicyRun, s: SimService) => serviceMeetsTarget(run.byService[s.name]);
  const atMax = runPolicy(trace, setup, fixedPolicy(Object.fromEntries(setup.services.map((s) => [s.name, s.config.maxWorkers]))));
  for (const s of setup.services) {
    hi[s.name] = s.config.maxWorkers;
    lo[s.name] = meets(atMax, s) ? Math.min(hi[s.name], Math.max(1, s.config.minWorkers)) : hi[s.name];
  }
  while (setup.services.some((s) => lo[s.name] < hi[s.name])) {
    const mid = Object.fromEntries(setup.services.map((s) => [s.name, Math.floor((lo[s.name] + hi[s.name]) / 2)]));
    const run = runPolicy(trace, setup, fixedPolicy(mid));
    for (const s of setup.services) {
      if (lo[s.name] >= hi[s.name]) continue;
      if (meets(run, s)) hi[s.name] = mid[s.name];
      else lo[s.name] = mid[s.name] + 1;
    }
  }
  const fleet = Object.fromEntries(setup.services.map((s) => [s.name, hi[s.name]]));
  return { ...runPolicy(trace, setup, fixedPolicy(fleet)), fleet };
}

export function makePolicy(name: Exclude<PolicyName, 'fixed' | 'oracle'>, setup: SimSetup): Policy {
  switch (name) {
    case 'planner': return plannerPolicy(setup);
    case 'horizon': return horizonPolicy(setup);
    case 'threshold': return thresholdPolicy(setup);
    case 'keda': return kedaPolicy(setup);
    case 'aws': return targetTrackingPolicy(setup);
  }
}

/** Scores a service's result: meeting the target first, then the fewest paid worker-minutes. */
const better = (a: PolicyMetrics, b: PolicyMetrics): boolean => {
  const am = serviceMeetsTarget(a);
  const bm = serviceMeetsTarget(b);
  if (am !== bm) return am;
  if (!am && a.withinTargetPct !== b.withinTargetPct) return a.withinTargetPct > b.withinTargetPct;
  return a.paidMinutes < b.paidMinutes;
};

/** Fewer schedules tried on big traces, so a day of a busy platform stays within a minute. */
const BIG_TRACE = 200_000;

/**
 * The best known schedule (docs/simulator.md, "The hindsight search"), not an optimum: per
 * service, the cheapest that starts ≥ 99% of its tasks within the target among hindsight
 * schedules (demand smoothed over part of the target, scaled) and the schedules of the
 * same-model policies already run (planner, seed rule, fixed fleet), then one run of the choices.
 * `reactive`: its schedules know each task only from the first cycle after it arrived (the
 * hindsight it keeps is the tasks' durations): what the cycle's reaction time costs any controller.
 */
export function oracleRun(trace: Trace, setup: SimSetup, others: PolicyRun[] = [], o: { reactive?: boolean } = {}): PolicyRun {
  const seconds = Math.ceil(trace.horizonSeconds) + 1;
  const big = trace.tasks.length > BIG_TRACE;
  // Without foresight only the demand seen a cycle late; with it both (neither dominates the other).
  const sights = o.reactive ? [setup.cycleSeconds] : big ? [0] : [0, setup.cycleSeconds];
  const busy = new Map(setup.services.flatMap((s) => sights.map((every) => [`${s.name}/${every}`, busySlots(trace, s.config.queues, seconds, every)] as const)));
  type Pick = { choice: OracleChoice; metrics: PolicyMetrics; run: PolicyRun };
  // Per service and schedule shape: the highest scale seen to miss the target, the lowest seen to meet it.
  const bounds = new Map<string, { lo: number; hi: number | null }>();
  const best = new Map<string, Pick>();
  // The search refines its own schedules, whichever candidate leads.
  const bestSchedule = new Map<string, Pick & { choice: Extract<OracleChoice, { kind: 'schedule' }> }>();
  const offer = (name: string, choice: OracleChoice, run: PolicyRun) => {
    const metrics = run.byService[name];
    const now = best.get(name);
    if (!now || better(metrics, now.metrics)) best.set(name, { choice, metrics, run });
    if (choice.kind !== 'schedule') return;
    const mine = bestSchedule.get(name);
    if (!mine || better(metrics, mine.metrics)) bestSchedule.set(name, { choice, metrics, run });
    const key = `${name}/${choice.smoothSeconds}/${choice.holdSeconds}/${choice.seenEverySeconds}`;
    const k = bounds.get(key) ?? { lo: 0, hi: null };
    if (serviceMeetsTarget(metrics)) k.hi = Math.min(k.hi ?? Infinity, choice.scale);
    else k.lo = Math.max(k.lo, choice.scale);
    bounds.set(key, k);
  };
  for (const run of others) {
    for (const s of setup.services) {
      if (run.policy === 'planner' || run.policy === 'threshold') offer(s.name, { kind: run.policy }, run);
      if (run.fleet) offer(s.name, { kind: 'fixed', workers: run.fleet[s.name] }, run);
    }
  }
  const tryParams = (params: (s: SimService) => ScheduleParams | null) => {
    const choices: Record<string, OracleChoice> = {};
    for (const s of setup.services) {
      const p = params(s);
      choices[s.name] = p ? { kind: 'schedule', ...p, desired: hindsightSchedule(busy.get(`${s.name}/${p.seenEverySeconds}`) as Float64Array, s, setup.cycleSeconds, p) } : (best.get(s.name) as { choice: OracleChoice }).choice;
    }
    const run = runPolicy(trace, setup, oraclePolicy(setup, choices, EPOCH_MS));
    for (const s of setup.services) offer(s.name, choices[s.name], run);
  };
  const grid: [number, boolean][] = big ? [[0.9, false]] : [[0.5, false], [0.7, false], [0.9, false], [0.9, true]];
  for (const every of sights) {
    for (const [f, hold] of grid) tryParams((s) => ({ smoothSeconds: f * s.config.targetMinutes * 60, scale: 1, holdSeconds: hold ? s.worker.startupSeconds : 0, seenEverySeconds: every }));
  }
  // Bisect the scale of each service's best schedule: the fewest workers that still meet the target.
  for (let step = 0; step < (big ? 1 : 4); step += 1) {
    tryParams((s) => {
      const b = bestSchedule.get(s.name);
      if (!b) return null;
      const k = bounds.get(`${s.name}/${b.choice.smoothSeconds}/${b.choice.holdSeconds}/${b.choice.seenEverySeconds}`) as { lo: number; hi: number | null };
      const scale = k.hi === null ? k.lo * 1.25 : k.lo > 0 ? (k.lo + k.hi) / 2 : k.hi * 0.85;
      if (scale <= k.lo || (k.hi !== null && scale >= k.hi)) return null;
      return { smoothSeconds: b.choice.smoothSeconds, scale, holdSeconds: b.choice.holdSeconds, seenEverySeconds: b.choice.seenEverySeconds };
    });
  }
  const picked = setup.services.map((s) => best.get(s.name) as { choice: OracleChoice; run: PolicyRun });
  const one = picked[0].run;
  if (picked.every((p) => p.run === one)) {
    return { ...one, policy: 'oracle', fleet: undefined, total: { ...one.total }, byService: Object.fromEntries(Object.entries(one.byService).map(([n, m]) => [n, { ...m }])) };
  }
  const choices = Object.fromEntries(setup.services.map((s, i) => [s.name, picked[i].choice]));
  return runPolicy(trace, setup, oraclePolicy(setup, choices, EPOCH_MS));
}

/**
 * Every requested policy on the same trace, in the order asked; the hindsight search last, as it
 * learns from the others. Each cost is also given over the certified bound (bound.ts; the solver
 * must be loaded: `loadBoundSolver`).
 */
export function simulateTrace(trace: Trace, setup: SimSetup, policies: PolicyName[] = POLICY_NAMES): PolicyRun[] {
  const runs = new Map<PolicyName, PolicyRun>();
  for (const p of policies) {
    if (p === 'oracle') continue;
    runs.set(p, p === 'fixed' ? fixedFleetRun(trace, setup) : runPolicy(trace, setup, makePolicy(p, setup)));
  }
  const oracle = oracleRun(trace, setup, [...runs.values()]);
  runs.set('oracle', oracle);
  const out = [...(policies.includes('oracle') ? policies : [...policies, 'oracle' as PolicyName])].map((p) => runs.get(p) as PolicyRun);
  const bounds = certifiedBounds(trace, setup.services, setup.cycleSeconds, { sharePct: TARGET_SHARE, overrunSeconds: OVERRUN_SECONDS });
  const totalBound = Object.values(bounds).reduce((a, b) => a + b.minutes, 0);
  for (const r of out) {
    r.total.xOracle = r.total.paidMinutes / oracle.total.paidMinutes;
    r.total.bound = totalBound;
    r.total.xBound = totalBound > 0 ? r.total.paidMinutes / totalBound : undefined;
    for (const [name, m] of Object.entries(r.byService)) {
      m.xOracle = m.paidMinutes / oracle.byService[name].paidMinutes;
      m.bound = bounds[name].minutes;
      m.xBound = bounds[name].minutes > 0 ? m.paidMinutes / bounds[name].minutes : undefined;
    }
  }
  return out;
}
