import fc from 'fast-check';
import type { Observation } from '../../lib/observation';
import type { Cloud } from '../../lib/simulate/engine';
import { emptyHpaState, hpaRecommendation, hpaSync, type HpaBehavior, type HpaState } from '../../lib/simulate/policies/hpa';
import { kedaPolicy, parseKedaOptions } from '../../lib/simulate/policies/keda';
import { horizonPolicy, plannerPolicy } from '../../lib/simulate/policies/planner';
import { parseTargetTrackingOptions, targetTrackingPolicy } from '../../lib/simulate/policies/target-tracking';
import { thresholdDecide, thresholdWorkers } from '../../lib/simulate/policies/threshold';
import type { Policy } from '../../lib/simulate/policies/types';
import { busySlots } from '../../lib/simulate/policies/oracle';
import { fixedFleetRun, meetsTarget, oracleRun, runPolicy, simulateTrace } from '../../lib/simulate/run';
import { fixedPolicy } from '../../lib/simulate/policies/fixed';
import { run, scripted, setupOf, simService, traceOf } from '../support/simulate';
import { certifiedBound, lateAllowed, loadBoundSolver } from '../../lib/simulate/bound';

beforeAll(loadBoundSolver);

const HPA: HpaBehavior = { tolerance: 0.1, scaleUpStabilizationSeconds: 0, scaleUpPods: 4, scaleUpPercent: 100, scaleDownStabilizationSeconds: 300, scaleDownPercent: 100, periodSeconds: 15 };

/** Runs a policy and records every change of the desired count as [seconds, count]. */
function desiredChanges(policy: Policy, trace: ReturnType<typeof traceOf>, setup: ReturnType<typeof setupOf>): [number, number][] {
  const changes: [number, number][] = [];
  runPolicy(trace, setup, {
    ...policy,
    start: (cloud) => policy.start(new Proxy(cloud, {
      get(target, prop, receiver) {
        if (prop === 'setDesired') return (s: string, n: number) => { changes.push([target.now, n]); target.setDesired(s, n); };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Cloud),
  });
  return changes;
}

describe('HPA (autoscaling/v2 defaults)', () => {
  // [name, metrics, target, current, expected]
  const recs: [string, number[], number, number, number][] = [
    ['⌈metric / target⌉', [95], 10, 2, 10],
    ['within the 10% tolerance: keep current', [105], 10, 10, 10],
    ['one trigger per list: the highest wins', [30, 95], 10, 4, 10],
    ['an empty list recommends 0 (the HPA minimum of 1 then applies)', [0], 10, 3, 0],
  ];
  test.each(recs)('recommendation: %s', (_n, metrics, target, current, expected) => {
    expect(hpaRecommendation(metrics, target, current, 0.1)).toBe(expected);
  });

  // [name, earlier recommendations [seconds, n], now, current, recommendation, expected replicas]
  const syncs: [string, [number, number][], number, number, number, number][] = [
    ['scale-up: at most max(+4, +100%) per 15 s', [], 0, 3, 20, 7],
    ['scale-up from 10: doubling allows 20', [], 0, 10, 30, 20],
    ['scale-down waits for the highest recommendation of the last 300 s', [[0, 8], [100, 2]], 299, 8, 2, 8],
    ['after 300 s the lower recommendation applies', [[0, 8], [100, 2]], 301, 8, 2, 2],
    ['never below the HPA minimum of 1', [], 0, 3, 0, 1],
  ];
  test.each(syncs)('sync: %s', (_n, earlier, now, current, recommendation, expected) => {
    const state: HpaState = { recommendations: earlier, events: [] };
    expect(hpaSync(state, HPA, now, current, recommendation, 1, 100).replicas).toBe(expected);
  });

  test('KEDA-style holds its fleet for the 300 s scale-down stabilization after the queue empties', () => {
    const setup = setupOf(simService({ concurrency: 4, maxWorkers: 20 }, { tasksPerWorkerPerMinute: 24, targetMinutes: 1 }));
    const trace = traceOf(Array.from({ length: 400 }, () => ({ arrival: 10, queue: 'q', duration: 10 })), 3600);
    const changes = desiredChanges(kedaPolicy(setup), trace, setup);
    const peakAt = changes.findIndex(([, n]) => n === Math.max(...changes.map(([, c]) => c)));
    const firstDown = changes.slice(peakAt).find(([, n]) => n < changes[peakAt][1]);
    expect(changes[0]).toEqual([30, 1]);
    expect(firstDown![0] - changes[peakAt][0]).toBeGreaterThanOrEqual(300);
    expect(changes[changes.length - 1][1]).toBe(0);
  });

  test('KEDA options are validated, naming the field', () => {
    expect(() => parseKedaOptions({ listLength: 0 })).toThrow(/invalid KEDA options: listLength: must be > 0/);
    expect(() => parseKedaOptions({ listLength: 5, pollingInterval: 30 })).toThrow(/Unrecognized key\(s\) in object: 'pollingInterval'/);
    expect(parseKedaOptions({ listLength: 5 })).toMatchObject({ pollingIntervalSeconds: 30, cooldownPeriodSeconds: 300, scaleDownStabilizationSeconds: 300 });
  });
});

describe('AWS target tracking on backlog per task', () => {
  test('scales out after 3 one-minute datapoints above target, to ⌈pending / target⌉; in after 15 below 90%', () => {
    const setup = setupOf(simService({ maxWorkers: 10, minWorkers: 0 }, { tasksPerWorkerPerMinute: 1, targetMinutes: 5 }));
    const trace = traceOf(Array.from({ length: 40 }, () => ({ arrival: 0, queue: 'q', duration: 30 })), 7200);
    const changes = desiredChanges(targetTrackingPolicy(setup), trace, setup);
    // Datapoints at 0, 60, 120 s: 40 pending / 1 > 5 → ⌈40 / 5⌉ = 8.
    expect(changes[0]).toEqual([120, 8]);
    const down = changes.find(([, n]) => n < 8)!;
    // The queue is empty from about 4 min: 15 low datapoints later.
    expect(down[0]).toBeGreaterThanOrEqual(120 + 15 * 60);
    expect(down[1]).toBe(0);
  });

  test('options are validated, naming the field', () => {
    expect(() => parseTargetTrackingOptions({ targetValue: 5 })).toThrow(/invalid target tracking options: maxCapacity: Required/);
  });
});

describe('the seed\'s threshold rule', () => {
  // [name, work, μ, T, min, max, expected]
  const rows: [string, number, number, number, number, number, number][] = [
    ['seed: 1000 tasks, 2/min, 100 min → 5', 1000, 2, 100, 0, 40, 5],
    ['no work → min', 0, 2, 5, 1, 40, 1],
    ['clamped to max', 1000, 2, 1, 0, 40, 40],
  ];
  test.each(rows)('%s', (_n, work, mu, T, min, max, expected) => {
    expect(thresholdWorkers(simService({ minWorkers: min, maxWorkers: max, targetMinutes: T }, { tasksPerWorkerPerMinute: mu }).config, work)).toBe(expected);
  });

  test('down only when needed ≤ current × scaleDownThreshold (0.9): 10 → 9 holds, 10 → 8 scales', () => {
    const cfg = simService({ maxWorkers: 40, targetMinutes: 1 }, { tasksPerWorkerPerMinute: 10 }).config;
    const obs = (pending: number, desired: number): Observation => ({ at: 0, services: { default: { queues: { q: pending }, nodes: [], missingNodes: [], errors: [], ecs: { desired, running: desired, pending: 0, deploymentInProgress: false } } } });
    expect(thresholdDecide({ default: cfg })(obs(95, 10), 0, { default: {} })).toEqual([]);
    expect(thresholdDecide({ default: cfg })(obs(80, 10), 0, { default: {} })).toEqual([{ service: 'default', to: 8, direction: 'down' }]);
  });
});

describe('this planner in the simulator', () => {
  test('sees only what MeasureQueues measures: no durations, no arrival times, nothing of the future', () => {
    const seen: Observation[] = [];
    const setup = setupOf(simService());
    runPolicy(traceOf([{ arrival: 5, queue: 'q', duration: 123.456 }, { arrival: 70, queue: 'q', duration: 7.5 }], 600), setup, plannerPolicy(setup, (o) => seen.push(o)));
    expect(seen.length).toBeGreaterThan(5);
    for (const o of seen) {
      expect(Object.keys(o).sort()).toEqual(['at', 'services']);
      for (const s of Object.values(o.services)) {
        expect(Object.keys(s).sort()).toEqual(['ecs', 'errors', 'missingNodes', 'nodes', 'queues']);
        // longestActiveSeconds is how long a task has run so far (Celery's time_start), not its duration; concurrency is the pool's size (stats).
        // totals and activeByTask are Celery's per-task-name counts (stats, active); a task's name is its queue's here.
        for (const n of s.nodes) expect(Object.keys(n).sort()).toEqual(['active', 'activeByTask', 'concurrency', 'longestActiveSeconds', 'node', 'processed', 'reserved', 'scheduled', 'taskId', 'taskQueues', 'totals']);
      }
      expect(JSON.stringify(o)).not.toMatch(/123\.456|7\.5|duration|arrival/);
    }
  });
});

describe('the fixed fleet sized for the peak', () => {
  test('is the smallest constant fleet that starts ≥ 99% within the target: one fewer misses', () => {
    const setup = setupOf(simService({ maxWorkers: 20, targetMinutes: 1 }));
    const trace = traceOf(Array.from({ length: 60 }, (_, i) => ({ arrival: i, queue: 'q', duration: 20 })), 600);
    const best = fixedFleetRun(trace, setup);
    const n = best.fleet!.default;
    expect(best.total.withinTargetPct).toBeGreaterThanOrEqual(99);
    expect(runPolicy(trace, setup, fixedPolicy({ default: n - 1 })).total.withinTargetPct).toBeLessThan(99);
  });
});

describe('the best known schedule (hindsight search on the same cycle model) and the certified bound', () => {
  const arbTask = fc.record({ arrival: fc.integer({ min: 0, max: 5400 }), duration: fc.double({ min: 0.5, max: 600, noNaN: true }), queue: fc.constantFrom('a', 'b') });
  const arbFacts = fc.record({ concurrency: fc.integer({ min: 1, max: 4 }), startupSeconds: fc.integer({ min: 0, max: 120 }), targetMinutes: fc.integer({ min: 1, max: 15 }), maxWorkers: fc.integer({ min: 1, max: 20 }) });

  test('never costs more than any policy that starts ≥ 99% within the target, on random workloads of one or two services', () => {
    fc.assert(fc.property(fc.array(arbTask, { minLength: 1, maxLength: 200 }), arbFacts, arbFacts, fc.boolean(), (raw, a, b, two) => {
      const tasks = raw.map((t) => ({ ...t, queue: two ? t.queue : 'a' })).sort((x, y) => x.arrival - y.arrival);
      const setup = two ? setupOf(simService({ ...a, queues: ['a'] }, {}, 'one'), simService({ ...b, queues: ['b'] }, {}, 'two')) : setupOf(simService({ ...a, queues: ['a'] }));
      const runs = simulateTrace(traceOf(tasks, 5400), setup);
      const oracle = runs.find((r) => r.policy === 'oracle')!;
      for (const r of runs) {
        if (r.policy === 'oracle' || !meetsTarget(r)) continue;
        expect(meetsTarget(oracle)).toBe(true);
        expect(oracle.total.paidMinutes).toBeLessThanOrEqual(r.total.paidMinutes + 1e-6);
      }
      expect(oracle.total.xOracle).toBe(1);
    }), { numRuns: 20, seed: 7 });
  });

  test('no schedule pays less than the certified bound: every policy, and random scripted schedules, that start ≥ 99% (and 100%) within the target; the bound ≤ the best known', () => {
    const arbStep = fc.record({ at: fc.integer({ min: 0, max: 5400 }), to: fc.integer({ min: 0, max: 12 }) });
    fc.assert(fc.property(fc.array(arbTask, { minLength: 1, maxLength: 150 }), arbFacts, arbFacts, fc.boolean(), fc.array(fc.array(arbStep, { maxLength: 12 }), { minLength: 3, maxLength: 3 }), (raw, a, b, two, scripts) => {
      const tasks = raw.map((t) => ({ ...t, queue: two ? t.queue : 'a' })).sort((x, y) => x.arrival - y.arrival);
      const services = two ? [simService({ ...a, queues: ['a'] }, {}, 'one'), simService({ ...b, queues: ['b'] }, {}, 'two')] : [simService({ ...a, queues: ['a'] })];
      const setup = setupOf(...services);
      const trace = traceOf(tasks, 5400);
      const runs = simulateTrace(trace, setup);
      // Schedules no policy would pick: random desired counts at random times, from a random warm fleet.
      const scriptedRuns = scripts.map((steps, i) => runPolicy(trace, setup, scripted(i * 2, (cloud) => {
        for (const st of steps) cloud.after(st.at, () => { for (const s of services) cloud.setDesired(s.name, st.to); });
      })));
      const strict = Object.fromEntries(services.map((s) => [s.name, certifiedBound(trace, s, 60).minutes]));
      const oracle = runs.find((r) => r.policy === 'oracle')!;
      for (const r of [...runs, ...scriptedRuns]) {
        for (const s of services) {
          const m = r.byService[s.name];
          const bound = runs[0].byService[s.name].bound!;
          if (m.withinTargetPct >= 99) expect(m.paidMinutes).toBeGreaterThanOrEqual(bound - 1e-6);
          if (m.withinTargetPct === 100) expect(m.paidMinutes).toBeGreaterThanOrEqual(strict[s.name] - 1e-6);
          // Allowing 1% late only lowers it.
          expect(bound).toBeLessThanOrEqual(strict[s.name] + 1e-6);
        }
      }
      for (const s of services) if (oracle.byService[s.name].withinTargetPct >= 99) expect(oracle.byService[s.name].paidMinutes).toBeGreaterThanOrEqual(oracle.byService[s.name].bound! - 1e-6);
    }), { numRuns: 30, seed: 11 });
  });

  test('the bound is exact where the work alone decides: 60 one-minute tasks at once, target 1 min, no start-up', () => {
    const s = simService({ concurrency: 1, startupSeconds: 0, targetMinutes: 1, maxWorkers: 60 });
    const trace = traceOf(Array.from({ length: 60 }, () => ({ arrival: 0, queue: 'q', duration: 60 })), 120);
    expect(certifiedBound(trace, s, 60).minutes).toBeCloseTo(60, 3);
    expect(runPolicy(trace, setupOf(s), fixedPolicy({ default: 60 })).total.paidMinutes).toBeGreaterThanOrEqual(60);
  });

  test('the bound charges a start-up for every worker that becomes ready after t = 0', () => {
    const s = simService({ concurrency: 1, startupSeconds: 120, targetMinutes: 1, maxWorkers: 60 });
    // 10 tasks of 60 s at t = 600, each to start by 660: the cheapest is 5 workers ready at 600 doing two each,
    // 5 × (2 min start-up + 2 min of work) = 20; without the start-up's charge the LP would say 10.
    const trace = traceOf(Array.from({ length: 10 }, () => ({ arrival: 600, queue: 'q', duration: 60 })), 1200);
    expect(certifiedBound(trace, s, 60).minutes).toBeCloseTo(20, 3);
  });

  test('lateAllowed: the most tasks that can miss while the share within target stays ≥ 99%', () => {
    expect([lateAllowed(99, 99), lateAllowed(100, 99), lateAllowed(250, 99), lateAllowed(10, 100)]).toEqual([0, 1, 2, 0]);
  });

  test('a schedule scales up ahead of a burst it knows is coming: its workers are ready when the burst arrives', () => {
    const setup = setupOf(simService({ concurrency: 2, startupSeconds: 60, targetMinutes: 5, maxWorkers: 20 }));
    const trace = traceOf(Array.from({ length: 400 }, () => ({ arrival: 600, queue: 'q', duration: 10 })), 1800);
    const oracle = oracleRun(trace, setup);
    expect(oracle.total.withinTargetPct).toBe(100);
    const planner = runPolicy(trace, setup, plannerPolicy(setup));
    expect(oracle.total.paidMinutes).toBeLessThanOrEqual(planner.total.paidMinutes);
  });

  test('the horizon model runs the same cycle steps: a flood within its target, never below the certified bound, back to the minimum after', () => {
    const setup = setupOf(simService({ concurrency: 2, startupSeconds: 60, targetMinutes: 5, maxWorkers: 20 }));
    const trace = traceOf(Array.from({ length: 400 }, (_, i) => ({ arrival: 600 + i * 0.1, queue: 'q', duration: 10 })), 3600);
    const run = runPolicy(trace, setup, horizonPolicy(setup));
    expect(run.policy).toBe('horizon');
    expect(run.total.withinTargetPct).toBe(100);
    expect(run.total.completed).toBe(400);
    expect(run.total.paidMinutes).toBeGreaterThanOrEqual(certifiedBound(trace, setup.services[0], setup.cycleSeconds).minutes);
    expect(run.world.samples[run.world.samples.length - 1].workers[0]).toBe(0);
  });

  test('busySlots: fractional slot-seconds, so sub-second tasks count what they use', () => {
    const busy = busySlots(traceOf([{ arrival: 1.25, queue: 'q', duration: 0.5 }, { arrival: 2.5, queue: 'q', duration: 2 }]), ['q'], 6);
    expect(Array.from(busy.subarray(0, 6))).toEqual([0, 0.5, 0.5, 1, 0.5, 0]);
  });

  test('busySlots without foresight: a task counts from the first cycle after it arrived', () => {
    const busy = busySlots(traceOf([{ arrival: 10, queue: 'q', duration: 2 }]), ['q'], 130, 60);
    expect([busy[10], busy[59], busy[60], busy[61], busy[62]]).toEqual([0, 0, 1, 1, 0]);
  });
});

describe('reversals', () => {
  test('a scale-up undone within start-up + 2 cycles counts; one undone later does not', () => {
    const setup = setupOf(simService({ startupSeconds: 60 }));
    const world = run(traceOf([{ arrival: 0, queue: 'q', duration: 1 }], 1200), setup, scripted(0, (cloud) => {
      cloud.after(10, () => cloud.setDesired('default', 3));
      cloud.after(100, () => cloud.setDesired('default', 1));
      cloud.after(500, () => cloud.setDesired('default', 4));
      cloud.after(900, () => cloud.setDesired('default', 0));
    }));
    expect(world.reversals('default', 60 + 2 * 60)).toBe(1);
  });
});
