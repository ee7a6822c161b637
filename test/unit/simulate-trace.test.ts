import { buildReference, REFERENCE_TRACES } from '../../lib/simulate/reference';
import { formatTraceCsv, parseTraceCsv, TraceFormatError } from '../../lib/simulate/trace';

describe('trace CSV (arrival_s,queue,duration_s)', () => {
  test('a generated trace survives a CSV round trip unchanged', () => {
    const { trace } = buildReference(REFERENCE_TRACES.find((t) => t.name === 'mix')!, 7);
    expect(parseTraceCsv(formatTraceCsv(trace.tasks))).toEqual(trace.tasks);
  });

  test('the header is optional, blank and # lines are skipped, rows are sorted by arrival', () => {
    expect(parseTraceCsv('# exported\n\n5,emails,1.5\n0.25,default,3\n')).toEqual([
      { arrival: 0.25, queue: 'default', duration: 3 },
      { arrival: 5, queue: 'emails', duration: 1.5 },
    ]);
  });

  // [name, csv, error naming the line and column]
  const rejected: [string, string, RegExp][] = [
    ['a missing column', 'arrival_s,queue,duration_s\n1,q', /^f line 2, column duration_s: expected 3 columns/],
    ['an extra column', '1,q,2\n3,q,4,5', /^f line 2, column 4: expected 3 columns/],
    ['an arrival that is not a number', '1,q,2\n\nsoon,q,2', /^f line 3, column arrival_s: "soon" is not a number/],
    ['a negative duration', '1,q,-2', /^f line 1, column duration_s: must be ≥ 0 \(got -2\)/],
    ['an empty queue', '1, ,2', /^f line 1, column queue: missing value/],
    ['a queue name with a space', '1,my queue,2', /^f line 1, column queue: "my queue" is not a queue name/],
    ['no task at all', 'arrival_s,queue,duration_s\n', /^f line 2, column arrival_s: no tasks in the file/],
  ];
  test.each(rejected)('rejects %s, naming the line and column', (_n, csv, message) => {
    expect(() => parseTraceCsv(csv, 'f')).toThrow(TraceFormatError);
    expect(() => parseTraceCsv(csv, 'f')).toThrow(message);
  });
});

describe('reference traces', () => {
  test.each(REFERENCE_TRACES.map((t) => [t.name, t] as const))('%s: the same seed gives the same tasks, another seed others', (_n, ref) => {
    const csv = (seed: number) => formatTraceCsv(buildReference(ref, seed).trace.tasks);
    const a = csv(1);
    expect(csv(1)).toBe(a);
    expect(csv(2)).not.toBe(a);
    expect(a.split('\n').length).toBeGreaterThan(3);
  });

  test('each service\'s μ is what its workers really do: concurrency × 60 / mean duration', () => {
    const { trace, setup } = buildReference(REFERENCE_TRACES.find((t) => t.name === 'steady')!, 1);
    const mean = trace.tasks.reduce((a, t) => a + t.duration, 0) / trace.tasks.length;
    expect(setup.services[0].config.tasksPerWorkerPerMinute).toBeCloseTo((2 * 60) / mean, 1);
  });

  // The traces written to break the planner hold, on any seed, what their descriptions say.
  const tasksOf = (name: string, seed: number) => buildReference(REFERENCE_TRACES.find((t) => t.name === name)!, seed).trace.tasks;
  const within = (tasks: { arrival: number }[], from: number, to: number) => tasks.filter((t) => t.arrival >= from && t.arrival < to).length;
  test.each([1, 2, 3])('seed %i: blast and flash put their thousands within 90 s and 4 min of a quiet queue', (seed) => {
    const blast = tasksOf('blast', seed);
    expect(within(blast, 40 * 60, 40 * 60 + 90)).toBeGreaterThanOrEqual(6000);
    expect(within(blast, 0, 40 * 60)).toBeLessThan(80);
    const flash = tasksOf('flash', seed);
    expect(within(flash, 3 * 3600, 3 * 3600 + 240)).toBeGreaterThanOrEqual(25000);
    expect(within(flash, 0, 3 * 3600)).toBeLessThan(100);
    expect(flash.every((t) => t.duration <= 5)).toBe(true);
  });

  test.each([1, 2, 3])('seed %i: transcodes come in clumps of 10–30 tasks of 4–15 min, 1–2 h apart', (seed) => {
    const tasks = tasksOf('transcodes', seed);
    expect(tasks.every((t) => t.duration >= 240 && t.duration <= 900)).toBe(true);
    const clumps: number[][] = [];
    for (const t of tasks) {
      const last = clumps[clumps.length - 1];
      if (last && t.arrival - last[0] < 3 * 60) last.push(t.arrival); else clumps.push([t.arrival]);
    }
    expect(clumps.length).toBeGreaterThanOrEqual(4);
    for (const c of clumps) expect(c.length).toBeGreaterThanOrEqual(10);
    for (const c of clumps) expect(c.length).toBeLessThanOrEqual(30);
    for (let i = 1; i < clumps.length; i += 1) expect(clumps[i][0] - clumps[i - 1][0]).toBeGreaterThanOrEqual(3600 - 3 * 60);
  });

  test.each([1, 2, 3])('seed %i: webhooks have quiet hours at about 5/min and bursty hours far above it', (seed) => {
    const tasks = tasksOf('webhooks', seed);
    const perHour = Array.from({ length: 12 }, (_, h) => within(tasks, h * 3600, (h + 1) * 3600));
    const quiet = perHour.filter((n) => n < 600);
    const bursty = perHour.filter((n) => n >= 900);
    expect(quiet.length).toBeGreaterThanOrEqual(2);
    expect(bursty.length).toBeGreaterThanOrEqual(2);
    for (const n of quiet) expect(n).toBeGreaterThan(200);
  });

  test('the planner\'s knobs are the same on every trace; only the workload\'s facts differ', () => {
    const knobs = (cfg: Record<string, unknown>) => ['scaleUpThreshold', 'scaleDownThreshold', 'scaleUpCooldownSeconds', 'scaleDownCooldownSeconds', 'stabilizationSeconds', 'drainTimeoutSeconds', 'idleMinutes'].map((k) => cfg[k]);
    const all = REFERENCE_TRACES.flatMap((t) => buildReference(t, 1).setup.services.map((s) => JSON.stringify(knobs(s.config))));
    expect(new Set(all).size).toBe(1);
  });
});
