import { serviceSchema, type ServiceConfig } from '../../lib/config';
import type { NodeObservation, Observation, ServiceObservation } from '../../lib/observation';
import { cooldownVerdict, emptyHistory, plan, queueWaited, workersNeeded } from '../../lib/planner';

/** The planner's edges, each figure worked by hand: the soft deadline, idleness, cooldown and the holds of `plan`. */
const cfg = (over: Partial<ServiceConfig> = {}): ServiceConfig =>
  serviceSchema.parse({ cluster: 'c', service: 's', queues: ['q'], maxWorkers: 1000, tasksPerWorkerPerMinute: 2, startupSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, stabilizationSeconds: 0, ...over });
const node = (name: string, over: Partial<NodeObservation> = {}): NodeObservation => ({ node: name, taskId: name, active: 0, reserved: 0, scheduled: 0, processed: 0, ...over });
const obs = (pending: number, desired: number, over: Partial<ServiceObservation> = {}): ServiceObservation => ({
  queues: { q: pending }, nodes: Array.from({ length: desired }, (_, i) => node(`w${i}`)), missingNodes: [], errors: [],
  ecs: { desired, running: desired, pending: 0, deploymentInProgress: false }, ...over,
});

describe('the deadline smoothed over a quarter of a short target', () => {
  test('a 2-minute target past its deadline: the time left is 0.5·e^((x − 0.5)/0.5)', () => {
    // Waited the whole target: 0.5/e minutes left, 10 worker-minutes → ⌈54.4⌉.
    expect(workersNeeded(10, 0, 1, 2, 0, 0, 2)).toBe(55);
  });

  test('queueWaited inverts it: one group waited 2.5 minutes of a 2-minute target reads as 2.5', () => {
    expect(queueWaited([[10, 2.5]], 10, 2)).toBeCloseTo(2.5, 9);
    expect(queueWaited([[10, 1]], 10, 2)).toBeCloseTo(1, 9);
  });

  test('nothing pending has waited nothing, whatever groups the state still holds', () => {
    expect(queueWaited([[5, 1]], 0, 5)).toBe(0);
  });
});

describe('arrivals below 0.01/min are none', () => {
  test('no worker for them, and one from 0.01/min', () => {
    expect(workersNeeded(0, 0.009, 2, 5, 0, 0)).toBe(0);
    expect(workersNeeded(0, 0.01, 2, 5, 0, 0)).toBe(1);
  });
});

describe('cooldown', () => {
  const c = cfg({ scaleUpCooldownSeconds: 60, scaleDownCooldownSeconds: 300 });
  test('allowed says so, and a cooldown ends at its last second', () => {
    expect(cooldownVerdict(c, 'up', {}, 0)).toEqual({ allowed: true, reason: 'no cooldown' });
    expect(cooldownVerdict(c, 'down', { lastScaleDownAt: 0 }, 300_000)).toEqual({ allowed: true, reason: 'no cooldown' });
    expect(cooldownVerdict(c, 'up', { lastScaleUpAt: 0 }, 60_000)).toEqual({ allowed: true, reason: 'no cooldown' });
    expect(cooldownVerdict(c, 'down', { lastScaleUpAt: 0 }, 299_000)).toEqual({ allowed: false, reason: 'scale-down cooldown: 1 s left of 300 s' });
  });
});

describe('plan over services', () => {
  const services = { a: cfg(), b: cfg() };
  const observed = (a?: ServiceObservation, b?: ServiceObservation): Observation => ({ services: { ...(a ? { a } : {}), ...(b ? { b } : {}) } } as unknown as Observation);

  test('a service not measured is held with that reason and keeps no history', () => {
    const r = plan(services, observed(obs(10, 0)), {}, 0);
    expect(r.holds).toEqual([{ service: 'b', reason: 'not measured' }]);
    expect(Object.keys(r.histories)).toEqual(['a']);
    expect(r.changes.map((d) => [d.service, d.from, d.to])).toEqual([['a', 0, 1]]);
  });

  test('a decision that changes nothing is a hold, a change is not', () => {
    const r = plan(services, observed(obs(0, 0), obs(10, 1)), { a: emptyHistory(), b: emptyHistory() }, 0);
    expect(r.holds.map((h) => h.service)).toEqual(['a', 'b']);
    expect(r.changes).toEqual([]);
    expect(r.decisions).toHaveLength(2);
    const set = plan(services, observed(obs(0, 0), obs(10, 1)), {}, 0, { desired: { a: 3, b: 1 } });
    expect(set.changes.map((d) => [d.service, d.to])).toEqual([['a', 3]]);
    expect(set.holds.map((h) => h.service)).toEqual(['b']);
  });
});
