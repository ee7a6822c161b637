import type { NodeObservation, Observation, ServiceObservation } from '../../lib/observation';
import { cooldownVerdict, emptyHistory, plan, planService, queueWaited, workersNeeded } from '../../lib/planner';
import { plannerCfg as cfg, serviceObs as obs, workerNode as node } from '../support/planner';

const MIN = 60_000;

/** The planner's edges, each figure worked by hand: the soft deadline, idleness, cooldown and the holds of `plan`. */

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

describe('planService: what holds a change, at its boundary', () => {
  const idleNodes = (n: number): NodeObservation[] => Array.from({ length: n }, (_, i) => node(`w${i}`));

  test('within the scale-up threshold at minWorkers the fleet holds; below minWorkers it goes up anyway', () => {
    // 60 pending at 2/min over 5 min, 4 workers there: 6 needed, and 6 ≤ 4 × 1.5.
    const held = planService('s', cfg({ scaleUpThreshold: 1.5, minWorkers: 4 }), obs(60, 4), emptyHistory(), 0).decision;
    expect([held.direction, held.to, held.needed]).toEqual(['none', 4, 6]);
    expect(held.reason).toMatch(/within scale-up threshold ×1.5 of 4$/);
    const below = planService('s', cfg({ scaleUpThreshold: 1.5, minWorkers: 5 }), obs(40, 4), emptyHistory(), 0).decision;
    expect([below.direction, below.to]).toEqual(['up', 5]);
  });

  test('a scale-up cooldown holds at minWorkers, not below it', () => {
    const c = (minWorkers: number) => cfg({ scaleUpCooldownSeconds: 300, minWorkers });
    const history = { ...emptyHistory(), lastScaleUpAt: -10_000 };
    const below = planService('s', c(3), obs(60, 2), history, 0).decision;
    expect([below.direction, below.to]).toEqual(['up', 6]);
    const at = planService('s', c(2), obs(60, 2), history, 0).decision;
    expect([at.direction, at.to]).toEqual(['none', 2]);
    expect(at.reason).toMatch(/scale-up cooldown: 290 s left of 300 s$/);
  });

  test('workers that did not answer hold a scale-down, the first three named', () => {
    const d = planService('s', cfg(), obs(0, 5, { missingNodes: ['a', 'b', 'c', 'd'] }), emptyHistory(), 0).decision;
    expect(d.reason).toBe('no scale-down: 4 worker(s) did not answer (a, b, c)');
  });

  test('messages waiting while every worker holds a task (running or reserved) hold a scale-down, up to maxWorkers', () => {
    const busy = (n: number) => Array.from({ length: n }, (_, i) => node(`w${i}`, { active: 1, reserved: 1 }));
    const held = planService('s', cfg({ maxWorkers: 3 }), obs(1, 3, { nodes: busy(3) }), emptyHistory(), 0).decision;
    expect([held.direction, held.to]).toEqual(['none', 3]);
    expect(held.reason).toMatch(/no scale-down while 1 wait and every worker is busy$/);
    // One worker idle: not busy, down to what is needed.
    const one = planService('s', cfg(), obs(1, 3, { nodes: [...busy(2).map((n) => ({ ...n, reserved: 0 })), node('w2')] }), emptyHistory(), 0).decision;
    expect([one.direction, one.to]).toEqual(['down', 1]);
    // Above maxWorkers: down to it, busy or not.
    const above = planService('s', cfg({ maxWorkers: 3 }), obs(1, 5, { nodes: busy(5) }), emptyHistory(), 0).decision;
    expect([above.direction, above.to]).toEqual(['down', 3]);
    // No worker answered (and none missing): nothing is known to be quick to drain.
    const none = planService('s', cfg(), obs(1, 3, { nodes: [] }), emptyHistory(), 0).decision;
    expect(none.reason).toMatch(/no worker would drain within 1 min \(all hold long tasks\)$/);
  });

  test('after a scale-up, no scale-down for the start-up plus a minute or the window, if shorter', () => {
    const c = cfg({ startupSeconds: 60, stabilizationSeconds: 30 });
    const history = { ...emptyHistory(), lastScaleUpAt: 0 };
    const settling = planService('s', c, obs(0, 3), history, MIN).decision;
    expect(settling.reason).toMatch(/the last scale-up's workers start and work first \(30 s left\)$/);
    const settled = planService('s', c, obs(0, 3), history, 1.5 * MIN).decision;
    expect(settled.reason).toMatch(/scale-down waits for stabilization \(0 s of 30 s\)$/);
    const seen = planService('s', c, obs(0, 3), { ...history, recs: [[1.5 * MIN - 20_000, 1]] }, 1.5 * MIN).decision;
    expect(seen.reason).toMatch(/scale-down waits for stabilization \(20 s of 30 s\)$/);
  });

  test('the window holds its highest recommendation, the one at its start and the last before it included', () => {
    const c = cfg({ stabilizationSeconds: 300 });
    const now = 1000_000;
    const at = (recs: [number, number][]) => planService('s', c, obs(0, 10), { ...emptyHistory(), recs }, now).decision;
    // 9 was recommended exactly at the window's start: down to 9 only (9 is not above 0.9 × 10).
    const nine = at([[now - 400_000, 1], [now - 300_000, 9]]);
    expect([nine.direction, nine.to]).toEqual(['down', 9]);
    expect(nine.reason).toMatch(/workers \(highest in 300 s window\)$/);
    // The last one before the window counts: 12 holds 10.
    const twelve = at([[now - 400_000, 12], [now - 300_000, 9]]);
    expect(twelve.reason).toMatch(/highest in the 300 s window is 12$/);
    const ten = at([[now - 400_000, 1], [now - 100_000, 10]]);
    expect(ten.reason).toMatch(/highest in the 300 s window is 10$/);
    const threshold = at([[now - 400_000, 1], [now - 100_000, 9.5]]);
    expect(threshold.reason).toMatch(/9.5 is above the scale-down threshold ×0.9 of 10$/);
  });

  test('only workers that would drain within a minute are removed', () => {
    // At 2 tasks/min, a worker holding 2 drains within a minute; one holding 2 and a reserved or scheduled one does not.
    const nodes = [node('a', { active: 2 }), node('b', { active: 2, scheduled: 1 }), node('c', { active: 2, reserved: 1 }), node('d')];
    const d = planService('s', cfg(), obs(0, 4, { nodes }), emptyHistory(), 0).decision;
    expect([d.direction, d.to]).toEqual(['down', 2]);
    expect(d.reason).toMatch(/; 2 worker\(s\) would drain within 1 min → 2$/);
  });
});

describe('planService: what the reason says', () => {
  test('how long the oldest waited, from 3 s on', () => {
    const first = planService('s', cfg(), obs(10, 0), emptyHistory(), 0);
    const later = planService('s', cfg(), obs(10, 0), first.history, 3_000).decision;
    expect(later.reason).toContain(', oldest waiting 0.1 min');
  });

  test('the work in worker-minutes when it is not the task count over μ: active named tasks at half their name\'s duration', () => {
    // x takes 3 worker-minutes (1,800 slot-seconds over 10 completions); y is not learned (1/μ = 0.5).
    const history = { ...emptyHistory(), rates: { muSamples: 0, durations: { x: [1800, 10, 'q'] as [number, number, string] } } };
    const nodes = [node('a', { active: 3, activeByTask: { x: 2, y: 1 } })];
    const d = planService('s', cfg(), obs(0, 1, { nodes }), history, 0).decision;
    // 2 × 3 / 2 + 1 × 0.5 / 2 = 3.25 worker-minutes.
    expect(d.reason).toContain(' = 3.3 worker-min');
    // Near the count over μ (within 5%), the count alone.
    const close = planService('s', cfg(), obs(95, 1, { nodes: [node('a', { active: 5 })] }), emptyHistory(), 0).decision;
    expect(close.reason).not.toContain('worker-min');
  });

  test('capped at starting every task at once, over the slots there are; no cap said with no work', () => {
    const c = cfg({ maxWorkers: 1000 });
    const first = planService('s', c, obs(10, 0), emptyHistory(), 0);
    const late = planService('s', c, obs(10, 0), first.history, 6 * MIN).decision;
    expect(late.to).toBe(10);
    expect(late.reason).toContain(', capped at 10 (all 10 started at once over 1 slot)');
    const four = (t: number) => obs(10, 0, { nodes: [node('a', { concurrency: 4, processed: null })], ecs: { desired: 0, running: 0, pending: 0, deploymentInProgress: false } });
    const f1 = planService('s', c, four(0), emptyHistory(), 0);
    const f2 = planService('s', c, four(6), f1.history, 6 * MIN).decision;
    expect(f2.reason).toContain(', capped at 3 (all 10 started at once over 4 slots)');
    expect(planService('s', c, obs(0, 0), emptyHistory(), 0).decision.reason).not.toContain('capped');
  });

  test('work waiting gets at least one worker, whatever the sizing says', () => {
    const d = planService('s', cfg(), obs(5, 0), emptyHistory(), 0, { horizon: () => 0 }).decision;
    expect(d.to).toBe(1);
  });

  test('the window remembers what the arrivals alone need: ⌈λ/μ − 0.2⌉', () => {
    let h = emptyHistory();
    for (let m = 0; m <= 4; m += 1) h = planService('s', cfg({ stabilizationSeconds: 600 }), obs(10 * m, 0), h, m * MIN).history;
    expect(h.rates.lambda).toBe(10);
    expect(h.recs.at(-1)).toEqual([4 * MIN, 5]);
  });

  test('a service whose tasks arrived and finished between two samples is not idle', () => {
    const first = planService('s', cfg(), obs(0, 1, { nodes: [node('a', { processed: 10 })] }), emptyHistory(), 0);
    const next = planService('s', cfg(), obs(0, 1, { nodes: [node('a', { processed: 15 })] }), first.history, MIN);
    expect(next.history.idleSince).toBeNull();
    const quiet = planService('s', cfg(), obs(0, 1, { nodes: [node('a', { processed: 15 })] }), next.history, 2 * MIN);
    expect(quiet.history.idleSince).toBe(2 * MIN);
  });
});

describe('planService: the queue that binds', () => {
  test('the queue whose tasks waited longest sets the wait, its rivals\' turns counted only up to its own count', () => {
    // r's 50 waited 4 of 5 minutes; q's 100 came 1 minute ago. Clearing r runs r's 50 and 50 turns of q: 50
    // worker-minutes at 2/min, within the 1 minute r has left: 50 workers. (As one FIFO of 150 the wait is 2
    // minutes and the work 75 worker-minutes: 25; q binding, 75 within its 4 minutes: 19.)
    const n = (): NodeObservation[] => [node('a', { activeByTask: {}, totals: {} })];
    const s = (queues: Record<string, number>) => obs(0, 1, { queues, nodes: n() });
    const c = cfg({ queues: ['r', 'q'] });
    let h = planService('s', c, s({ r: 50, q: 0 }), emptyHistory(), 0).history;
    h = planService('s', c, s({ r: 50, q: 0 }), h, 3 * MIN).history;
    const d = planService('s', c, s({ r: 50, q: 100 }), h, 4 * MIN).decision;
    expect(d.to).toBe(50);
  });
});

describe('more of the formula and the reason, at their boundaries', () => {
  test('past the deadline a fleet already larger than the steady need keeps none it does not need', () => {
    // 0.1 minutes left (smoothed), 0.8 worker-minutes waiting, 10 workers: 8 needed, not 10.
    const waited = 5 - (1 + Math.log(0.1));
    expect(workersNeeded(0.8, 0, 1, 5, 0, 10, waited)).toBe(8);
  });

  test('the work in worker-minutes is said from 5% off the count over μ, not at 5%', () => {
    // 18 pending and 2 active at 2/min: 9 + 0.5 worker-minutes, ×2 = 19 against 20 in the system: exactly 5% off.
    const d = planService('s', cfg(), obs(18, 1, { nodes: [node('a', { active: 2 })] }), emptyHistory(), 0).decision;
    expect(d.reason).not.toContain('worker-min');
  });

  test('a whole reason, as the console shows it', () => {
    const d = planService('s', cfg(), obs(10, 0), emptyHistory(), 0).decision;
    expect(d.reason).toBe('backlog 10 (10 pending, 0 in flight), arrivals 0/min, 2/min/worker, 5 min target, 0 min start-up → 1 workers');
  });

  test('a history kept before recommendations were remembered plans as an empty one does', () => {
    const { recs: _, ...old } = emptyHistory();
    const withOld = planService('s', cfg({ stabilizationSeconds: 120 }), obs(0, 3), old as ReturnType<typeof emptyHistory>, 0);
    const withNew = planService('s', cfg({ stabilizationSeconds: 120 }), obs(0, 3), emptyHistory(), 0);
    expect(withOld.decision).toEqual(withNew.decision);
    expect(withOld.history.recs).toEqual(withNew.history.recs);
  });
});

describe('one queue waiting among several', () => {
  test('its wait is the service\'s, not the per-queue groups\' (a name of no known queue leaves them older than they are)', () => {
    // 50 wait in q throughout; between the last two samples 50 started (of a name no queue is known for) and 50 came.
    // The service's FIFO dates the 50 new ones at the middle sample (1 minute ago): 25 worker-minutes within 4 → 7.
    const c = cfg({ queues: ['q', 'r'] });
    const s = (started: number) => obs(0, 1, { queues: { q: 50, r: 0 }, nodes: [node('a', { activeByTask: {}, totals: { other: started }, processed: started })] });
    let h = planService('s', c, s(0), emptyHistory(), 0).history;
    h = planService('s', c, s(0), h, 2 * MIN).history;
    const d = planService('s', c, s(50), h, 3 * MIN).decision;
    expect(d.to).toBe(7);
  });
});

describe('a history kept before rates were', () => {
  test('plans as an empty one, with the horizon model too', () => {
    const { rates: _, ...old } = emptyHistory();
    const d = planService('s', cfg(), obs(10, 0), old as ReturnType<typeof emptyHistory>, 0, { horizon: () => 3 }).decision;
    expect(d.to).toBe(3);
  });
});
