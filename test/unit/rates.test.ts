import type { NodeObservation, ServiceObservation } from '../../lib/observation';
import { workerNode as node } from '../support/planner';
import { arrivalTaskMin, effectiveMu, emptyRates, pendingByWait, rateWindow, updateRates, workerMinutesPerName, workerMinutesPerTask, type RateState } from '../../lib/planner/rates';

/**
 * The estimators of lib/planner/rates.ts, each figure worked by hand from the samples given: the
 * arrival rate of a trickle, the window it is read over, the per-name durations (Little's law over
 * active slot-time), the per-queue waiting groups and the bounds on what the state remembers.
 */
const MIN = 60_000;

const sample = (queues: Record<string, number>, nodes: NodeObservation[] = []): ServiceObservation => ({
  queues, nodes, missingNodes: [], errors: [], ecs: { desired: nodes.length, running: nodes.length, pending: 0, deploymentInProgress: false },
});

/** Feeds one-minute intervals to a service with no workers: each interval's arrivals are its pending growth. */
function arrivalsEachMinute(arrivals: number[], minutes = 1): RateState {
  let pending = 0;
  let r = updateRates(emptyRates(), sample({ q: 0 }), 0);
  arrivals.forEach((a, i) => {
    pending += a;
    r = updateRates(r, sample({ q: pending }), (i + 1) * minutes * MIN);
  });
  return r;
}

describe('the arrival rate of a trickle (fewer than 20 arrivals in the last five intervals)', () => {
  test('is read over the window, without the intervals above four times the usual one, and at least five', () => {
    // Usual (lower median) 1, so intervals above max(5, 4) = 5 are a burst: the 9 is left out, the 5 kept.
    const r = arrivalsEachMinute([1, 0, 1, 1, 5, 1, 0, 9, 1, 1]);
    expect(r.lambda).toBeCloseTo(11 / 9, 9);
  });

  test('with a usual interval of 2, up to 8 in an interval is a rate, not a burst', () => {
    const r = arrivalsEachMinute([2, 2, 2, 7, 2, 2]);
    expect(r.lambda).toBeCloseTo(17 / 6, 9);
  });

  test('nothing arriving reads as 0', () => {
    expect(arrivalsEachMinute([0, 0, 0, 0]).lambda).toBe(0);
  });

  test('20 arrivals in the last five intervals is a rate: the lower median of the recent intervals', () => {
    expect(arrivalsEachMinute([2, 2, 2, 7, 7]).lambda).toBe(2);
    // One fewer and it is a trickle again: the whole window's arrivals over its minutes (none above 4 × 2).
    expect(arrivalsEachMinute([2, 2, 2, 7, 6]).lambda).toBeCloseTo(19 / 5, 9);
  });

  test('the last five intervals decide, not the whole window: a busy past does not make a trickle a rate', () => {
    const r = arrivalsEachMinute([30, 30, 30, 1, 1, 1, 1, 1]);
    // Usual 1, cap 5: the 30s are left out of the window's rate.
    expect(r.lambda).toBeCloseTo(5 / 5, 9);
  });

  test('fewer than three intervals give no rate yet', () => {
    expect(arrivalsEachMinute([10, 10]).lambda).toBe(0);
    expect(arrivalsEachMinute([10, 10, 10]).lambda).toBeCloseTo(10, 9);
  });

  test('rates are per minute over intervals of any length', () => {
    const r = arrivalsEachMinute([8, 8, 8], 2);
    expect(r.lastArrivalRate).toBe(4);
    expect(r.arrivalRates).toEqual([4, 4, 4]);
    expect(r.lambda).toBeCloseTo(24 / 6, 9);
  });

  test('the stream\'s window: the last half hour\'s arrivals and minutes, without its bursts (as a trickle\'s rate is read)', () => {
    expect(rateWindow(emptyRates())).toEqual({ n: 0, minutes: 0 });
    expect(rateWindow(arrivalsEachMinute([2, 2, 2, 7, 7]))).toEqual({ n: 20, minutes: 5 });
    // The 9 is a burst (usual 1, cap 5): left out with its minute.
    expect(rateWindow(arrivalsEachMinute([1, 0, 1, 1, 5, 1, 0, 9, 1, 1]))).toEqual({ n: 11, minutes: 9 });
    // Not only the last five intervals: a steady stream of 15 a minute is read over all of them.
    const r = arrivalsEachMinute(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 14 : 16)));
    expect(rateWindow(r)).toEqual({ n: 450, minutes: 30 });
    // λ, the lower median of the last five (16, 14, 16, 14, 16), reads 16.
    expect(r.lambda).toBe(16);
  });

  test('the window holds the last 30 minutes of intervals and the median the last five', () => {
    const r = arrivalsEachMinute(Array.from({ length: 40 }, () => 1));
    expect(r.arrivalCounts).toHaveLength(30);
    expect(r.arrivalCounts!.reduce((a, [, m]) => a + m, 0)).toBeCloseTo(30, 9);
    expect(r.arrivalRates).toHaveLength(5);
    const two = arrivalsEachMinute(Array.from({ length: 20 }, () => 1), 2);
    // Two-minute intervals: the oldest goes once the rest span 30 minutes.
    expect(two.arrivalCounts).toHaveLength(15);
  });
});

describe('samples at the same instant, or far apart', () => {
  test('a second sample at the same instant changes nothing', () => {
    const first = arrivalsEachMinute([3, 3, 3]);
    expect(updateRates(first, sample({ q: 500 }), 3 * MIN)).toEqual(first);
  });

  test('ten minutes apart is still an interval; more restarts the baseline and keeps the rates learnt', () => {
    const r = arrivalsEachMinute([3, 3, 3]);
    const ten = updateRates(r, sample({ q: 9 + 30 }), 13 * MIN);
    expect(ten.lastArrivalRate).toBe(3);
    const gap = updateRates(r, sample({ q: 9 + 30 }), 13 * MIN + 1);
    expect(gap.lastArrivalRate).toBe(3);
    expect(gap.arrivalRates).toEqual(r.arrivalRates);
    expect(gap.lambda).toBe(r.lambda);
    expect(gap.pending).toBe(39);
  });
});

describe('tasks that ended between two samples', () => {
  test('a node whose counter went down restarted: its new total started since', () => {
    let r = updateRates(emptyRates(), sample({ q: 0 }, [node('a', { processed: 100 })]), 0);
    r = updateRates(r, sample({ q: 0 }, [node('a', { processed: 5 })]), MIN);
    // 5 started and ended, nothing waits or runs: 5 arrived.
    expect(r.lastArrivalRate).toBe(5);
  });

  test('what ended is what started less the growth of what runs', () => {
    let r = updateRates(emptyRates(), sample({ q: 0 }, [node('a', { processed: 10 })]), 0);
    r = updateRates(r, sample({ q: 0 }, [node('a', { processed: 14, active: 2 })]), MIN);
    // 4 started, 2 still run: 2 ended; the work grew by 2, so 4 arrived.
    expect(r.lastArrivalRate).toBe(4);
  });

  test('a node that reports no counter counts nothing', () => {
    let r = updateRates(emptyRates(), sample({ q: 0 }, [node('a', { processed: 10 })]), 0);
    r = updateRates(r, sample({ q: 0 }, [node('a', { processed: null })]), MIN);
    expect(r.lastArrivalRate).toBe(0);
  });
});

describe('μ: completions per busy worker-minute, in batches of at least 20', () => {
  const busy = (processed: number, pending = 50): ServiceObservation => sample({ q: pending }, [node('a', { active: 1, processed })]);

  test('an interval of 10 completions waits for the next to make a batch; the batch is a ratio of sums', () => {
    let r = updateRates(emptyRates(), busy(100), 0);
    r = updateRates(r, busy(110), MIN);
    expect(r.mu).toBeUndefined();
    expect(r.muBatch).toEqual([10, 1]);
    r = updateRates(r, busy(124), 2 * MIN);
    expect(r.mu).toBe(12);
    expect(r.muSamples).toBe(1);
    expect(r.muBatch).toEqual([0, 0]);
  });

  test('an interval of two minutes counts two worker-minutes per worker', () => {
    let r = updateRates(emptyRates(), busy(100), 0);
    r = updateRates(r, busy(140), 2 * MIN);
    expect(r.mu).toBe(20);
  });

  test('later samples move μ by 1 − e^(−dt/3 min) of the way', () => {
    let r = updateRates(emptyRates(), busy(100), 0);
    r = updateRates(r, busy(120), MIN);
    expect(r.mu).toBe(20);
    r = updateRates(r, busy(160), 2 * MIN);
    expect(r.mu).toBeCloseTo(20 + (1 - Math.exp(-1 / 3)) * 20, 9);
  });

  test('with no warm worker nothing is gathered', () => {
    let r = updateRates(emptyRates(), busy(0), 0);
    r = updateRates(r, busy(30), MIN);
    expect(r.muBatch).toBeUndefined();
    expect(r.mu).toBeUndefined();
  });

  test('a state from before pending was kept: busy when work exceeded the warm workers and messages wait now', () => {
    const old: RateState = { at: 0, work: 5, processed: { a: 100 }, activeByNode: { a: 1 }, muSamples: 0 };
    expect(updateRates(old, busy(125), MIN).mu).toBe(25);
    // Work no more than the warm workers: they may have idled.
    expect(updateRates({ ...old, work: 1 }, busy(125), MIN).mu).toBeUndefined();
    // Nothing waits now.
    expect(updateRates(old, busy(125, 0), MIN).mu).toBeUndefined();
  });

  test('the measured rate is used from the third sample on, within a tenth and ten times the configured', () => {
    expect(effectiveMu({ muSamples: 2, mu: 7 }, 2)).toEqual({ mu: 2, measured: false });
    expect(effectiveMu({ muSamples: 3, mu: 7 }, 2)).toEqual({ mu: 7, measured: true });
    expect(effectiveMu({ muSamples: 3, mu: 70 }, 2)).toEqual({ mu: 20, measured: true });
    expect(effectiveMu({ muSamples: 3, mu: 0.01 }, 2)).toEqual({ mu: 0.2, measured: true });
    expect(effectiveMu({ muSamples: 9 }, 2)).toEqual({ mu: 2, measured: false });
  });
});

describe('the pending messages by how long they have waited', () => {
  const w = (pending: number, processed: number, nodes = [node('a', { processed })]): ServiceObservation => sample({ q: pending }, nodes);

  test('the first sample dates every pending message now, and an empty queue holds no group', () => {
    expect(updateRates(emptyRates(), w(40, 0), 5 * MIN).waiting).toEqual([[40, 5 * MIN]]);
    expect(updateRates(emptyRates(), w(0, 0), 5 * MIN).waiting).toEqual([]);
  });

  test('the oldest leave first, and a group emptied leaves no trace', () => {
    let r = updateRates(emptyRates(), w(50, 0), 0);
    r = updateRates(r, w(70, 0), MIN);
    expect(r.waiting).toEqual([[50, 0], [20, 0]]);
    // 60 started, none arrived: the 10 youngest of the second group remain.
    r = updateRates(r, w(10, 60), 2 * MIN);
    expect(r.waiting).toEqual([[10, 0]]);
    expect(pendingByWait(r, 10, 2 * MIN)).toEqual([[10, 2]]);
  });

  test('nothing arrived adds no group', () => {
    let r = updateRates(emptyRates(), w(50, 0), 0);
    r = updateRates(r, w(30, 20), MIN);
    expect(r.waiting).toEqual([[30, 0]]);
  });

  test('messages the arrivals cannot account for (a node that left took its completions) are dated at the earlier sample, first', () => {
    let r = updateRates(emptyRates(), w(0, 0, [node('a', { active: 5, processed: 10 })]), 0);
    r = updateRates(r, w(100, 0, []), MIN);
    expect(r.waiting).toEqual([[5, 0], [95, 0]]);
  });

  test('nothing pending is no group, whatever the state holds', () => {
    const r = updateRates(emptyRates(), w(40, 0), 0);
    expect(pendingByWait(r, 0, MIN)).toEqual([]);
    expect(pendingByWait(r, 40, MIN)).toEqual([[40, 1]]);
  });

  test('a backlog of hours keeps at most 60 groups, merging the two oldest at the older time', () => {
    let r = updateRates(emptyRates(), w(1, 0), 0);
    for (let m = 1; m <= 61; m += 1) r = updateRates(r, w(m + 1, 0), m * MIN);
    expect(r.waiting).toHaveLength(60);
    expect(r.waiting![0]).toEqual([3, 0]);
    expect(r.waiting![1]).toEqual([1, 2 * MIN]);
    expect(r.waiting!.reduce((a, [n]) => a + n, 0)).toBe(62);
  });
});

describe('per task name: durations by Little\'s law, and the queue each came from', () => {
  const named = (active: Record<string, number>, totals: Record<string, number>, over: Partial<NodeObservation> = {}): NodeObservation =>
    node('a', { active: Object.values(active).reduce((x, y) => x + y, 0), activeByTask: active, totals, taskQueues: { x: 'q', y: 'r' }, processed: Object.values(totals).reduce((x, y) => x + y, 0), concurrency: 4, ...over });

  test('active slot-seconds by the trapezoid, and what ended is what started less what still runs', () => {
    let r = updateRates(emptyRates(), sample({ q: 0, r: 0 }, [named({ x: 2 }, { x: 10 })]), 0);
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 14 })]), MIN);
    // (2 + 1) / 2 slots × 60 s = 90 slot-seconds; 4 started, one fewer runs: 5 ended.
    expect(r.durations).toEqual({ x: [90, 5, 'q', 0, 0] });
    // Mean 18 s per task on 4 slots: 0.075 worker-minutes.
    expect(workerMinutesPerName(r, 'x')).toBeCloseTo(18 / 60 / 4, 9);
    expect(workerMinutesPerTask(r)).toEqual({ q: expect.closeTo(18 / 60 / 4, 9) });
    // Over two minutes the same counts are twice the slot-seconds (the sums first forget by e^(−2/30)).
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({ x: 3 }, { x: 14 })]), 3 * MIN);
    expect(r.durations!.x[0]).toBeCloseTo(90 * Math.exp(-2 / 30) + 2 * 120, 9);
  });

  test('the sums forget with a 30-minute time constant', () => {
    let r = updateRates(emptyRates(), sample({ q: 0, r: 0 }, [named({ x: 2 }, { x: 10 })]), 0);
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 14 })]), MIN);
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 14 })]), 2 * MIN);
    const d = Math.exp(-1 / 30);
    expect(r.durations!.x[0]).toBeCloseTo(90 * d + 60, 9);
    expect(r.durations!.x[1]).toBeCloseTo(5 * d, 9);
  });

  test('a restarted worker counts its new totals as started, and a name that stopped still counts its last slot-time', () => {
    let r = updateRates(emptyRates(), sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 100, y: 7 })]), 0);
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({ y: 1 }, { y: 3 })]), MIN);
    // x: no total now (0 < 100, restarted): nothing started since, and what ran before the restart is not seen ending.
    // y: 3 < 7, restarted: 3 started, 1 runs: 2 ended.
    expect(r.durations).toEqual({ x: [30, 0, 'q', 0, 0], y: [30, 2, 'r', 0, 0] });
  });

  test('a name unchanged between samples ended nothing', () => {
    let r = updateRates(emptyRates(), sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 14 })]), 0);
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 14 })]), MIN);
    expect(r.durations).toEqual({ x: [60, 0, 'q', 0, 0] });
  });

  test('a node not seen at the earlier sample adds nothing (its tasks started unseen)', () => {
    let r = updateRates(emptyRates(), sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 14 })]), 0);
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({ x: 1 }, { x: 14 }, { node: 'b', taskId: 'b' })]), MIN);
    expect(r.durations).toEqual({});
  });

  test('workers that do not report per name keep no per-name state', () => {
    let r = updateRates(emptyRates(), sample({ q: 3 }, [node('a', { processed: 1 })]), 0);
    r = updateRates(r, sample({ q: 5 }, [node('a', { processed: 2 })]), MIN);
    expect(r.tasksByNode).toBeUndefined();
    expect(r.queueWaiting).toBeUndefined();
    expect(r.queuePending).toBeUndefined();
    expect(r.durations).toBeUndefined();
  });

  test('a duration is trusted from three completions, and shared over the worker\'s slots', () => {
    const at = (done: number): RateState => ({ muSamples: 0, concurrency: 2, durations: { x: [240, done, 'q'] } });
    expect(workerMinutesPerName(at(2.9), 'x')).toBeUndefined();
    expect(workerMinutesPerName(at(3), 'x')).toBeCloseTo(240 / 3 / 60 / 2, 9);
    expect(workerMinutesPerTask(at(2.9))).toEqual({});
    expect(workerMinutesPerTask(at(3))).toEqual({ q: expect.closeTo(240 / 3 / 60 / 2, 9) });
    expect(workerMinutesPerName(at(3), 'y')).toBeUndefined();
    // A queue sums its names; a name of no known queue counts for none.
    const two: RateState = { muSamples: 0, durations: { x: [60, 2, 'q'], y: [120, 2, 'q'], z: [600, 9, null] } };
    expect(workerMinutesPerTask(two)).toEqual({ q: expect.closeTo(180 / 4 / 60, 9) });
  });

  test('over an interval its node is full with tasks waiting at both samples, a name\'s slot-time is exact, and its length is read from such intervals', () => {
    // Four slots full of x at both samples, 50 and 30 waiting: 240 slot-seconds, 20 ended: 12 s each.
    let r = updateRates(emptyRates(), sample({ q: 50, r: 0 }, [named({ x: 4 }, { x: 10 })]), 0);
    r = updateRates(r, sample({ q: 30, r: 0 }, [named({ x: 4 }, { x: 30 })]), MIN);
    expect(r.durations).toEqual({ x: [240, 20, 'q', 240, 20] });
    // The queue drains within the next minute and the slots empty: the trapezoid reads 120
    // slot-seconds for 38 ended (34 started, and the 4 that ran: 3.2 s each), though the slots were full until the queue emptied.
    r = updateRates(r, sample({ q: 0, r: 0 }, [named({}, { x: 64 })]), 2 * MIN);
    const d = Math.exp(-1 / 30);
    expect(r.durations!.x).toEqual([expect.closeTo(240 * d + 120, 9), expect.closeTo(20 * d + 38, 9), 'q', expect.closeTo(240 * d, 9), expect.closeTo(20 * d, 9)]);
    // The length is the full intervals' 12 s, not all intervals' (240d + 120) / (20d + 38) ≈ 6.1 s.
    expect(workerMinutesPerName(r, 'x')).toBeCloseTo(12 / 60 / 4, 9);
    expect(workerMinutesPerTask(r)).toEqual({ q: expect.closeTo(12 / 60 / 4, 9) });
  });

  test('a node full at both samples counts as full only with tasks waiting at both, and only when every slot is busy at both', () => {
    const fullOf = (pending: [number, number], active: [number, number]): number[] => {
      let r = updateRates(emptyRates(), sample({ q: pending[0], r: 0 }, [named({ x: active[0] }, { x: 10 })]), 0);
      r = updateRates(r, sample({ q: pending[1], r: 0 }, [named({ x: active[1] }, { x: 30 })]), MIN);
      return r.durations!.x.slice(3) as number[];
    };
    expect(fullOf([5, 5], [4, 4])).toEqual([240, 20]);
    // Without a backlog a node is full more often while its tasks run long: not exact, left out.
    expect(fullOf([0, 5], [4, 4])).toEqual([0, 0]);
    expect(fullOf([5, 0], [4, 4])).toEqual([0, 0]);
    expect(fullOf([5, 5], [3, 4])).toEqual([0, 0]);
    expect(fullOf([5, 5], [4, 3])).toEqual([0, 0]);
    // Each node by its own slots, not the most any worker has: two slots busy of two is full beside a four-slot node.
    const pair = (active: number) => [named({ x: 2 }, { x: active }, { node: 'a', concurrency: 2 }), named({ x: 1 }, { x: 5 }, { node: 'b', taskId: 'b', concurrency: 4 })];
    let r = updateRates(emptyRates(), sample({ q: 5, r: 0 }, pair(10)), 0);
    r = updateRates(r, sample({ q: 5, r: 0 }, pair(16)), MIN);
    expect(r.concurrency).toBe(4);
    expect(r.durations!.x.slice(3)).toEqual([120, 6]);
  });

  test('a name with fewer than three ended in full intervals keeps its length over all intervals; a queue weighs each name by its completions', () => {
    const at = (fullDone: number): RateState => ({ muSamples: 0, concurrency: 1, durations: { x: [600, 10, 'q', 90, fullDone], y: [300, 10, 'q'] } });
    expect(workerMinutesPerName(at(2.9), 'x')).toBeCloseTo(60 / 60, 9);
    expect(workerMinutesPerName(at(3), 'x')).toBeCloseTo(30 / 60, 9);
    // y has no full sums (a history written before them): all intervals.
    expect(workerMinutesPerName(at(3), 'y')).toBeCloseTo(30 / 60, 9);
    expect(workerMinutesPerTask(at(2.9))).toEqual({ q: expect.closeTo(900 / 20 / 60, 9) });
    expect(workerMinutesPerTask(at(3))).toEqual({ q: expect.closeTo((10 * 30 + 300) / 20 / 60, 9) });
    // A name with slot-time and nothing ended yet (a long task running) counts its slot-time in its queue's mean.
    const running: RateState = { muSamples: 0, concurrency: 1, durations: { x: [600, 10, 'q', 90, 3], z: [300, 0, 'q'] } };
    expect(workerMinutesPerTask(running)).toEqual({ q: expect.closeTo((10 * 30 + 300) / 10 / 60, 9) });
  });

  test('a stream\'s mean length is read over all intervals, not the full ones: a backlog forms where long tasks hold the slots', () => {
    // x: 600 slot-seconds over 10 ended in all, 90 over 3 in the full ones (which would read 30 s a task).
    const at: RateState = { muSamples: 0, concurrency: 1, durations: { x: [600, 10, 'q', 90, 3], y: [300, 10, 'q'] } };
    expect(workerMinutesPerTask(at, { stream: true })).toEqual({ q: expect.closeTo(900 / 20 / 60, 9) });
    expect(workerMinutesPerTask(at)).toEqual({ q: expect.closeTo((10 * 30 + 300) / 20 / 60, 9) });
  });

  test('at most 50 names are remembered: the least busy go first', () => {
    const names = Array.from({ length: 51 }, (_, i) => `t${i}`);
    const active = Object.fromEntries(names.map((n, i) => [n, i + 1]));
    const totals = Object.fromEntries(names.map((n) => [n, 1]));
    let r = updateRates(emptyRates(), sample({ q: 0 }, [node('a', { activeByTask: active, totals, processed: 51 })]), 0);
    r = updateRates(r, sample({ q: 0 }, [node('a', { activeByTask: active, totals, processed: 51 })]), MIN);
    expect(Object.keys(r.durations!)).toHaveLength(50);
    expect(r.durations!.t0).toBeUndefined();
    expect(r.durations!.t50).toEqual([51 * 60, 0, null, 0, 0]);
  });
});

describe('per queue: the waiting groups of each, from its pending and the tasks of its names started', () => {
  const worker = (totals: Record<string, number>, over: Partial<NodeObservation> = {}): NodeObservation =>
    node('a', { activeByTask: {}, totals, processed: Object.values(totals).reduce((x, y) => x + y, 0), taskQueues: {}, ...over });

  test('the first sample dates each non-empty queue now', () => {
    const r = updateRates(emptyRates(), sample({ q: 30, r: 0 }, [worker({})]), 7 * MIN);
    expect(r.queueWaiting).toEqual({ q: [[30, 7 * MIN]], r: [] });
    expect(r.queuePending).toEqual({ q: 30, r: 0 });
  });

  test('arrivals = growth of the queue + its names started, the queue of a name read from the tasks it ran', () => {
    const routes = { taskQueues: { x: 'q', y: 'r' } };
    let r = updateRates(emptyRates(), sample({ q: 30, r: 10 }, [worker({ x: 0, y: 0 }, routes)]), 0);
    // x (from q) started 20 of q's 30 and 15 more came; y (from r) started 4 and none came.
    r = updateRates(r, sample({ q: 25, r: 6 }, [worker({ x: 20, y: 4 }, routes)]), MIN);
    expect(r.queueWaiting).toEqual({ q: [[10, 0], [15, 0]], r: [[6, 0]] });
    // No task running now: each name's queue is the one remembered with its duration.
    r = updateRates(r, sample({ q: 25, r: 6 }, [worker({ x: 30, y: 10 })]), 2 * MIN);
    expect(r.queueWaiting).toEqual({ q: [[15, 0], [10, MIN]], r: [[6, MIN]] });
  });

  test('a name called as its queue counts for that queue without having been seen running', () => {
    let r = updateRates(emptyRates(), sample({ q: 30 }, [worker({ q: 0 })]), 0);
    r = updateRates(r, sample({ q: 25 }, [worker({ q: 20 })]), MIN);
    expect(r.queueWaiting).toEqual({ q: [[10, 0], [15, 0]] });
  });

  test('a name of no known queue counts for none', () => {
    let r = updateRates(emptyRates(), sample({ q: 30 }, [worker({ other: 0 })]), 0);
    r = updateRates(r, sample({ q: 25 }, [worker({ other: 20 })]), MIN);
    // q shrank by 5 and nothing of it started that we know of: no arrivals, the 25 youngest of the 30.
    expect(r.queueWaiting).toEqual({ q: [[25, 0]] });
  });

  test('a node first seen at the later sample counts nothing', () => {
    let r = updateRates(emptyRates(), sample({ q: 30 }, [worker({ q: 0 })]), 0);
    r = updateRates(r, sample({ q: 25 }, [worker({ q: 0 }), worker({ q: 20 }, { node: 'b', taskId: 'b' })]), MIN);
    expect(r.queueWaiting).toEqual({ q: [[25, 0]] });
  });
});

describe("how long the arrivals run: each queue's task length weighed by its own arrival rate", () => {
  const worker = (totals: Record<string, number>): NodeObservation =>
    node('a', { activeByTask: {}, totals, processed: Object.values(totals).reduce((x, y) => x + y, 0), taskQueues: { fast: 'fast', slow: 'slow' } });
  /** One-minute samples: per minute [fast arrivals, slow arrivals], each started within its minute. */
  function feed(perMinute: [number, number][]): RateState {
    const totals = { fast: 0, slow: 0 };
    let r = updateRates(emptyRates(), sample({ fast: 0, slow: 0 }, [worker({ ...totals })]), 0);
    perMinute.forEach(([f, sl], i) => {
      totals.fast += f;
      totals.slow += sl;
      r = updateRates(r, sample({ fast: 0, slow: 0 }, [worker({ ...totals })]), (i + 1) * MIN);
    });
    return r;
  }
  const lengths = (q: string) => (q === 'slow' ? 2 : 0.05);

  test('a trickle of long tasks beside bursts of short ones runs as long as the trickle (μ is set by the bursts)', () => {
    // 3 slow tasks a minute; 600 fast ones in one minute of five: the fast queue's lower median is 0.
    const r = feed([[0, 3], [600, 3], [0, 3], [0, 3], [0, 3]]);
    expect(r.queueArrivalRates).toEqual({ fast: [0, 600, 0, 0, 0], slow: [3, 3, 3, 3, 3] });
    expect(arrivalTaskMin(r, lengths)).toBeCloseTo(2, 9);
  });

  test('both queues arriving steadily: the mean weighed by their rates', () => {
    const r = feed([[30, 10], [30, 10], [30, 10]]);
    expect(arrivalTaskMin(r, lengths)).toBeCloseTo((30 * 0.05 + 10 * 2) / 40, 9);
  });

  test('unknown until a queue has three intervals, or while nothing arrives', () => {
    expect(arrivalTaskMin(feed([[0, 3], [0, 3]]), lengths)).toBeUndefined();
    expect(arrivalTaskMin(feed([[0, 0], [0, 0], [0, 0]]), lengths)).toBeUndefined();
  });

  test('per minute, over intervals of any length', () => {
    const totals = { fast: 0, slow: 0 };
    let r = updateRates(emptyRates(), sample({ fast: 0, slow: 0 }, [worker({ ...totals })]), 0);
    totals.slow += 6;
    r = updateRates(r, sample({ fast: 0, slow: 0 }, [worker({ ...totals })]), 2 * MIN);
    expect(r.queueArrivalRates).toEqual({ fast: [0], slow: [3] });
  });

  test('the last five intervals only', () => {
    const r = feed([[9, 9], [9, 9], [9, 9], [9, 9], [9, 9], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1]]);
    expect(r.queueArrivalRates).toEqual({ fast: [1, 1, 1, 1, 1], slow: [1, 1, 1, 1, 1] });
  });
});

describe('how long a bound message may wait', () => {
  const at = (over: Partial<NodeObservation>): ServiceObservation => sample({ q: 0 }, [node('a', { processed: 10, concurrency: 2, ...over })]);

  test('a reserved message while a slot is free is not bound behind a task', () => {
    expect(updateRates(emptyRates(), at({ active: 1, reserved: 1, longestActiveSeconds: 600 }), 0).boundWaitMin).toBeUndefined();
    expect(updateRates(emptyRates(), at({ active: 2, reserved: 1, longestActiveSeconds: 600 }), 0).boundWaitMin).toBe(10);
  });

  test('bound with no running time known yet keeps nothing', () => {
    expect(updateRates(emptyRates(), at({ active: 2, reserved: 1 }), 0).boundWaitMin).toBeUndefined();
  });
});
