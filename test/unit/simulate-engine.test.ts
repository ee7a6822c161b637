import fc from 'fast-check';
import { startCycles } from '../../lib/simulate/cycle';
import { measureRun } from '../../lib/simulate/metrics';
import { plannerPolicy } from '../../lib/simulate/policies/planner';
import { buildReference, REFERENCE_TRACES } from '../../lib/simulate/reference';
import { makePolicy, meetsTarget, runPolicy } from '../../lib/simulate/run';
import { run, scripted, setupOf, simService, traceOf } from '../support/simulate';

const tasksAt = (n: number, at: number, duration: number, queue = 'q') => Array.from({ length: n }, () => ({ arrival: at, queue, duration }));

describe('the world: Redis lists, Celery workers, ECS', () => {
  test('analytic: 1 worker, concurrency 1, ten 6 s tasks at t = 0 → waits 0, 6, …, 54 and the last ends at 60 s', () => {
    const world = run(traceOf(tasksAt(10, 0, 6)), setupOf(simService()), scripted(1));
    expect(Array.from(world.startAt)).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54]);
    expect(Math.max(...world.finishAt)).toBe(60);
    const m = measureRun(world, 60);
    expect(m.paidMinutes).toBe(1);
    expect(m.busyMinutes).toBe(1);
  });

  test('a schedule that strands a task (the fleet gone to zero while it waits) does not meet the target, whatever share started in time', () => {
    // 200 tasks of 1 s at t = 0 on one worker of one slot, and one more at 10 min: a fleet that
    // stays starts all 201 within 5 min; one that goes to zero at 5 min never starts the last.
    const tasks = [...tasksAt(200, 0, 1), ...tasksAt(1, 600, 1)];
    const stays = runPolicy(traceOf(tasks, 900), setupOf(simService()), scripted(1));
    const leaves = runPolicy(traceOf(tasks, 900), setupOf(simService()), scripted(1, (cloud) => cloud.after(300, () => cloud.setDesired('default', 0))));
    expect(stays.byService.default.withinTargetPct).toBe(100);
    expect(meetsTarget(stays)).toBe(true);
    expect(leaves.byService.default.completed).toBe(200);
    expect(leaves.byService.default.withinTargetPct).toBeGreaterThanOrEqual(99);
    expect(meetsTarget(leaves)).toBe(false);
  });

  test('concurrency and prefetch: 2 slots take two at once, the third waits reserved for the first free slot', () => {
    const world = run(traceOf(tasksAt(3, 0, 10)), setupOf(simService({ concurrency: 2 })), scripted(1));
    expect(Array.from(world.startAt)).toEqual([0, 0, 10]);
  });

  test('a new ECS task consumes only after its start-up, and is paid from the moment ECS starts it', () => {
    const world = run(traceOf(tasksAt(1, 0, 5)), setupOf(simService({ startupSeconds: 45 })), scripted(0, (cloud) => cloud.after(0, () => cloud.setDesired('default', 1))));
    expect(world.startAt[0]).toBe(45);
    expect(world.workers[0].launchedAt).toBe(0);
  });

  test('ECS scale-in (SIGTERM) gives reserved messages back to the queue; the active task finishes within stopTimeout', () => {
    // w0: active t0 (10 s), reserved t2; w1: active t1 (10 s), reserved t3. ECS stops the oldest (w0).
    const world = run(traceOf(tasksAt(4, 0, 10)), setupOf(simService()), scripted(2, (cloud) => cloud.after(1, () => cloud.setDesired('default', 1))));
    expect(world.workers[0].stoppedAt).toBe(10);
    expect(world.interrupted.every((n) => n === 0)).toBe(true);
    // t2 went back to the queue (not lost); w1 runs t3, which it had reserved, then takes t2.
    expect([world.startAt[2], world.startAt[3]]).toEqual([20, 10]);
    expect(world.completed).toBe(4);
  });

  test('baselines\' ECS scale-in SIGKILLs a long task (re-delivered after the visibility timeout); our drain does not', () => {
    const trace = traceOf(tasksAt(2, 0, 1000));
    const setup = setupOf(simService());
    const ecs = run(trace, setup, scripted(2, (cloud) => cloud.after(10, () => cloud.setDesired('default', 1))));
    expect(Array.from(ecs.interrupted)).toEqual([1, 0]);
    expect(ecs.startAt[0]).toBeGreaterThanOrEqual(3600);
    let asked = false;
    const drained = run(trace, setup, scripted(2, (cloud) => startCycles(cloud, { default: setup.services[0].config }, 60, () => {
      if (asked) return [];
      asked = true;
      return [{ service: 'default', to: 1, direction: 'down' }];
    })));
    expect(Array.from(drained.interrupted)).toEqual([0, 0]);
    expect(Array.from(drained.finishAt)).toEqual([1000, 1000]);
  });

  test('a drained worker takes nothing new, runs what it reserved, and is paid until then', () => {
    // Two workers, each with one active and one reserved 100 s task; the cycle drains one.
    const setup = setupOf(simService());
    const world = run(traceOf(tasksAt(4, 0, 100)), setup, scripted(2, (cloud) => {
      let asked = false;
      startCycles(cloud, { default: setup.services[0].config }, 10, () => (asked ? [] : ((asked = true), [{ service: 'default', to: 1, direction: 'down' }])));
    }));
    const drained = world.workers.find((w) => w.stoppedAt !== null && w.stoppedAt < 1000)!;
    expect(drained.processed).toBe(2);
    expect(drained.stoppedAt).toBeGreaterThanOrEqual(200);
    expect(drained.stoppedAt).toBeLessThanOrEqual(205);
    expect(measureRun(world, 60).paidMinutes).toBeGreaterThanOrEqual((200 + 200) / 60);
  });
});

describe('invariants over random workloads', () => {
  // Two queues in one service, durations from half a second to 15 minutes: short and long tasks mixed.
  const arbTask = fc.record({ arrival: fc.integer({ min: 0, max: 3600 }), duration: fc.double({ min: 0.5, max: 900, noNaN: true }), queue: fc.constantFrom('q', 'r') });
  const arbFacts = fc.record({ concurrency: fc.integer({ min: 1, max: 4 }), startupSeconds: fc.integer({ min: 0, max: 120 }), targetMinutes: fc.integer({ min: 1, max: 15 }), maxWorkers: fc.integer({ min: 1, max: 20 }) });

  test('paid ≥ busy for every policy; under this planner every task completes exactly once and none is interrupted', () => {
    fc.assert(fc.property(fc.array(arbTask, { minLength: 1, maxLength: 150 }), arbFacts, (raw, facts) => {
      const trace = traceOf([...raw].sort((a, b) => a.arrival - b.arrival), 3600);
      const setup = setupOf(simService({ ...facts, queues: ['q', 'r'] }));
      for (const name of ['planner', 'threshold', 'keda', 'aws'] as const) {
        const r = runPolicy(trace, setup, makePolicy(name, setup));
        expect(r.total.paidMinutes).toBeGreaterThanOrEqual(r.total.busyMinutes - 1e-9);
        if (name === 'planner') {
          expect(r.total.completed).toBe(trace.tasks.length);
          expect(r.total.interrupted).toBe(0);
          expect(Array.from(r.world.finishAt).every((t) => Number.isFinite(t))).toBe(true);
        }
      }
    }), { numRuns: 25, seed: 42 });
  });

  test.each(REFERENCE_TRACES.filter((t) => t.name !== 'daily').map((t) => [t.name, t] as const))('%s: the planner completes every task, interrupts none, and a rerun is identical', (_n, ref) => {
    const { trace, setup } = buildReference(ref, 3);
    const a = runPolicy(trace, setup, plannerPolicy(setup));
    expect(a.total.completed).toBe(trace.tasks.length);
    expect(a.total.interrupted).toBe(0);
    expect(runPolicy(trace, setup, plannerPolicy(setup)).total).toEqual(a.total);
  });
});
