import { computePlan, decide } from '../../lib/cycle/compute-plan';
import type { Measurement } from '../../lib/cycle/payloads';
import { runSync } from '../../lib/cycle/ports';
import type { ServiceConfig } from '../../lib/config';
import type { ScaleTimes } from '../../lib/state/store';
import { SERVICE, T0, configOf, cycle, ecsObs, fakeEnv, serviceConfig, taskId } from '../support/fake-env';

const measurement = (pending: number, workers: number, over: Partial<Measurement> = {}): Measurement => ({
  cycle: cycle(), input: {},
  services: {
    [SERVICE]: {
      queues: { q1: pending, q2: 0 },
      nodes: Array.from({ length: workers }, (_, i) => ({ node: `celery@${taskId(i + 1)}`, taskId: taskId(i + 1), active: 0, reserved: 0, scheduled: 0, processed: 0 })),
      missingNodes: [], ecs: ecsObs(workers), errors: [],
    },
  },
  ...over,
});

describe('ComputePlan decide: the planner’s decisions as changes and holds', () => {
  interface Row {
    name: string;
    cfg?: Partial<ServiceConfig>;
    pending: number;
    workers: number;
    times?: ScaleTimes;
    skipCooldown?: boolean;
    desired?: number;
    /** The one change, or the hold's reason. */
    expected: { from: number; to: number; direction: 'up' | 'down'; perWorkerPerMinute: number } | RegExp;
  }
  const rows: Row[] = [
    { name: 'a backlog beyond the fleet is a scale-up, bounded by maxWorkers', pending: 3000, workers: 1, expected: { from: 1, to: 10, direction: 'up', perWorkerPerMinute: 60 } },
    { name: 'a scale-up inside the stored cooldown is a hold', pending: 3000, workers: 1, times: { lastScaleUpAt: T0 - 10_000 }, expected: /scale-up cooldown: 50 s left of 60 s/ },
    { name: 'skipCooldown lets the scale-up through', pending: 3000, workers: 1, times: { lastScaleUpAt: T0 - 10_000 }, skipCooldown: true, expected: { from: 1, to: 10, direction: 'up', perWorkerPerMinute: 60 } },
    { name: 'an operator’s desired count is the change', pending: 0, workers: 0, desired: 3, expected: { from: 0, to: 3, direction: 'up', perWorkerPerMinute: 60 } },
    { name: 'no work and no workers is no change', pending: 0, workers: 0, expected: /no change/ },
    { name: 'an idle fleet past its window and idle time is a scale-down', cfg: { stabilizationSeconds: 0, idleMinutes: 0, scaleDownCooldownSeconds: 0 }, pending: 0, workers: 3, expected: { from: 3, to: 0, direction: 'down', perWorkerPerMinute: 60 } },
    { name: 'the throughput travels rounded to hundredths', cfg: { tasksPerWorkerPerMinute: 1 / 3 }, pending: 10, workers: 0, expected: { from: 0, to: 8, direction: 'up', perWorkerPerMinute: 0.33 } },
  ];
  test.each(rows)('$name', (r) => {
    const services = { [SERVICE]: serviceConfig(r.cfg) };
    const { output } = decide(services, measurement(r.pending, r.workers), { skipCooldown: r.skipCooldown ?? false, dryRun: false, desired: r.desired === undefined ? undefined : { [SERVICE]: r.desired } }, { histories: {}, times: { [SERVICE]: r.times ?? {} } });
    if (r.expected instanceof RegExp) {
      expect(output.changes).toEqual([]);
      expect(output.holds).toEqual([{ service: SERVICE, reason: expect.stringMatching(r.expected) }]);
    } else {
      expect(output.changes).toEqual([{ service: SERVICE, reason: expect.any(String), ...r.expected }]);
      expect(output.holds).toEqual([]);
    }
  });

  test('the repairs MeasureQueues made travel on to Summarize', () => {
    const { output } = decide({ [SERVICE]: serviceConfig() }, measurement(0, 0, { recovered: ['web: repaired'] }), { skipCooldown: false, dryRun: true }, { histories: {}, times: {} });
    expect(output).toMatchObject({ recovered: ['web: repaired'], dryRun: true, cycle: cycle() });
  });
});

describe('ComputePlan step over fake ports', () => {
  test('reads history and scale times, and saves the new history on a real run', () => {
    const env = fakeEnv({ config: configOf() });
    runSync(computePlan(env, measurement(0, 0)));
    expect(env.calls('history')).toEqual([`history.loadHistories [${SERVICE}]`, `history.scaleTimes [${SERVICE}]`, expect.stringMatching(/^history\.saveHistories /)]);
    expect(env.store.loadHistories([SERVICE])[SERVICE]).toBeDefined();
  });

  test('a dry run saves nothing, not even the rates', () => {
    const env = fakeEnv();
    runSync(computePlan(env, measurement(0, 0, { input: { dryRun: true } })));
    expect(env.calls('history.saveHistories')).toEqual([]);
  });

  test('the execution input’s overrides apply, as MeasureQueues validated them', () => {
    const env = fakeEnv();
    const out = runSync(computePlan(env, measurement(0, 0, { input: { services: { [SERVICE]: { desired: 2 } } } })));
    expect(out.changes).toMatchObject([{ service: SERVICE, from: 0, to: 2, direction: 'up' }]);
  });

  test('a scale-up recorded by an earlier cycle holds this one in its cooldown', () => {
    const env = fakeEnv();
    env.store.recordScale(SERVICE, 'up', T0 - 10_000);
    const out = runSync(computePlan(env, measurement(3000, 1)));
    expect(out.changes).toEqual([]);
    expect(out.holds[0].reason).toMatch(/scale-up cooldown/);
  });
});
