import { floorCalls, measureEcsCalls, renderEcsCalls, type EcsCallsRun } from '../../bench/ecs-calls';

/**
 * A drained scale-down of 10 workers that empty one by one, on 10, 100 and 1,000 tasks: the
 * deployed steps against the ECS emulator through the real SDK (bench/ecs-calls.ts). What a
 * release or a poll costs must not grow with the fleet; only the drain's one protection of every
 * other task, and its clearing, do (⌈N/10⌉ each: UpdateTaskProtection takes 10 tasks).
 */
const runs = new Map<number, EcsCallsRun>();
const calls = (r: EcsCallsRun, phase: keyof EcsCallsRun['byPhase'], op: string) => r.byPhase[phase][op]?.calls ?? 0;
const total = (r: EcsCallsRun, op: string) => r.total[op]?.calls ?? 0;

describe.each([10, 100, 1000])('%i tasks, a drain of 10 emptying one at a time', (n) => {
  let r: EcsCallsRun;
  beforeAll(async () => {
    r = await measureEcsCalls(n);
    runs.set(n, r);
  }, 60_000);

  test('ECS stopped exactly the 10 drained tasks, and no live task is left protected', () => {
    expect(r.stoppedExactly).toBe(true);
    expect(r.protectedAtEnd).toBe(0);
  });

  test('no request above ECS\'s batch limits', () => {
    expect(r.total.UpdateTaskProtection.largest).toBeLessThanOrEqual(10);
    expect(r.total.DescribeTasks.largest).toBeLessThanOrEqual(100);
  });

  test('CheckDrain never lists the service: one DescribeTasks over 20 polls (the poll with a silent node)', () => {
    expect(r.polls).toBe(20);
    expect(r.byPhase.CheckDrain).toEqual({ DescribeTasks: { calls: 1, items: 10, largest: 10 } });
  });

  test('the first release lists the service once (ARNs only) and protects every other task: ⌈(N − 1)/10⌉ calls, + 1 to unprotect the emptied one', () => {
    expect(calls(r, 'first ScaleDown', 'ListTasks')).toBe(Math.ceil(n / 100));
    expect(calls(r, 'first ScaleDown', 'UpdateTaskProtection')).toBe(Math.ceil((n - 1) / 10) + 1);
    expect(r.byPhase['first ScaleDown'].UpdateTaskProtection.items).toBe(n);
  });

  test('each later release costs 4 calls whatever the fleet: DescribeServices, DescribeTasks of its own tasks, one unprotect, UpdateService', () => {
    expect(r.laterEach).toEqual(Array(9).fill(4));
    for (const op of ['DescribeServices', 'DescribeTasks', 'UpdateTaskProtection', 'UpdateService']) expect(calls(r, 'later ScaleDowns', op)).toBe(9);
  });

  test('ReleaseProtection: one DescribeTasks of the released tasks, and ⌈(N − 10)/10⌉ to clear the rest, no listing', () => {
    expect(r.byPhase.ReleaseProtection.DescribeTasks?.calls).toBe(1);
    expect(calls(r, 'ReleaseProtection', 'UpdateTaskProtection')).toBe(Math.ceil((n - 10) / 10));
    expect(calls(r, 'ReleaseProtection', 'ListTasks')).toBe(0);
  });

  test('in all: the DrainWorkers listing, the first release\'s, and the write floor + 1 + 2 reads a release', () => {
    const pages = Math.ceil(n / 100);
    expect(total(r, 'ListTasks')).toBe(2 * pages);
    expect(total(r, 'DescribeServices')).toBe(11);
    expect(total(r, 'UpdateService')).toBe(10);
    expect(total(r, 'DescribeTasks')).toBe(pages + 1 + 10 + 1);
    const writes = total(r, 'UpdateTaskProtection') + total(r, 'UpdateService');
    expect(writes).toBe(floorCalls(n, 10) + 1);
  });
});

test('the bench section renders a row per size', () => {
  const doc = renderEcsCalls([...runs.values()]);
  expect(doc).toMatch(/^## ECS calls per drain/);
  for (const n of ['10', '100', '1,000']) expect(doc).toContain(`| ${n} |`);
  expect(doc).not.toContain('**no**');
});
