import { drainOneByOne, Fleet, FLEETS, runFleetCycle } from '../../bench/fleet';
import { DRAIN_NODES_BUDGET_BYTES, PAYLOAD_BUDGET_BYTES } from '../../lib/cycle/sizes';
import type { Drain } from '../../lib/cycle/payloads';
import { DRAIN_HISTORY_EVENTS, EVENTS_PER_POLL, pollSecondsFor } from '../../lib/cycle/drain-workers';

// The real steps at the fleet sizes users run: every state's input and output stays within a
// quarter of Step Functions' 256 KiB, whatever the number of workers, task names or queues.
describe.each(Object.entries(FLEETS))('%s, 200 task names of 60 characters', (_name, shape) => {
  const k = shape.workersPerService >= 1000 ? 100 : 10;
  const fleet = new Fleet(shape);
  const run = drainOneByOne(fleet, k);

  test('every state of the cycle, a whole drain included, passes on at most 64 KiB', () => {
    const over = Object.entries(run.sizes).filter(([, s]) => s.input > PAYLOAD_BUDGET_BYTES || s.output > PAYLOAD_BUDGET_BYTES);
    expect(over).toEqual([]);
    expect(Object.keys(run.sizes)).toEqual(expect.arrayContaining(['MeasureQueues', 'ComputePlan', 'CheckCooldown', 'DrainWorkers', 'CheckDrain', 'ScaleDown', 'ReleaseProtection', 'Summarize']));
  });

  test(`each service's ${k} drained workers empty one by one and each is removed as it empties`, () => {
    expect(Object.keys(run.paths)).toHaveLength(shape.services);
    for (const path of Object.values(run.paths)) {
      expect(path.filter((s) => s === 'ScaleDown')).toHaveLength(k);
      expect(path.at(-1)).toBe('ScaledDown');
    }
    expect(run.sizes.ScaleDown.runs).toBe(k * shape.services);
    for (const [service, tasks] of fleet.tasks) {
      const stopped = tasks.filter((t) => t.desiredStatus === 'STOPPED').map((t) => `celery@${t.taskId}`);
      expect(stopped.sort()).toEqual([...fleet.emptied].filter((n) => tasks.some((t) => n === `celery@${t.taskId}`)).sort());
      expect(stopped).toHaveLength(k);
      expect(service).toMatch(/^svc/);
    }
  });

  test('the summary names each service once, in a line', () => {
    const summary = run.summary as { actions: string[] };
    expect(summary.actions).toHaveLength(shape.services);
    for (const line of summary.actions) expect(line).toMatch(/^svc\d+: scaled down \d+ → \d+: removed .*( and \d+ more)?/);
  });
});

test('a drain of every worker of a 1,000-worker service takes the nodes that fit its payload; the next cycle drains the rest', () => {
  const fleet = new Fleet({ ...FLEETS['one service of 1,000 workers'], queuesPerService: 1 });
  let drain: Drain | undefined;
  const run = runFleetCycle(fleet, { services: { svc0: { desired: 0 } }, skipCooldown: true }, (_s, poll, draining) => {
    if (poll === 1) drain = { draining: draining.map((node) => ({ node })) } as unknown as Drain;
    return draining;
  });
  const taken = drain?.draining.length ?? 0;
  expect(taken).toBeGreaterThan(200);
  expect(taken).toBeLessThan(1000);
  expect(Buffer.byteLength(JSON.stringify(drain?.draining.map((d) => ({ node: d.node, taskId: d.node.split('@')[1] }))))).toBeLessThanOrEqual(DRAIN_NODES_BUDGET_BYTES);
  expect(Object.values(run.sizes).every((s) => s.input <= PAYLOAD_BUDGET_BYTES && s.output <= PAYLOAD_BUDGET_BYTES)).toBe(true);
  expect((run.summary as { actions: string[] }).actions[0]).toMatch(new RegExp(`^svc0: scaled down 1000 → ${1000 - taken}:`));
});

test('50 services draining for 10 minutes at once stay within the execution history of 25,000 events: their polls space out', () => {
  const fleet = new Fleet(FLEETS['50 services of 20 workers']);
  const services = Object.fromEntries(Object.keys(fleet.config.services).map((s) => [s, { desired: 10 }]));
  const longest: number[] = [];
  // One worker per service empties each minute: every drain lasts its whole 10 minutes, releasing as it goes.
  const run = runFleetCycle(fleet, { services, skipCooldown: true }, (_s, _poll, draining, elapsed) => {
    longest.push(elapsed);
    return elapsed >= 60_000 * (11 - draining.length) ? draining.slice(0, 1) : [];
  });
  expect(Object.values(run.paths).every((p) => p.filter((s) => s === 'ScaleDown').length === 10)).toBe(true);
  expect(Math.max(...longest)).toBeGreaterThanOrEqual(10 * 60_000);
  expect(run.historyEvents).toBeLessThanOrEqual(25_000);
  expect(run.historyEvents).toBeGreaterThan(5_000);
});

test('a poll is every 5 s for one drain, and spaced so 50 ten-minute drains fit the history', () => {
  expect(pollSecondsFor(600, 1)).toBe(5);
  expect(pollSecondsFor(600, 50)).toBe(36);
  // The budget's arithmetic: polls × events per poll × branches within the drains' share.
  for (const branches of [1, 10, 40, 50]) expect(Math.ceil(900 / pollSecondsFor(600, branches)) * EVENTS_PER_POLL * branches).toBeLessThanOrEqual(DRAIN_HISTORY_EVENTS);
});
