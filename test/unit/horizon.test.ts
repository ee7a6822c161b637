import { horizonNeed, planHorizon, spareSlots, spareWorkers, type HorizonInput } from '../../lib/planner/horizon';
import { loadSolver } from '../../lib/planner/lp';
import { boundWait, horizonInput, slotWait } from '../../lib/planner';
import { emptyRates, type Duration, type RateState } from '../../lib/planner/rates';
import { serviceSchema } from '../../lib/config';
import type { ServiceObservation } from '../../lib/observation';

beforeAll(loadSolver);

const base: HorizonInput = {
  stepMin: 1, startupMin: 0, paid: 0, minWorkers: 0, maxWorkers: 1000, slots: 1,
  waiting: [], running: [], arrivals: { perMin: 0, taskMin: 0.5, targetMin: 5 },
};

/** A small deterministic generator for the property tests. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function randomInput(r: () => number): HorizonInput {
  const T = 1 + Math.floor(r() * 30);
  const slots = 1 + Math.floor(r() * 4);
  const waiting = Array.from({ length: Math.floor(r() * 4) }, (_, i) => ({
    queue: r() < 0.5 ? 'a' : 'b', count: 1 + Math.floor(r() * 500), dueMin: T * r() - (i === 0 && r() < 0.2 ? 2 : 0), taskMin: 0.02 + r() * (r() < 0.2 ? 20 : 1),
  }));
  return {
    stepMin: 0.25 + r(), startupMin: r() * 5, paid: Math.floor(r() * 20), minWorkers: r() < 0.3 ? 1 : 0, maxWorkers: 5 + Math.floor(r() * 200), slots,
    waiting, running: r() < 0.5 ? [{ count: 1 + Math.floor(r() * 10), leftMin: r() * 5 }] : [],
    arrivals: { perMin: r() < 0.4 ? 0 : r() * 100, taskMin: 0.02 + r() * 2, targetMin: T },
  };
}

/**
 * A random service whose workers may bind messages while busy (a bound task's wait up to 30 min).
 * Its arrivals are a tenth of randomInput's, so their busy slots are near the workers paid and the
 * spare is sometimes kept (16 of the 40 services below) rather than always above what is paid.
 */
function randomBinding(r: () => number): HorizonInput {
  const h = randomInput(r);
  if (r() >= 0.5) return h;
  const slotWaitMin = r() * 30;
  return { ...h, arrivals: { ...h.arrivals, perMin: h.arrivals.perMin / 10, slotWaitMin, longestMin: slotWaitMin * (1 + 3 * r()), rateSpread: r() < 0.2 ? undefined : 1 / Math.sqrt(1 + 50 * r()) } };
}

describe('the horizon model (lib/planner/horizon.ts)', () => {
  test.each([
    // [tasks, minutes each, due in, workers]: from no workers, with no start-up and no arrivals, the fewest workers whose
    // slots start every task by its due time, as they do, in rounds of one task length: 48 workers start 21 rounds of
    // 0.5-min tasks by minute 10 (1,008 ≥ 1,000), 47 only 987. The seed rule ⌈tasks × minutes / target⌉ said 50.
    [1000, 0.5, 100, 5],
    [1000, 0.5, 10, 48],
    [120, 1, 60, 2],
  ])('%i tasks of %f min due in %i min from nothing: %i workers', (count, taskMin, due, workers) => {
    expect(horizonNeed({ ...base, waiting: [{ queue: 'q', count, dueMin: due, taskMin }], arrivals: { ...base.arrivals, targetMin: due } })).toBe(workers);
  });

  test.each([
    // [busy slots on average, wait when bound, target, spare slots]
    // A bound task waits past the target one time in e: every slot may be busy for 2.72% of arrivals;
    // Poisson(6) ≥ 11 is 4.26%, ≥ 12 is 2.01%.
    [6, 5, 5, 12],
    // It always waits past it: every slot busy for 1% at most (Poisson(6) ≥ 13 is 0.88%, ≥ 12 2.01%).
    [6, 1e9, 5, 13],
    // A bound task waits past its target less than 1% of the time (e^−5): no spare.
    [6, 1, 5, 0],
    [0, 5, 5, 0],
    // No finite load: none (the fluid path has it all as work).
    [Infinity, 5, 5, 0],
    [NaN, 5, 5, 0],
    // A large fleet: about 2.2 standard deviations over the mean.
    [5000, 10, 5, 5152],
  ])('spare slots where tasks bind: %f busy, a %f-min wait, a %f-min target → %i', (busy, wait, target, slots) => {
    expect(spareSlots(busy, wait, target)).toBe(slots);
  });

  test.each([
    // [busy, wait, target, longest task, slots a worker, spare slots]: the late chance is at most (1 − target / longest)^slots.
    // Tasks of at most 6 min, a 5-min target: a bound task is late at most a sixth of the time, below e^−1 (Poisson(6) ≥ 11 is 4.26% ≤ 6%).
    [6, 5, 5, 6, 1, 11],
    // At most 10 min: a half, above e^−1, which is kept (as without the longest).
    [6, 5, 5, 10, 1, 12],
    // It always waits past the target by the exponential, at most half the time by the longest: Poisson(6) ≥ 13 is 0.88% ≤ 2%, ≥ 12 is 2.01%.
    [6, 1e9, 5, 10, 1, 13],
    // Two slots a worker, both busy past the target: a quarter (≥ 12 is 2.01% ≤ 4%, ≥ 11 4.26%).
    [6, 1e9, 5, 10, 2, 12],
    // No task outlasts the target: none.
    [6, 1e9, 5, 5, 1, 0],
  ])('the longest task bounds a bound task\'s wait: %f busy, a %f-min wait, a %f-min target, tasks of at most %f min on %i slots → %i', (busy, wait, target, longest, slots, spare) => {
    expect(spareSlots(busy, wait, target, longest, slots)).toBe(spare);
  });

  test('the spare slots: 0.2 tasks/min of 18 min on one slot, a bound task waiting 24 min, a 15-min target (9 spare at the rate read)', () => {
    const h: HorizonInput = { ...base, startupMin: 2, paid: 9, maxWorkers: 40, running: [{ count: 4, leftMin: 9 }], arrivals: { perMin: 0.2, taskMin: 18, targetMin: 15 } };
    const bound = { ...h.arrivals, slotWaitMin: 24 };
    expect(spareSlots(0.2 * 18, 24, 15)).toBe(9);
    // Without it the fluid path keeps 4 of the 9; with it, all 9, and from 5 paid it buys the other 4 (the rate known exactly).
    expect(horizonNeed(h)).toBe(4);
    expect(horizonNeed({ ...h, arrivals: bound })).toBe(9);
    expect(horizonNeed({ ...h, paid: 5 })).toBe(4);
    expect(horizonNeed({ ...h, paid: 5, arrivals: bound })).toBe(9);
    const p = planHorizon({ ...h, paid: 5, arrivals: bound });
    expect(Math.min(...p.fleet.slice(p.readySlot + 1))).toBeGreaterThanOrEqual(9 - 1e-6);
    // On workers of two slots the same 9 slots are 4.5 workers: 5, and the fluid path's 2 otherwise.
    const two: HorizonInput = { ...h, slots: 2, arrivals: bound };
    expect(spareSlots(0.2 * 18, 24, 15) / 2).toBe(4.5);
    expect(horizonNeed({ ...two, arrivals: { ...two.arrivals, slotWaitMin: undefined } })).toBe(2);
    expect(horizonNeed(two)).toBe(5);
  });

  test('the spare is bought for the rate read low and kept for the rate as read: the same trickle read from 6 arrivals', () => {
    // 1/√6 of the rate is its deviation; two of them below, 0.66 slots busy on average (Poisson ≥ 4 is 0.47%, within the
    // 1.87% that a late chance of e^(−15/24) allows; ≥ 3 is 2.95%): 4 bought. At the rate read, 3.6 busy: 9 kept.
    const arrivals = { perMin: 0.2, taskMin: 18, targetMin: 15, slotWaitMin: 24, rateSpread: 1 / Math.sqrt(6) };
    const h: HorizonInput = { ...base, startupMin: 2, paid: 9, maxWorkers: 40, running: [{ count: 4, leftMin: 9 }], arrivals };
    expect(spareWorkers({ ...h, paid: 0 })).toBe(4);
    expect(spareWorkers({ ...h, paid: 2 })).toBe(4);
    expect(spareWorkers({ ...h, paid: 7 })).toBe(7);
    expect(spareWorkers({ ...h, paid: 20 })).toBe(9);
    // Within maxWorkers.
    expect(spareWorkers({ ...h, paid: 20, maxWorkers: 6 })).toBe(6);
    expect(spareWorkers({ ...h, paid: 20, maxWorkers: 3 })).toBe(3);
    // One worker paid, running one task: the fluid path alone keeps 2 (1.21 until its last slots), the spare 4, bought
    // once a worker launched now is ready (not before: the path holds only the one paid until the start-up's end).
    const one: HorizonInput = { ...h, paid: 1, running: [{ count: 1, leftMin: 9 }] };
    expect(horizonNeed({ ...one, arrivals: { ...arrivals, slotWaitMin: undefined } })).toBe(2);
    expect(horizonNeed(one)).toBe(4);
    const p = planHorizon(one);
    expect(p.fleet.slice(0, p.readySlot).every((r) => Math.abs(r - 1) < 1e-6)).toBe(true);
    expect(Math.min(...p.fleet.slice(p.readySlot))).toBeGreaterThanOrEqual(4 - 1e-6);
    expect(spareWorkers(one)).toBe(4);
    // From 7 paid it neither buys nor lets any go; from 20, it keeps 9.
    expect(horizonNeed({ ...h, paid: 7 })).toBe(7);
    expect(horizonNeed({ ...h, paid: 20 })).toBe(9);
    // No binding seen, or no arrivals expected (idle): no spare, whatever the rate.
    expect(spareWorkers({ ...h, arrivals: { ...arrivals, slotWaitMin: undefined } })).toBe(0);
    expect(spareWorkers({ ...h, arrivals: { ...arrivals, perMin: 0 } })).toBe(0);
    // Idle now though the half hour still holds arrivals: none either.
    expect(spareWorkers({ ...h, arrivals: { ...arrivals, perMin: 0, streamPerMin: 0.2 } })).toBe(0);
    // The stream's half-hour rate sizes it where known, not λ: read at 0.2 over the half hour, a λ of 0.4 (a few busy minutes)
    // keeps the same 9 and buys the same 4.
    const steady = { ...arrivals, perMin: 0.4, streamPerMin: 0.2 };
    expect(spareWorkers({ ...h, paid: 20, arrivals: steady })).toBe(9);
    expect(spareWorkers({ ...h, paid: 0, arrivals: steady })).toBe(4);
    expect(spareWorkers({ ...h, paid: 20, arrivals: { ...arrivals, perMin: 0.4 } })).toBeGreaterThan(9);
  });

  test('nothing waiting, running or arriving: the minimum, at every slot', () => {
    const p = planHorizon({ ...base, paid: 7, minWorkers: 2 });
    expect(p.fleet.every((r) => r === 2)).toBe(true);
    expect(p.lateWorkerMin).toBe(0);
  });

  test('steady arrivals: the path ends keeping up with them (40 tasks/min of 15 s: 10 workers), and never runs more', () => {
    // Before its end the path may let the queue use its target; the planner's stabilization window
    // (lib/planner/index.ts) holds what the arrivals need, so a scale-down never acts on that alone.
    const p = planHorizon({ ...base, paid: 10, startupMin: 1, arrivals: { perMin: 40, taskMin: 0.25, targetMin: 5 } });
    expect(p.fleet[p.fleet.length - 1]).toBeCloseTo(10, 6);
    expect(Math.max(...p.fleet)).toBeLessThanOrEqual(10 + 1e-6);
  });

  test('a worker launched now works only after its start-up: work due before then is late whatever is bought', () => {
    const p = planHorizon({ ...base, startupMin: 3, waiting: [{ queue: 'q', count: 100, dueMin: 1, taskMin: 0.5 }], arrivals: { ...base.arrivals, targetMin: 1 } });
    expect(p.readySlot).toBeGreaterThan(0);
    for (let j = 0; j < p.readySlot; j += 1) expect(p.fleet[j]).toBe(0);
    expect(p.lateWorkerMin).toBeGreaterThan(0);
  });

  test('workers paid but still starting work only once ready: the path buys for the slots before, and keeps them until then', () => {
    // 200 one-minute tasks due in 4 min, a 2-minute start-up, 10 workers paid. All ready: 10 work from now.
    const h: HorizonInput = { ...base, paid: 10, startupMin: 2, waiting: [{ queue: 'q', count: 200, dueMin: 4, taskMin: 1 }], arrivals: { ...base.arrivals, targetMin: 4 } };
    const ready = horizonNeed(h);
    // The same 10 launched by the last cycle, ready in a minute: a minute of ten workers' work is missing, bought now.
    const starting = horizonNeed({ ...h, starting: { count: 10, readyMin: 1 } });
    expect(starting).toBeGreaterThan(ready);
    // Launched just now, ready with the workers bought now: more still.
    expect(horizonNeed({ ...h, starting: { count: 10, readyMin: 2 } })).toBeGreaterThan(starting);
    // A drain cannot take a worker that has not answered yet: the path keeps the starting ones until they are ready
    // (half-minute slots: four of them before).
    const few = planHorizon({ ...h, stepMin: 0.5, waiting: [{ queue: 'q', count: 2, dueMin: 4, taskMin: 1 }], starting: { count: 8, readyMin: 2 } });
    expect(few.slotMin).toBe(0.5);
    for (let j = 0; j < 4; j += 1) expect(few.fleet[j]).toBeGreaterThanOrEqual(8 - 1e-6);
    expect(few.fleet[4]).toBeLessThan(8);
  });

  test('a task due before the starting workers are ready is late by its whole work: a starting worker\'s slot holds no task', () => {
    const h: HorizonInput = { ...base, paid: 3, maxWorkers: 3, startupMin: 2.5, waiting: [{ queue: 'q', count: 3, dueMin: 0.5, taskMin: 10 }], arrivals: { ...base.arrivals, targetMin: 4 } };
    expect(planHorizon(h).lateWorkerMin).toBe(0);
    expect(planHorizon({ ...h, starting: { count: 3, readyMin: 2 } }).lateWorkerMin).toBeCloseTo(30, 6);
  });

  test('a backlog is bought when it is seen, whatever the start-up: never fewer workers for a longer start-up', () => {
    // 847 tasks of 7 s due in 11 min. A start-up just short of a slot's end lets a worker launched now work only the end of
    // that slot; the workers the path has in the next slots must be launched now too, since one launched at the next cycle
    // is ready a cycle later. Taking only the slot the start-up ends in bought 3 workers a cycle at 1.98 min (a 13-min
    // ramp that started tasks late) where 1.9 min bought 10 at once.
    const need = (startupMin: number) => horizonNeed({ ...base, startupMin, maxWorkers: 150, waiting: [{ queue: 'q', count: 847, dueMin: 11, taskMin: 0.12 }], arrivals: { ...base.arrivals, targetMin: 12 } });
    const needs = [0.5, 1, 1.5, 1.9, 1.98, 2.5, 2.98].map(need);
    for (let i = 1; i < needs.length; i += 1) expect(needs[i]).toBeGreaterThanOrEqual(needs[i - 1]);
    expect(needs[0]).toBeGreaterThanOrEqual(10);
  });

  test.each([
    // [slots a worker, workers]: a task holds one slot from its start, so tasks due together need a slot each by then.
    [1, 3],
    [2, 2],
    [3, 1],
  ])('three 10-minute tasks due in a minute, %i slot(s) a worker: %i worker(s), one slot a task (a fluid worker shared among them would do)', (slots, workers) => {
    expect(horizonNeed({ ...base, slots, waiting: [{ queue: 'q', count: 3, dueMin: 1, taskMin: 10 }], arrivals: { ...base.arrivals, targetMin: 1 } })).toBe(workers);
  });

  test('a backlog already late is never run on more workers than it has tasks, to finish it sooner', () => {
    // 100 tasks of 30 s due in a minute, a 2-minute start-up, 6 workers paid: late whatever is bought. As a fluid the
    // rest could be done within one slot by 152 workers; 100 tasks can use 100 slots at most.
    const h: HorizonInput = { ...base, paid: 6, startupMin: 2, waiting: [{ queue: 'q', count: 100, dueMin: 1, taskMin: 0.5 }], arrivals: { ...base.arrivals, targetMin: 1 } };
    const p = planHorizon(h);
    expect(p.lateWorkerMin).toBeGreaterThan(0);
    expect(Math.max(...p.fleet)).toBeLessThanOrEqual(100 + 1e-6);
    expect(horizonNeed(h)).toBeLessThanOrEqual(100);
    expect(horizonNeed(h)).toBeGreaterThan(6);
  });

  test.each([
    // [minutes left on the two running tasks, workers]: a task due in a minute takes a slot freed by then, or a worker of its own.
    [0.2, 2],
    [0.9, 2],
    [1.5, 3],
    [5, 3],
  ])('two workers busy for %f more min, one task due in a minute: %i workers', (leftMin, workers) => {
    expect(horizonNeed({ ...base, paid: 2, running: [{ count: 2, leftMin }], waiting: [{ queue: 'q', count: 1, dueMin: 1, taskMin: 0.5 }], arrivals: { ...base.arrivals, targetMin: 1 } })).toBe(workers);
  });

  test('a backlog within reach is planned on time; past maxWorkers it is late, and the path keeps the most it may', () => {
    const backlog = (maxWorkers: number): HorizonInput => ({ ...base, maxWorkers, waiting: [{ queue: 'q', count: 1000, dueMin: 10, taskMin: 0.5 }], arrivals: { ...base.arrivals, targetMin: 10 } });
    expect(planHorizon(backlog(1000)).lateWorkerMin).toBe(0);
    expect(planHorizon(backlog(10)).lateWorkerMin).toBeGreaterThan(0);
    expect(horizonNeed(backlog(10))).toBe(10);
  });

  test('minWorkers above maxWorkers: maxWorkers wins', () => {
    expect(planHorizon({ ...base, paid: 5, minWorkers: 3, maxWorkers: 2 }).fleet.every((r) => r === 2)).toBe(true);
  });

  test('queues due together need what one queue of all their tasks needs: the turns add nothing', () => {
    const two = horizonNeed({ ...base, waiting: [{ queue: 'a', count: 300, dueMin: 3, taskMin: 0.1 }, { queue: 'b', count: 300, dueMin: 3, taskMin: 0.1 }] });
    expect(two).toBe(horizonNeed({ ...base, waiting: [{ queue: 'a', count: 600, dueMin: 3, taskMin: 0.1 }] }));
    expect(two).toBe(20);
  });

  test('a rival\'s turns cost its own task length: a queue due soon beside one of long tasks needs far more than beside one of short tasks', () => {
    const beside = (count: number, taskMin: number) => horizonNeed({ ...base, waiting: [{ queue: 'a', count: 300, dueMin: 3, taskMin: 0.1 }, { queue: 'b', count, dueMin: 60, taskMin }] });
    const alone = horizonNeed({ ...base, waiting: [{ queue: 'a', count: 300, dueMin: 3, taskMin: 0.1 }] });
    expect(alone).toBe(10);
    // 30 rival tasks: only 30 turns, however many of its own tasks the queue has.
    expect(beside(30, 0.1)).toBeLessThanOrEqual(alone + 1);
    expect(beside(300, 1)).toBeGreaterThan(5 * alone);
  });

  test('Celery takes queues in turn: a queue due soon brings its rival\'s turns with it', () => {
    const alone = horizonNeed({ ...base, waiting: [{ queue: 'a', count: 300, dueMin: 3, taskMin: 0.1 }] });
    const withRival = horizonNeed({ ...base, waiting: [{ queue: 'a', count: 300, dueMin: 3, taskMin: 0.1 }, { queue: 'b', count: 300, dueMin: 60, taskMin: 0.1 }] });
    expect(withRival).toBeGreaterThan(alone * 1.5);
  });

  test.each(Array.from({ length: 40 }, (_, i) => i + 1))('random service %i: within its bounds, never past what it can use at once, never short of what its arrivals need', (seed) => {
    const h = randomBinding(rng(seed));
    const p = planHorizon(h);
    const cap = Math.max(Math.min(h.paid, h.maxWorkers), h.maxWorkers);
    // Workers held spare where tasks bind: bought at most for the rate read, kept at most for what is paid (within maxWorkers).
    const spare = spareWorkers(h);
    const atRate = h.arrivals.slotWaitMin === undefined ? 0 : spareSlots(h.arrivals.perMin * h.arrivals.taskMin, h.arrivals.slotWaitMin, h.arrivals.targetMin, h.arrivals.longestMin, h.slots) / h.slots;
    expect(spare).toBeLessThanOrEqual(Math.min(h.maxWorkers, Math.max(h.paid, atRate)) + 1e-9);
    if (h.arrivals.rateSpread === undefined) expect(spare).toBeCloseTo(Math.min(h.maxWorkers, atRate), 9);
    const atHand = h.waiting.reduce((a, g) => a + g.count, 0) + h.running.reduce((a, g) => a + g.count, 0);
    p.fleet.forEach((r, j) => {
      expect(r).toBeGreaterThanOrEqual(Math.min(h.minWorkers, h.maxWorkers) - 1e-6);
      expect(r).toBeLessThanOrEqual(cap + 1e-6);
      // No slot holds more workers than the tasks there by its end can use (or the floor, or the spare kept).
      expect(r).toBeLessThanOrEqual(Math.max(Math.min(h.minWorkers, h.maxWorkers), spare, Math.ceil((atHand + h.arrivals.perMin * (j + 1) * p.slotMin) / h.slots)) + 1e-6);
      // The spare is held from the slot a worker launched now is ready in, and of the paid ones before.
      expect(r).toBeGreaterThanOrEqual((j > p.readySlot ? spare : Math.min(h.paid, spare)) - 1e-6);
    });
    for (let j = 0; j < p.readySlot; j += 1) expect(p.fleet[j]).toBeLessThanOrEqual(h.paid + 1e-6);
    const need = horizonNeed(h);
    // Tasks do not divide: more workers than tasks at hand (and slots for what arrives meanwhile) help nothing.
    const tasks = h.waiting.reduce((a, g) => a + g.count, 0) + h.running.reduce((a, g) => a + g.count, 0);
    const arriving = h.arrivals.perMin * (h.startupMin + h.stepMin + p.slotMin);
    expect(need).toBeLessThanOrEqual(Math.max(Math.min(h.paid, h.maxWorkers), h.minWorkers, Math.ceil((tasks + arriving) / h.slots), Math.ceil(spare - 1e-9)));
    // The path ends keeping up with the arrivals (within maxWorkers).
    expect(p.fleet[p.fleet.length - 1]).toBeGreaterThanOrEqual(Math.min(h.maxWorkers, (h.arrivals.perMin * h.arrivals.taskMin) / h.slots) - 1e-6);
  });
});

describe('horizonInput: what the model sees of a service', () => {
  const cfg = serviceSchema.parse({ cluster: 'c', service: 's', queues: ['q'], maxWorkers: 20, tasksPerWorkerPerMinute: 0.125, targetMinutes: 20, startupSeconds: 120 });
  const obsOf = (nodes: { active: number; reserved: number }[], pending = 0): ServiceObservation => ({
    queues: { q: pending }, missingNodes: [], errors: [], ecs: { desired: nodes.length, running: nodes.length, pending: 0, deploymentInProgress: false },
    nodes: nodes.map((n, i) => ({ node: `w${i}@h`, taskId: null, scheduled: 0, processed: 0, concurrency: 1, ...n })),
  });
  const input = (obs: ServiceObservation) => horizonInput(cfg, obs, emptyRates(), undefined, 0, 0, 0.125, obs.nodes.length);

  test('a reserved task waits on its own node: it lengthens that node\'s busy slot, and is not work another worker could take', () => {
    const h = input(obsOf([{ active: 1, reserved: 1 }, { active: 1, reserved: 0 }]));
    // 8 min a task (μ 0.125/min): the busy node holds half of one (4) and then the reserved one (8).
    expect(h.running).toEqual([{ count: 1, leftMin: 12 }, { count: 1, leftMin: 4 }]);
    expect(h.waiting).toEqual([]);
  });

  test('so no worker is bought for a reserved task, though it will start late: tasks of 50 min, each busy node holding one behind its own', () => {
    const obs = obsOf([{ active: 1, reserved: 1 }, { active: 1, reserved: 1 }]);
    const h = horizonInput(cfg, obs, emptyRates(), undefined, 0, 0, 0.02, 2);
    expect(h.running).toEqual([{ count: 1, leftMin: 75 }, { count: 1, leftMin: 75 }]);
    expect(horizonNeed(h)).toBe(2);
  });

  test('a node with nothing active runs its reserved tasks on its free slots', () => {
    const h = input(obsOf([{ active: 0, reserved: 2 }]));
    expect(h.running).toEqual([{ count: 1, leftMin: 16 }]);
  });

  test('where workers bind messages while busy, a waiting task is due sooner by how much longer than the mean its worker\'s task may run (a c-th of it with c slots)', () => {
    const obs = obsOf([{ active: 1, reserved: 0 }], 6);
    // The longest seen: 20 min; tasks take 8 on average: a task bound behind the longest starts 12 min later than the mean says.
    expect(horizonInput(cfg, obs, { ...emptyRates(), boundWaitMin: 20 }, undefined, 0, 0, 0.125, 1).waiting).toEqual([{ queue: 'q', count: 6, dueMin: 7, taskMin: 8 }]);
    // Two slots a worker at the same μ: 16-min tasks; bound behind a 40-min one, a task waits for the first of two slots: (40 − 16) / 2.
    expect(horizonInput(cfg, obs, { ...emptyRates(), boundWaitMin: 40, concurrency: 2 }, undefined, 0, 0, 0.125, 1).waiting).toEqual([{ queue: 'q', count: 6, dueMin: 7, taskMin: 16 }]);
    // Shorter than the mean: no change.
    expect(horizonInput(cfg, obs, { ...emptyRates(), boundWaitMin: 5 }, undefined, 0, 0, 0.125, 1).waiting).toEqual([{ queue: 'q', count: 6, dueMin: 19, taskMin: 8 }]);
    // Four slots, 32-min tasks, the longest 81 times as long (a heavy tail): the first of four slots frees after
    // 32 × 81^¼ = 96 min at most, not a quarter of the longest (648): due 96 − 32 / 4 = 88 min sooner.
    expect(horizonInput(cfg, obs, { ...emptyRates(), boundWaitMin: 32 * 81, concurrency: 4 }, undefined, 0, 0, 0.125, 1).waiting).toEqual([{ queue: 'q', count: 6, dueMin: 19 - 88, taskMin: 32 }]);
  });

  test.each([
    ['one slot: the longest less the task\'s own length, whatever the tail', 20, 8, 1, 12],
    ['an exponential tail (the longest of a hundred ≈ 4.6 × the mean): a c-th of it, the smaller', 4.6, 1, 4, 0.9],
    ['a power-law tail (the longest 81 × the mean): the c-th root, the smaller', 81, 1, 4, 3 - 0.25],
    ['the longest shorter than the task: no sooner', 5, 8, 2, 0],
    ['no length learned: a c-th of the longest', 8, 0, 2, 4],
  ])('how much sooner a bound task is due: %s', (_, longest, task, slots, sooner) => {
    expect(boundWait(longest, task, slots)).toBeCloseTo(sooner, 9);
  });

  test('an arrival that finds every slot busy waits for the first of its worker\'s slots to free, where workers bind (the spare\'s wait)', () => {
    const obs = obsOf([{ active: 1, reserved: 0 }], 6);
    // One slot: the longest seen (20 min). Four slots and a heavy tail: 32 × 81^¼ = 96 min (as boundWait, with the task's own share).
    expect(horizonInput(cfg, obs, { ...emptyRates(), boundWaitMin: 20 }, undefined, 0, 0, 0.125, 1).arrivals.slotWaitMin).toBe(20);
    expect(horizonInput(cfg, obs, { ...emptyRates(), boundWaitMin: 32 * 81, concurrency: 4 }, undefined, 0, 0, 0.125, 1).arrivals.slotWaitMin).toBeCloseTo(96, 9);
    expect(slotWait(32 * 81, 32, 4) - 32 / 4).toBeCloseTo(boundWait(32 * 81, 32, 4), 9);
    // Not seen binding: none.
    expect(horizonInput(cfg, obs, emptyRates(), undefined, 0, 0, 0.125, 1).arrivals.slotWaitMin).toBeUndefined();
  });

  test('where workers bind, the spare sees the longest task and the stream\'s half-hour rate with its deviation (1/√ of its arrivals)', () => {
    const obs = obsOf([{ active: 1, reserved: 0 }], 6);
    const seen = (arrivalCounts?: [number, number][]) => horizonInput(cfg, obs, { ...emptyRates(), boundWaitMin: 20, arrivalCounts }, undefined, 0, 0.5, 0.125, 1).arrivals;
    expect(seen()).toMatchObject({ longestMin: 20, rateSpread: 1, streamPerMin: 0 });
    // 25 arrivals over 10 minutes: 2.5 a minute, off by a fifth of it.
    const stream = seen(Array.from({ length: 10 }, (_, i) => [i % 2 === 0 ? 2 : 3, 1] as [number, number]));
    expect(stream.streamPerMin).toBeCloseTo(2.5, 9);
    expect(stream.rateSpread).toBeCloseTo(1 / 5, 9);
    expect(horizonInput(cfg, obs, emptyRates(), undefined, 0, 0.5, 0.125, 1).arrivals).not.toHaveProperty('rateSpread');
  });

  test('the arrivals run as long as the stream\'s tasks over all intervals, not the full ones', () => {
    const obs = obsOf([{ active: 1, reserved: 0 }], 6);
    // 600 slot-s over 10 ended in all intervals (1 min a task), 90 over 3 in the full ones (0.5 min).
    const rates: RateState = { ...emptyRates(), concurrency: 1, durations: { x: [600, 10, 'q', 90, 3] }, queueArrivalRates: { q: [2, 2, 2] } };
    const h = horizonInput(cfg, obs, rates, undefined, 0, 2, 0.125, 1);
    expect(h.arrivals.taskMin).toBeCloseTo(1, 9);
    expect(h.waiting[0].taskMin).toBeCloseTo(0.5, 9);
  });

  test('paid workers with no node answering are starting, ready by the end of the last scale-up\'s start-up', () => {
    const obs = obsOf([{ active: 1, reserved: 0 }], 6);
    // 4 paid, 1 answering: 3 starting. The last scale-up 30 s ago, a 2-minute start-up: ready in 1.5 min.
    expect(horizonInput(cfg, obs, emptyRates(), undefined, 60_000, 0, 0.125, 4, 30_000).starting).toEqual({ count: 3, readyMin: 1.5 });
    // No scale-up known: as if launched now. One long ago: ready now, so none is starting.
    expect(horizonInput(cfg, obs, emptyRates(), undefined, 60_000, 0, 0.125, 4).starting).toEqual({ count: 3, readyMin: 2 });
    expect(horizonInput(cfg, obs, emptyRates(), undefined, 10 * 60_000, 0, 0.125, 4, 0).starting).toBeUndefined();
    expect(horizonInput(cfg, obs, emptyRates(), undefined, 60_000, 0, 0.125, 1, 30_000).starting).toBeUndefined();
  });

  test('pending tasks are waiting work any worker can take, due at the target less the margin', () => {
    const h = input(obsOf([{ active: 1, reserved: 0 }], 6));
    expect(h.waiting).toEqual([{ queue: 'q', count: 6, dueMin: 19, taskMin: 8 }]);
  });

  test('on one queue, a waiting task\'s margin is one task (its length is learned exactly on full nodes), at most a cycle; arrivals keep a cycle', () => {
    const obs = obsOf([{ active: 1, reserved: 0 }], 6);
    // Tasks of 3 s (μ 20/min on one slot): due 0.05 min before the target, where arrivals aim a cycle early.
    const short = horizonInput(cfg, obs, emptyRates(), undefined, 0, 5, 20, 1);
    expect(short.waiting).toEqual([{ queue: 'q', count: 6, dueMin: 19.95, taskMin: expect.closeTo(0.05, 9) }]);
    expect(short.arrivals.targetMin).toBe(19);
    // Learned, not 1/μ: 12 s tasks (the duration sums) due 0.2 min before.
    const learned = { ...emptyRates(), concurrency: 1, durations: { x: [120, 10, 'q', 120, 10] as Duration } };
    expect(horizonInput(cfg, obs, learned, undefined, 0, 0, 20, 1).waiting).toEqual([{ queue: 'q', count: 6, dueMin: expect.closeTo(19.8, 9), taskMin: expect.closeTo(0.2, 9) }]);
    // Never more than the cycle, nor more than half the target.
    expect(horizonInput(cfg, obs, emptyRates(), undefined, 0, 0, 0.01, 1).waiting[0].dueMin).toBe(19);
    const tight = serviceSchema.parse({ ...cfg, targetMinutes: 1 });
    expect(horizonInput(tight, obs, emptyRates(), 0, 5 * 60_000, 0, 0.5, 1).waiting[0].dueMin).toBe(0.5);
  });
});

describe('horizonInput, worked through on two queues, two slots a worker and a cycle of two minutes', () => {
  const cfg = serviceSchema.parse({ cluster: 'c', service: 's', queues: ['q', 'r'], maxWorkers: 20, tasksPerWorkerPerMinute: 0.125, targetMinutes: 20, startupSeconds: 120 });
  const now = 100 * 60_000;
  const ago = (min: number) => now - min * 60_000;
  // x (from q) ran 480 s a task: 8 minutes on a slot. r's names are not learned: 2 slots / 0.125 per minute = 16.
  const rates = { ...emptyRates(), concurrency: 2, durations: { x: [4800, 10, 'q'] as [number, number, string] }, queueWaiting: { q: [[3, ago(5)], [2, ago(1)]] as [number, number][], r: [[4, ago(2)]] as [number, number][] } };
  const n = (node: string, over: Partial<ServiceObservation['nodes'][number]>): ServiceObservation['nodes'][number] => ({ node, taskId: null, active: 0, reserved: 0, scheduled: 0, processed: 0, concurrency: 2, ...over });
  const obs: ServiceObservation = {
    queues: { q: 6, r: 4 }, missingNodes: [], errors: [], ecs: { desired: 3, running: 3, pending: 0, deploymentInProgress: false },
    nodes: [n('a', { active: 2, activeByTask: { x: 1 }, reserved: 2 }), n('b', { reserved: 3 }), n('c', {})],
  };

  test('each queue\'s groups due at the target less a cycle less their wait, the rest due at that; running slots and reserved work per node', () => {
    expect(horizonInput(cfg, obs, rates, ago(2), now, 1.5, 0.125, 3)).toEqual({
      stepMin: 2, startupMin: 2, paid: 3, minWorkers: 0, maxWorkers: 20, slots: 2,
      waiting: [
        { queue: 'q', count: 3, dueMin: 13, taskMin: 8 },
        { queue: 'q', count: 2, dueMin: 17, taskMin: 8 },
        { queue: 'q', count: 1, dueMin: 18, taskMin: 8 },
        { queue: 'r', count: 4, dueMin: 16, taskMin: 16 },
      ],
      // a: x half done (4), the unnamed one half of 16 (8), and its 2 reserved, each as long as its active tasks on
      // average ((8 + 16) / 2 = 12: 24 slot-minutes), shared over its 2 busy slots;
      // b: nothing running, its 3 reserved at 1/μ (48) on its 2 free slots; c: nothing.
      running: [{ count: 1, leftMin: 16 }, { count: 1, leftMin: 20 }, { count: 2, leftMin: 24 }],
      arrivals: { perMin: 1.5, taskMin: 16, targetMin: 18 },
    });
  });

  test('the cycle is read from the samples within 6 s and 5 minutes, a minute before two samples; the margin never more than half the target', () => {
    expect(horizonInput(cfg, obs, rates, undefined, now, 0, 0.125, 3)).toMatchObject({ stepMin: 1, arrivals: { targetMin: 19 } });
    expect(horizonInput(cfg, obs, rates, now - 3000, now, 0, 0.125, 3)).toMatchObject({ stepMin: 0.1, arrivals: { targetMin: 19.9 } });
    expect(horizonInput(cfg, obs, rates, ago(30), now, 0, 0.125, 3)).toMatchObject({ stepMin: 5, arrivals: { targetMin: 15 } });
    const short = serviceSchema.parse({ ...cfg, targetMinutes: 6 });
    expect(horizonInput(short, obs, rates, ago(5), now, 0, 0.125, 3)).toMatchObject({ stepMin: 5, arrivals: { targetMin: 3 } });
  });

  test("the arrivals run as long as the queues they come to: each queue's length weighed by its own rate, 1/μ until one shows", () => {
    // q (8 min a task) gets 1 a minute, r (16) 3: (8 + 48) / 4 = 14, where the service's 1/μ says 16.
    const arriving = { ...rates, queueArrivalRates: { q: [1, 1, 1], r: [3, 3, 3] } };
    expect(horizonInput(cfg, obs, arriving, ago(2), now, 4, 0.125, 3).arrivals).toEqual({ perMin: 4, taskMin: 14, targetMin: 18 });
    expect(horizonInput(cfg, obs, { ...rates, queueArrivalRates: { q: [1, 1], r: [3, 3] } }, ago(2), now, 4, 0.125, 3).arrivals.taskMin).toBe(16);
  });

  test('one queue waits as one FIFO, each group at the mean length of what waits', () => {
    const one: ServiceObservation = { ...obs, queues: { q: 5 } };
    const fifo = { ...rates, waiting: [[3, ago(4)], [1, ago(1)]] as [number, number][] };
    expect(horizonInput(cfg, one, fifo, ago(2), now, 0, 0.125, 3).waiting).toEqual([
      { queue: 'q', count: 3, dueMin: 14, taskMin: 8 },
      { queue: 'q', count: 1, dueMin: 17, taskMin: 8 },
      { queue: 'q', count: 1, dueMin: 18, taskMin: 8 },
    ]);
    // Two queues without per-queue groups: one FIFO at the mean (3 of q at 8, 1 of r at 16 → 10), named by the first.
    const both: ServiceObservation = { ...obs, queues: { q: 3, r: 1 } };
    expect(horizonInput(cfg, both, { ...fifo, queueWaiting: undefined }, ago(2), now, 0, 0.125, 3).waiting).toEqual([
      { queue: 'q', count: 3, dueMin: 14, taskMin: 10 },
      { queue: 'q', count: 1, dueMin: 17, taskMin: 10 },
    ]);
  });
});

describe('the horizon and its slots', () => {
  beforeAll(loadSolver);
  const h = (over: Partial<HorizonInput>): HorizonInput => ({
    stepMin: 1, startupMin: 2, paid: 0, minWorkers: 0, maxWorkers: 100, slots: 1,
    waiting: [{ queue: 'q', count: 5, dueMin: 10, taskMin: 30 }], running: [{ count: 1, leftMin: 50 }],
    arrivals: { perMin: 0, taskMin: 8, targetMin: 20 }, ...over,
  });

  test('long enough for the last due task to start, run the target or the longest task if shorter, and two cycles; slots of a cycle', () => {
    // 10 + 2 + min(50, 20) + 2 = 34 minutes in slots of 1: a worker launched now is ready in the third.
    expect(planHorizon(h({}))).toMatchObject({ slotMin: 1, readySlot: 2 });
    expect(planHorizon(h({})).fleet).toHaveLength(34);
    // Arrivals are due a target after they come: 20 + 2 + 20 + 2 = 44 minutes, over the 40 slots at most: slots of 1.1.
    const arriving = planHorizon(h({ arrivals: { perMin: 1, taskMin: 8, targetMin: 20 } }));
    expect(arriving.slotMin).toBeCloseTo(1.1, 9);
    expect(arriving.fleet).toHaveLength(40);
    // Tasks shorter than the target: the longest of them, with cycles of 2 minutes: 10 + 2 + 9 + 4 = 25 in slots of 2.
    const short = planHorizon(h({ stepMin: 2, running: [{ count: 1, leftMin: 9 }], waiting: [{ queue: 'q', count: 5, dueMin: 10, taskMin: 3 }] }));
    expect(short.slotMin).toBe(2);
    expect(short.fleet).toHaveLength(13);
    // A 2-minute target: slots of a quarter of it, shorter than the cycle.
    const tight = planHorizon(h({ arrivals: { perMin: 0, taskMin: 8, targetMin: 2 }, waiting: [{ queue: 'q', count: 5, dueMin: 1, taskMin: 1 }], running: [] }));
    expect(tight.slotMin).toBe(0.5);
    expect(tight.readySlot).toBe(4);
  });
});
