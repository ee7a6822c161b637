import { drainOneByOne, Fleet, FLEETS, runFleetCycle } from '../../bench/fleet';
import { DRAIN_NODES_BUDGET_BYTES, PAYLOAD_BUDGET_BYTES } from '../../lib/cycle/sizes';
import type { Drain } from '../../lib/cycle/payloads';

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
