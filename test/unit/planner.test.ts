import fc from 'fast-check';
import type { ServiceConfig } from '../../lib/config';
import type { NodeObservation, ServiceObservation } from '../../lib/observation';
import { completedBetween, cooldownVerdict, emptyHistory, pendingByWait, planService, queueWaited, staleDrainNeed, updateRates, workersNeeded, type ServiceHistory } from '../../lib/planner';
import { BOUND_WAIT_TASKS, emptyRates } from '../../lib/planner/rates';
import { plannerCfg as cfg, serviceObs as obs, workerNode } from '../support/planner';

const node = (name: string, active = 0, reserved = 0, processed: number | null = 0): NodeObservation => workerNode(name, { active, reserved, processed });

const MIN = 60_000;

/** Successive cycles of one service: each plans on the pending count given, with the fleet and history the last one left. */
function cycles(c: ServiceConfig): (pending: number, at: number) => ReturnType<typeof planService>['decision'] {
  let h = emptyHistory();
  let desired = 0;
  return (pending, at) => {
    const r = planService('s', c, obs(pending, desired), h, at);
    h = r.history;
    desired = r.decision.to;
    return r.decision;
  };
}

describe('workersNeeded: the formula', () => {
  // [name, W tasks (the work is W/μ worker-minutes), λ, μ, T, S, N, expected]
  const rows: [string, number, number, number, number, number, number, number][] = [
    ['seed: 1000 tasks in 1 min at 2/min → 500', 1000, 0, 2, 1, 0, 0, 500],
    ['seed: 1000 tasks in 100 min at 2/min → 5', 1000, 0, 2, 100, 0, 0, 5],
    ['nothing to do → 0', 0, 0, 2, 5, 1, 3, 0],
    ['start-up: 4200 tasks, 35/min, 5 min, 2 min start-up, from 0 → 40', 4200, 0, 35, 5, 2, 0, 40],
    ['start-up: existing workers count for the whole target (10 + ⌈2450/105⌉)', 4200, 0, 35, 5, 2, 10, 34],
    ['arrivals are kept up with and the backlog starts within T: max(⌈100/10⌉, ⌊20/2⌋)', 100, 20, 2, 5, 0, 0, 10],
    ['keeps up with λ/μ: the queue serves up to half a worker (4.5 → 4)', 0, 9, 2, 5, 0, 0, 4],
    ['keeps up with λ/μ: more than half a worker short is a worker more (4.6 → 5)', 0, 9.2, 2, 5, 0, 0, 5],
    ['at least 1 while tasks arrive', 0, 0.5, 2, 5, 0, 0, 1],
    ['enough already: the steady need', 10, 0, 2, 5, 1, 8, 1],
    ['a sub-minute target is smoothed within its own length: 24 one-second tasks in 6 s → 4', 24, 0, 60, 0.1, 0, 1, 4],
  ];
  test.each(rows)('%s', (_n, W, l, mu, T, S, N, expected) => {
    expect(workersNeeded(W / mu, l, mu, T, S, N)).toBe(expected);
  });

  // [name, W tasks, λ, μ, T, S, N, waited, usable, expected]
  const waitedRows: [string, number, number, number, number, number, number, number, number, number][] = [
    ['a burst seen a minute late: 800 tasks start within the 4 min left, added workers work 3', 800, 0, 12, 5, 1, 0, 1, Infinity, 23],
    ['nothing waited: the plain rule', 800, 0, 12, 5, 1, 0, 0, Infinity, 17],
    ['just before the deadline: more workers, smoothly', 10, 0, 2, 5, 0, 0, 4.9, Infinity, 13],
    ['just after it: a little more, no leap (the old rule divided by 1e-6)', 10, 0, 2, 5, 0, 0, 5.1, Infinity, 16],
    ['past the target: never more than start every task at once', 10, 0, 2, 5, 0, 0, 6, 5, 5],
    ['start-up longer than the time left: the usable bound, not a division by nothing', 1000, 0, 2, 1, 2, 0, 0, 1000, 1000],
  ];
  test.each(waitedRows)('%s', (_n, W, l, mu, T, S, N, waited, usable, expected) => {
    expect(workersNeeded(W / mu, l, mu, T, S, N, waited, usable)).toBe(expected);
  });
});

describe('queueWaited: the wait of the queue as one number (its tightest group)', () => {
  // [name, groups [count from the head, minutes waited], pending, T, expected]
  const rows: [string, [number, number][], number, number, number][] = [
    ['a flood binds at its oldest task', [[100, 3]], 100, 5, 3],
    ['a queue that grew slowly binds at its newest tasks', [[1, 3], [2, 2], [3, 1]], 3, 5, 1],
    ['nothing pending: 0', [], 0, 5, 0],
  ];
  test.each(rows)('%s', (_n, groups, pending, T, expected) => {
    expect(queueWaited(groups, pending, T)).toBeCloseTo(expected);
  });
});

describe('planService: decisions', () => {
  type Row = { name: string; cfg?: Partial<ServiceConfig>; obs: ServiceObservation; history?: Partial<ServiceHistory>; opts?: { desired?: number; skipCooldown?: boolean }; to: number; reason: RegExp };
  const now = 1_000 * MIN;
  const rows: Row[] = [
    { name: 'scale up from zero on a flood', obs: obs(1000, 0), cfg: { targetMinutes: 100 }, to: 5, reason: /^backlog 1000 \(1000 pending, 0 in flight\).* → 5 workers$/ },
    { name: 'clamped to max', obs: obs(1000, 0), cfg: { targetMinutes: 1, maxWorkers: 40 }, to: 40, reason: /→ 500 workers \(max 40\)$/ },
    { name: 'raised to min', obs: obs(0, 0), cfg: { minWorkers: 2 }, to: 2, reason: /\(min 2\)/ },
    { name: 'in-flight work counts', obs: obs(0, 1, { nodes: [node('w0', 2, 8)] }), cfg: { targetMinutes: 1 }, to: 5, reason: /backlog 10 \(0 pending, 10 in flight = 4.5 worker-min\)/ },
    { name: 'within the scale-up threshold: hold', obs: obs(22, 10), cfg: { targetMinutes: 1, scaleUpThreshold: 1.2 }, to: 10, reason: /within scale-up threshold ×1.2 of 10/ },
    { name: 'scale-up cooldown holds', obs: obs(100, 1), cfg: { targetMinutes: 5, scaleUpCooldownSeconds: 60 }, history: { lastScaleUpAt: now - 20_000 }, to: 1, reason: /scale-up cooldown: 40 s left of 60 s/ },
    { name: 'skipCooldown overrides it', obs: obs(100, 1), cfg: { targetMinutes: 5, scaleUpCooldownSeconds: 60 }, history: { lastScaleUpAt: now - 20_000 }, opts: { skipCooldown: true }, to: 10, reason: /→ 10 workers$/ },
    { name: 'scale down after the window', obs: obs(10, 10), cfg: { targetMinutes: 5, stabilizationSeconds: 300 }, history: { recs: [[now - 301_000, 2], [now - 100_000, 1]] }, to: 2, reason: /highest in 300 s window/ },
    { name: 'scale down waits for the window', obs: obs(10, 10), cfg: { targetMinutes: 5, stabilizationSeconds: 300 }, history: { recs: [[now - 100_000, 1]] }, to: 10, reason: /waits for stabilization \(100 s of 300 s\)/ },
    { name: 'the highest recommendation in the window wins', obs: obs(10, 10), cfg: { targetMinutes: 5, stabilizationSeconds: 300 }, history: { recs: [[now - 400_000, 1], [now - 200_000, 6]] }, to: 6, reason: /highest in 300 s window/ },
    { name: 'above the scale-down threshold: hold', obs: obs(85, 10), cfg: { targetMinutes: 5, scaleDownThreshold: 0.8 }, history: { recs: [[now - 1, 9]] }, to: 10, reason: /9 is above the scale-down threshold ×0.8 of 10/ },
    { name: 'fail safe: a measurement error forbids scale-down', obs: obs(0, 5, { errors: ['ECS c/s: ThrottlingException'] }), cfg: { minWorkers: 1 }, to: 5, reason: /no scale-down: measurement incomplete \(ECS c\/s: ThrottlingException\)/ },
    { name: 'fail safe: a silent worker forbids scale-down', obs: obs(0, 5, { missingNodes: ['w9@x'] }), cfg: { minWorkers: 1 }, to: 5, reason: /no scale-down: 1 worker\(s\) did not answer \(w9@x\)/ },
    { name: 'fail safe still scales up', obs: obs(1000, 1, { errors: ['x'] }), cfg: { targetMinutes: 100 }, to: 5, reason: /→ 5 workers/ },
    { name: 'no scale-down during a deployment', obs: obs(0, 5), cfg: { minWorkers: 1 }, to: 5, reason: /no scale-down: an ECS deployment is in progress/ },
    { name: 'idle but not long enough: keep 1', obs: obs(0, 3), cfg: { idleMinutes: 10 }, history: { idleSince: now - 5 * MIN }, to: 1, reason: /idle for 5 of 10 min → keep 1/ },
    { name: 'idle long enough: to zero', obs: obs(0, 1), cfg: { idleMinutes: 10 }, history: { idleSince: now - 11 * MIN }, to: 0, reason: /idle for 11 min → 0/ },
    { name: 'set by hand', obs: obs(0, 2), opts: { desired: 7 }, to: 7, reason: /^set by hand to 7/ },
    { name: 'set by hand, still within bounds', obs: obs(0, 2), cfg: { maxWorkers: 4 }, opts: { desired: 7 }, to: 4, reason: /^set by hand to 4/ },
    { name: 'a lowered maxWorkers scales down without waiting', obs: obs(0, 12, {}), cfg: { maxWorkers: 8, minWorkers: 8, stabilizationSeconds: 300 }, to: 8, reason: /^above maxWorkers 8/ },
    { name: 'no scale-down while messages wait and every worker is busy', obs: obs(50, 10, { nodes: Array.from({ length: 10 }, (_, i) => node(`w${i}`, 1)) }), cfg: { targetMinutes: 5 }, history: { recs: [[now - 1, 1]] }, to: 10, reason: /no scale-down while 50 wait and every worker is busy/ },
    { name: 'a scale-down removes only workers that would drain within a minute', obs: obs(0, 10, { nodes: [...Array.from({ length: 6 }, (_, i) => node(`b${i}`, 1)), ...Array.from({ length: 4 }, (_, i) => node(`i${i}`))] }), cfg: { tasksPerWorkerPerMinute: 0.1, targetMinutes: 15 }, history: { recs: [[now - 1, 0]] }, to: 6, reason: /4 worker\(s\) would drain within 1 min → 6$/ },
    { name: 'every worker holds a long task: none is drained for it', obs: obs(0, 10, { nodes: Array.from({ length: 10 }, (_, i) => node(`b${i}`, 1)) }), cfg: { tasksPerWorkerPerMinute: 0.1, targetMinutes: 15 }, history: { recs: [[now - 1, 0]] }, to: 10, reason: /no worker would drain within 1 min \(all hold long tasks\)/ },
    {
      name: 'a backlog seen late is sized to its oldest task\'s deadline',
      obs: obs(800, 0, { nodes: [] }), cfg: { tasksPerWorkerPerMinute: 12, targetMinutes: 5, startupSeconds: 60 },
      history: { rates: { at: now - MIN, work: 800, pending: 800, processed: {}, muSamples: 0, waiting: [[800, now - 2 * MIN]] } },
      to: 34, reason: /oldest waiting 2 min.* → 34 workers$/,
    },
  ];
  test.each(rows)('$name', (row) => {
    const o = row.name.includes('deployment') ? { ...row.obs, ecs: { ...row.obs.ecs!, deploymentInProgress: true } } : row.obs;
    const h: ServiceHistory = { ...emptyHistory(), ...row.history };
    const { decision } = planService('svc', cfg(row.cfg), o, h, now, row.opts);
    expect(decision.reason).toMatch(row.reason);
    expect(decision.to).toBe(row.to);
    expect(decision.direction).toBe(row.to > o.ecs!.desired ? 'up' : row.to < o.ecs!.desired ? 'down' : 'none');
  });

  // The three defects the issue found on workloads the planner was not tuned on.
  const defects: Row[] = [
    {
      name: 'a queue past its target asks for the workers that start it at once, not maxWorkers (it asked for 167,225)',
      obs: obs(30, 1, { nodes: [{ ...node('w0', 2, 0, 500), concurrency: 2 }] }), cfg: { tasksPerWorkerPerMinute: 60, targetMinutes: 5, maxWorkers: 50 },
      history: { rates: { at: now - MIN, work: 32, pending: 30, processed: { w0: 500 }, muSamples: 0, waiting: [[30, now - 12 * MIN]], concurrency: 2 } },
      to: 16, reason: /capped at 16 \(all 32 started at once over 2 slots\)/,
    },
    {
      name: 'mixed durations: 20 one-minute tasks behind a μ learnt from 2 s ones are 10 worker-minutes, not 20 tasks at 60/min',
      obs: obs(0, 1, { queues: { fast: 0, slow: 20 }, nodes: [{ ...node('w0', 0, 0, 500), concurrency: 2 }] }), cfg: { queues: ['fast', 'slow'], tasksPerWorkerPerMinute: 60, targetMinutes: 5 },
      history: { rates: { muSamples: 0, concurrency: 2, durations: { fast: [2 * 1000, 1000, 'fast'], slow: [60 * 30, 30, 'slow'] } } },
      to: 2, reason: /backlog 20 \(20 pending, 0 in flight = 10 worker-min\)/,
    },
  ];
  test.each(defects)('$name', (row) => {
    const { decision } = planService('svc', cfg(row.cfg), row.obs, { ...emptyHistory(), ...row.history }, now, row.opts);
    expect(decision.reason).toMatch(row.reason);
    expect(decision.to).toBe(row.to);
  });

  test('queues in one service drain in turn, not as one FIFO: the queue whose tasks waited longest binds', () => {
    const c = cfg({ queues: ['a', 'b'], tasksPerWorkerPerMinute: 40, targetMinutes: 5 });
    const o = obs(0, 20, { queues: { a: 1000, b: 300 } });
    o.nodes = o.nodes.map((n) => ({ ...n, activeByTask: {}, totals: {} }));
    const tasksByNode = Object.fromEntries(o.nodes.map((n) => [n.node, [{}, {}] as [Record<string, number>, Record<string, number>]]));
    const rates = { muSamples: 0, at: now - MIN, work: 1300, pending: 1300, processed: {}, waiting: [[1300, now - MIN]] as [number, number][], tasksByNode };
    const fifo = planService('svc', c, o, { ...emptyHistory(), rates }, now).decision;
    const inTurn = planService('svc', c, o, { ...emptyHistory(), rates: { ...rates, queuePending: { a: 1000, b: 300 }, queueWaiting: { a: [[1000, now - MIN]], b: [[300, now - 4.5 * MIN]] } } }, now).decision;
    expect(inTurn.to).toBeGreaterThan(fifo.to);
  });

  test('periodic batches: the last worker goes idleMinutes after the batch, not idleMinutes + the window (it stayed ~5 min)', () => {
    const c = cfg({ stabilizationSeconds: 120, idleMinutes: 2, targetMinutes: 5, tasksPerWorkerPerMinute: 100 });
    const step = cycles(c);
    for (let i = 0; i <= 3; i += 1) step(0, i * MIN);
    expect(step(800, 4 * MIN).to).toBeGreaterThan(1);
    const after: number[] = [];
    for (let i = 5; i <= 9; i += 1) after.push(step(0, i * MIN).to);
    // Worked off at minute 5: one worker for the idle minutes, none from minute 7 on.
    expect(after).toEqual([1, 1, 0, 0, 0]);
  });

  test('a worked-off backlog does not keep its fleet for the stabilization window', () => {
    const c = cfg({ stabilizationSeconds: 300, targetMinutes: 5 });
    const step = cycles(c);
    for (let i = 0; i <= 5; i += 1) step(0, i * MIN);
    // Seen a minute after the previous sample: 4 of the 5 min are left → ⌈1000 / (2·4)⌉.
    expect(step(1000, 6 * MIN).to).toBe(125);
    // Worked off a minute later: the next cycle keeps only the idle worker.
    const d = step(0, 7 * MIN);
    expect(d.to).toBe(1);
    expect(d.reason).toMatch(/keep 1/);
  });

  test('history stays bounded to the stabilization window', () => {
    let h = emptyHistory();
    const c = cfg({ stabilizationSeconds: 300 });
    for (let i = 0; i < 200; i += 1) h = planService('s', c, obs(5, 1), h, i * MIN).history;
    expect(h.recs.length).toBeLessThanOrEqual(7);
    expect(JSON.stringify(h).length).toBeLessThan(2000);
  });
});

describe('rates', () => {
  test('completed counts counter growth node by node, and a restart from zero', () => {
    expect(completedBetween({ a: 10, b: 5 }, { a: 15, b: 2, c: 100 })).toBe(5 + 2);
  });

  test('λ and μ from deltas of pending and processed', () => {
    const o = (pending: number, p0: number, p1: number): ServiceObservation => ({ ...obs(pending, 2), nodes: [node('a', 1, 0, p0), node('b', 1, 0, p1)] });
    // Workers that have been running a while (a just-started one's first interval is not used for μ).
    let r = updateRates(emptyRates(), o(100, 100, 100), 0);
    // One minute later: 40 completed (20 each), pending 100 → 120 means 60 arrived.
    r = updateRates(r, o(120, 120, 120), MIN);
    expect(r.lastArrivalRate).toBeCloseTo(60);
    expect(r.mu).toBeCloseTo(20);
    expect(r.muSamples).toBe(1);
    // λ is the (lower) median of at least three intervals: steady 60/min shows as 60/min.
    r = updateRates(r, o(140, 140, 140), 2 * MIN);
    r = updateRates(r, o(160, 160, 160), 3 * MIN);
    expect(r.lambda).toBeCloseTo(60);
  });

  test('a flood that straddles two of four intervals is not an arrival rate', () => {
    const o = (pending: number): ServiceObservation => ({ ...obs(pending, 0), nodes: [] });
    let r = updateRates(emptyRates(), o(0), 0);
    for (const [i, p] of [[1, 0], [2, 0], [3, 2500], [4, 5000]]) r = updateRates(r, o(p), i * MIN);
    expect(r.lastArrivalRate).toBe(2500);
    expect(r.lambda).toBe(0);
  });

  test('μ is learnt only while messages waited at both samples', () => {
    const o = (pending: number, p: number): ServiceObservation => ({ ...obs(pending, 1), nodes: [node('a', 2, 2, p)] });
    let r = updateRates(emptyRates(), o(0, 100), 0);
    r = updateRates(r, o(30, 110), MIN);
    expect(r.mu).toBeUndefined();
    r = updateRates(r, o(30, 150), 2 * MIN);
    expect(r.mu).toBeCloseTo(40);
  });

  test('a just-started worker\'s first interval does not count for μ', () => {
    const o = (p: number): ServiceObservation => ({ ...obs(50, 1), nodes: [node('a', 2, 2, p)] });
    let r = updateRates(emptyRates(), o(0), 0);
    r = updateRates(r, o(70), MIN);
    expect(r.mu).toBeUndefined();
    r = updateRates(r, o(150), 2 * MIN);
    expect(r.mu).toBeCloseTo(80);
  });

  test('long tasks: μ is completions per busy worker-minute over batches, minutes with none included', () => {
    // 4 workers, always busy, each finishing one task every 5 minutes (staggered): μ = 0.2/min.
    const o = (minute: number): ServiceObservation => ({
      ...obs(10, 4),
      nodes: Array.from({ length: 4 }, (_, w) => node(`w${w}`, 1, 0, 1 + Math.floor((minute + w) / 5))),
    });
    let r = updateRates(emptyRates(), o(0), 0);
    for (let m = 1; m <= 60; m += 1) r = updateRates(r, o(m), m * MIN);
    expect(r.muSamples).toBeGreaterThanOrEqual(2);
    expect(r.mu).toBeCloseTo(0.2, 1);
  });

  test('pending messages by wait: the newest min(arrivals, pending) are new, the rest the youngest of the older ones', () => {
    const o = (pending: number, p: number): ServiceObservation => ({ ...obs(pending, 1), nodes: [node('a', 0, 0, p)] });
    let r = updateRates(emptyRates(), o(0, 0), 0);
    r = updateRates(r, o(100, 0), MIN);
    expect(pendingByWait(r, 100, MIN)).toEqual([[100, 1]]);
    // 50 done, 20 arrived: 70 pending = the 50 youngest of the first 100, then the 20 new ones.
    r = updateRates(r, o(70, 50), 2 * MIN);
    expect(pendingByWait(r, 70, 2 * MIN)).toEqual([[50, 2], [70, 1]]);
    // Emptied: nothing waits.
    r = updateRates(r, o(0, 120), 3 * MIN);
    expect(pendingByWait(r, 0, 3 * MIN)).toEqual([]);
  });

  test('a one-off flood is backlog, not an arrival rate', () => {
    const o = (pending: number): ServiceObservation => ({ ...obs(pending, 1), nodes: [node('a', 0, 0, 0)] });
    let r = updateRates(emptyRates(), o(0), 0);
    r = updateRates(r, o(0), MIN);
    r = updateRates(r, o(4000), 2 * MIN);
    r = updateRates(r, o(4000), 3 * MIN);
    expect(r.lastArrivalRate).toBe(0);
    expect(r.lambda).toBe(0);
  });

  test('μ is not learnt from idle workers', () => {
    const o = (pending: number, p: number): ServiceObservation => ({ ...obs(pending, 1), nodes: [node('a', 0, 0, p)] });
    let r = updateRates(emptyRates(), o(0, 0), 0);
    r = updateRates(r, o(0, 1), MIN);
    expect(r.mu).toBeUndefined();
  });

  test('a gap restarts the baseline instead of averaging over it', () => {
    const o = (pending: number, p: number): ServiceObservation => ({ ...obs(pending, 1), nodes: [node('a', 1, 0, p)] });
    let r = updateRates(emptyRates(), o(50, 0), 0);
    r = updateRates(r, o(50, 1000), 60 * MIN);
    expect(r.lambda).toBeUndefined();
  });

  test('how long a bound message may wait: only once a worker holds reserved tasks with every slot busy, the longest task seen, forgotten by tasks ended and not by minutes', () => {
    const at = (active: number, reserved: number, longestActiveSeconds: number, processed = 10): ServiceObservation => ({ ...obs(0, 1), nodes: [{ ...node('a', active, reserved, processed), concurrency: 1, longestActiveSeconds }] });
    // Acknowledging late (nothing reserved behind a busy slot): nothing is bound early, nothing kept.
    let r = updateRates(emptyRates(), at(1, 0, 900), 0);
    expect(r.boundWaitMin).toBeUndefined();
    // A reserved task behind the only busy slot: the longest task running is what it may wait.
    r = updateRates(r, at(1, 1, 600), MIN);
    expect(r.boundWaitMin).toBeCloseTo(10);
    // From then on the longest seen is kept, whatever is reserved.
    r = updateRates(r, at(1, 0, 840), 2 * MIN);
    expect(r.boundWaitMin).toBeCloseTo(14);
    // The task that ran ends (one task: e^(−1/100)); then an hour with nothing running forgets nothing.
    r = updateRates(r, at(0, 0, 0), 3 * MIN);
    const kept = 14 * Math.exp(-1 / BOUND_WAIT_TASKS);
    expect(r.boundWaitMin).toBeCloseTo(kept, 5);
    r = updateRates(r, at(0, 0, 0), 62 * MIN);
    expect(r.boundWaitMin).toBeCloseTo(kept, 5);
    // An hour of one long task running, none ending, forgets nothing either (by minutes it would
    // have lost seven eighths): the task that runs is the one a bound message may wait behind.
    for (let m = 63; m <= 122; m += 1) r = updateRates(r, at(1, 0, 5, 11), m * MIN);
    expect(r.boundWaitMin).toBeCloseTo(kept, 5);
    // 100 short tasks ending forget by e^(−1).
    let done = 11;
    for (let m = 123; m <= 142; m += 1) r = updateRates(r, at(1, 0, 5, (done += 5)), m * MIN);
    expect(r.boundWaitMin).toBeCloseTo(kept * Math.exp(-100 / BOUND_WAIT_TASKS), 5);
    expect(BOUND_WAIT_TASKS).toBe(100);
  });

  test('measured μ replaces the configured one after three samples', () => {
    const c = cfg({ tasksPerWorkerPerMinute: 2, targetMinutes: 10 });
    let h = emptyHistory();
    for (let i = 0; i <= 4; i += 1) {
      const o: ServiceObservation = { ...obs(1000, 2), nodes: [node('a', 1, 0, i * 10), node('b', 1, 0, i * 10)] };
      h = planService('s', c, o, h, i * MIN).history;
    }
    const { decision } = planService('s', c, { ...obs(1000, 2), nodes: [node('a', 1, 0, 50), node('b', 1, 0, 50)] }, h, 5 * MIN);
    expect(decision.mu).toBeCloseTo(10);
    expect(decision.reason).toMatch(/10\/min\/worker measured/);
  });
});

describe('cooldownVerdict', () => {
  const c = cfg({ scaleUpCooldownSeconds: 60, scaleDownCooldownSeconds: 300 });
  const rows: [string, 'up' | 'down', Partial<ServiceHistory>, boolean][] = [
    ['never scaled: up allowed', 'up', {}, true],
    ['up 30 s ago: up held', 'up', { lastScaleUpAt: -30_000 }, false],
    ['down 10 s ago: up allowed', 'up', { lastScaleDownAt: -10_000 }, true],
    ['up 100 s ago: down held', 'down', { lastScaleUpAt: -100_000 }, false],
    ['down 301 s ago: down allowed', 'down', { lastScaleDownAt: -301_000 }, true],
  ];
  test.each(rows)('%s', (_n, dir, h, allowed) => {
    expect(cooldownVerdict(c, dir, h, 0).allowed).toBe(allowed);
  });
});

describe('staleDrainNeed: a drain gives up when new work needs its workers', () => {
  // [name, pending, μ, T, to, expected]
  const rows: [string, number, number, number, number, number | null][] = [
    ['queue still empty: drain on', 0, 60, 1, 1, null],
    ['what the remaining workers finish in time: drain on', 60, 60, 1, 1, null],
    ['one task more than they finish: give up, 2 needed', 61, 60, 1, 1, 2],
    ['a flood: give up', 150, 60, 1, 1, 3],
    ['scale to zero, then any task arrives: give up', 1, 2, 5, 0, 1],
  ];
  test.each(rows)('%s', (_n, pending, mu, T, to, expected) => {
    expect(staleDrainNeed(pending, mu, T, to)).toBe(expected);
  });
});

describe('planService: properties over random observations', () => {
  const now = 1_000 * MIN;
  const arbitrary = fc.record({
    pending: fc.array(fc.nat(5000), { minLength: 1, maxLength: 3 }),
    nodes: fc.array(fc.record({ active: fc.nat(8), reserved: fc.nat(8), concurrency: fc.integer({ min: 1, max: 8 }) }), { maxLength: 30 }),
    desired: fc.nat(60),
    mu: fc.double({ min: 0.05, max: 200, noNaN: true }),
    lambda: fc.double({ min: 0, max: 2000, noNaN: true }),
    waited: fc.double({ min: 0, max: 30, noNaN: true }),
    target: fc.integer({ min: 1, max: 60 }),
    startup: fc.integer({ min: 0, max: 300 }),
    max: fc.integer({ min: 1, max: 200 }),
  });

  test('never more than starts every waiting and held task at once plus what arrivals need; never below what arrivals need', () => {
    fc.assert(fc.property(arbitrary, (x) => {
      const queues = Object.fromEntries(x.pending.map((n, i) => [`q${i}`, n]));
      const nodes = x.nodes.map((n, i) => ({ ...node(`w${i}`, Math.min(n.active, n.concurrency), n.reserved, 100), concurrency: n.concurrency }));
      const pending = x.pending.reduce((a, b) => a + b, 0);
      const work = pending + nodes.reduce((a, n) => a + n.active + n.reserved, 0);
      const c = cfg({ queues: Object.keys(queues), tasksPerWorkerPerMinute: x.mu, targetMinutes: x.target, startupSeconds: x.startup, maxWorkers: x.max, minWorkers: 0 });
      const rates = { muSamples: 0, at: now - MIN, work, pending, processed: {}, lambda: x.lambda, waiting: pending > 0 ? [[pending, now - x.waited * MIN]] as [number, number][] : [], arrivalRates: [x.lambda, x.lambda, x.lambda] };
      const o: ServiceObservation = { queues, nodes, missingNodes: [], errors: [], ecs: { desired: x.desired, running: x.desired, pending: 0, deploymentInProgress: false } };
      const { decision } = planService('s', c, o, { ...emptyHistory(), rates }, now);
      const slots = nodes.reduce((a, n) => Math.max(a, n.concurrency), 0) || 1;
      const arriving = decision.lambda / decision.mu;
      const usable = Math.ceil(work / slots) + Math.ceil(arriving);
      const forArrivals = decision.lambda >= 0.01 ? Math.max(1, Math.ceil(arriving - 0.5 - 1e-9)) : 0;
      // One worker is kept while a fleet has been idle for less than idleMinutes.
      expect(decision.needed).toBeLessThanOrEqual(Math.min(x.max, Math.max(usable, forArrivals, work > 0 || x.desired > 0 ? 1 : 0)));
      expect(decision.needed).toBeGreaterThanOrEqual(Math.min(x.max, forArrivals));
    }), { numRuns: 500, seed: 9 });
  });
});
