import { World, type SimService } from './engine';
import { measureRun, type PolicyMetrics } from './metrics';
import { fixedPolicy } from './policies/fixed';
import { kedaPolicy } from './policies/keda';
import { plannerPolicy } from './policies/planner';
import { targetTrackingPolicy } from './policies/target-tracking';
import { thresholdPolicy } from './policies/threshold';
import type { Policy, PolicyName, SimSetup } from './policies/types';
import type { Trace } from './trace';

export const POLICY_NAMES: PolicyName[] = ['planner', 'fixed', 'threshold', 'keda', 'aws'];

export const POLICY_LABELS: Record<PolicyName, string> = {
  planner: 'this planner',
  fixed: 'fixed fleet (peak)',
  threshold: 'seed threshold rule',
  keda: 'KEDA-style',
  aws: 'AWS target tracking',
};

/** The share of tasks that must start within the target. */
export const TARGET_SHARE = 99;

/** 2026-01-01T00:00:00Z: the clock the planner sees at t = 0 (any fixed value keeps runs identical). */
const EPOCH_MS = Date.UTC(2026, 0, 1);

/** Every service starts ≥ 99% of its tasks within its target (a total could hide one that does not). */
export const meetsTarget = (run: PolicyRun): boolean => Object.values(run.byService).every((m) => m.withinTargetPct >= TARGET_SHARE);

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
    overrunSeconds: 2 * 86_400,
    sampleSeconds: Math.max(15, Math.ceil(trace.horizonSeconds / 720)),
    epochMs: EPOCH_MS,
  });
  policy.start(world);
  world.runToEnd();
  return {
    policy: policy.name,
    world,
    total: measureRun(world),
    byService: Object.fromEntries(setup.services.map((s, i) => [s.name, measureRun(world, [i])])),
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
  const meets = (run: PolicyRun, s: SimService) => run.byService[s.name].withinTargetPct >= TARGET_SHARE;
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

export function makePolicy(name: Exclude<PolicyName, 'fixed'>, setup: SimSetup): Policy {
  switch (name) {
    case 'planner': return plannerPolicy(setup);
    case 'threshold': return thresholdPolicy(setup);
    case 'keda': return kedaPolicy(setup);
    case 'aws': return targetTrackingPolicy(setup);
  }
}

/** Every requested policy on the same trace, in the order asked. */
export function simulateTrace(trace: Trace, setup: SimSetup, policies: PolicyName[] = POLICY_NAMES): PolicyRun[] {
  return policies.map((p) => (p === 'fixed' ? fixedFleetRun(trace, setup) : runPolicy(trace, setup, makePolicy(p, setup))));
}
