import { computePlan, decide } from '../../lib/cycle/compute-plan';
import { summarize } from '../../lib/cycle/measure-queues';
import type { Measurement } from '../../lib/cycle/payloads';
import { runSync } from '../../lib/cycle/ports';
import type { ServiceConfig } from '../../lib/config';
import { MeasurementLostError } from '../../lib/errors';
import type { Observation } from '../../lib/observation';
import type { ScaleTimes } from '../../lib/state/store';
import { EXEC, SERVICE, T0, configOf, cycle, ecsObs, fakeEnv, serviceConfig, taskId } from '../support/fake-env';

const observation = (pending: number, workers: number): Observation => ({
  at: T0,
  services: {
    [SERVICE]: {
      queues: { q1: pending, q2: 0 },
      nodes: Array.from({ length: workers }, (_, i) => ({ node: `celery@${taskId(i + 1)}`, taskId: taskId(i + 1), active: 0, reserved: 0, scheduled: 0, processed: 0 })),
      missingNodes: [], ecs: ecsObs(workers), errors: [],
    },
  },
});

/** The payload MeasureQueues passes on for this observation. */
const measurementOf = (o: Observation, over: Partial<Measurement> = {}): Measurement => ({
  cycle: cycle(), input: {}, services: Object.fromEntries(Object.entries(o.services).map(([n, s]) => [n, summarize(s)])), ...over,
});

/** A fake env whose store holds the observation, as MeasureQueues leaves it; and the payload. */
function measured(pending: number, workers: number, over: Partial<Measurement> = {}, env = fakeEnv()) {
  const o = observation(pending, workers);
  env.store.saveObservation(EXEC, o, 60_000);
  return { env, m: measurementOf(o, over) };
}

describe('ComputePlan decide: the planner’s decisions as changes and holds', () => {
  interface Row {
    name: string;
    cfg?: Partial<ServiceConfig>;
    pending: number;
    workers: number;
    times?: ScaleTimes;
    skipCooldown?: boolean;
    desired?: number;
    /** ECS Service Auto Scaling on the service, as MeasureQueues records it. */
    other?: string;
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
    { name: 'a service another autoscaler scales is held with its reason, a backlog notwithstanding', pending: 3000, workers: 1, other: 'ECS Service Auto Scaling (Application Auto Scaling) also scales service/c/web-svc', expected: /^not scaled: ECS Service Auto Scaling \(Application Auto Scaling\) also scales service\/c\/web-svc$/ },
    { name: 'and by hand too', pending: 0, workers: 1, desired: 3, other: 'ECS Service Auto Scaling also scales it', expected: /^not scaled: ECS Service Auto Scaling also scales it$/ },
    { name: 'the throughput travels rounded to hundredths', cfg: { tasksPerWorkerPerMinute: 1 / 3 }, pending: 10, workers: 0, expected: { from: 0, to: 8, direction: 'up', perWorkerPerMinute: 0.33 } },
  ];
  test.each(rows)('$name', (r) => {
    const services = { [SERVICE]: serviceConfig(r.cfg) };
    const o = observation(r.pending, r.workers);
    if (r.other) o.services[SERVICE].otherAutoscaling = r.other;
    const { output } = decide(services, { cycle: cycle() }, o, { skipCooldown: r.skipCooldown ?? false, dryRun: false, desired: r.desired === undefined ? undefined : { [SERVICE]: r.desired } }, { histories: {}, times: { [SERVICE]: r.times ?? {} } });
    if (r.expected instanceof RegExp) {
      expect(output.changes).toEqual([]);
      expect(output.holds).toEqual([{ service: SERVICE, reason: expect.stringMatching(r.expected) }]);
    } else {
      expect(output.changes).toEqual([{ service: SERVICE, reason: expect.any(String), ...r.expected }]);
      expect(output.holds).toEqual([]);
    }
  });

  test('the repairs MeasureQueues made travel on to Summarize', () => {
    const { output } = decide({ [SERVICE]: serviceConfig() }, { cycle: cycle(), recovered: ['web: repaired'] }, observation(0, 0), { skipCooldown: false, dryRun: true }, { histories: {}, times: {} });
    expect(output).toMatchObject({ recovered: ['web: repaired'], dryRun: true, cycle: cycle() });
  });
});

describe('ComputePlan step over fake ports', () => {
  test('reads history and scale times, and saves the new history on a real run', () => {
    const { env, m } = measured(0, 0, {}, fakeEnv({ config: configOf() }));
    runSync(computePlan(env, m));
    expect(env.calls('history')).toEqual([`history.observation ${EXEC}`, `history.loadHistories [${SERVICE}]`, `history.scaleTimes [${SERVICE}]`, expect.stringMatching(/^history\.saveHistories /)]);
    expect(env.store.loadHistories([SERVICE])[SERVICE]).toBeDefined();
  });

  test('a dry run saves nothing, not even the rates', () => {
    const { env, m } = measured(0, 0, { input: { dryRun: true } });
    runSync(computePlan(env, m));
    expect(env.calls('history.saveHistories')).toEqual([]);
  });

  test('the execution input’s overrides apply, as MeasureQueues validated them', () => {
    const { env, m } = measured(0, 0, { input: { services: { [SERVICE]: { desired: 2 } } } });
    const out = runSync(computePlan(env, m));
    expect(out.changes).toMatchObject([{ service: SERVICE, from: 0, to: 2, direction: 'up' }]);
  });

  test('a scale-up recorded by an earlier cycle holds this one in its cooldown', () => {
    const { env, m } = measured(3000, 1);
    env.store.recordScale(SERVICE, 'up', T0 - 10_000);
    const out = runSync(computePlan(env, m));
    expect(out.changes).toEqual([]);
    expect(out.holds[0].reason).toMatch(/scale-up cooldown/);
  });

  test('plans on the observation MeasureQueues kept, not on the payload’s numbers', () => {
    const { env, m } = measured(3000, 1);
    // The payload's summary says nothing is pending; the kept observation has the backlog.
    const out = runSync(computePlan(env, { ...m, services: { [SERVICE]: { ...m.services[SERVICE], queues: { q1: 0, q2: 0 }, pending: 0 } } }));
    expect(out.changes).toMatchObject([{ service: SERVICE, direction: 'up' }]);
  });

  test('without its observation (the broker lost its data) the cycle fails and plans nothing', () => {
    const env = fakeEnv();
    expect(() => runSync(computePlan(env, measurementOf(observation(3000, 1))))).toThrow(new MeasurementLostError(
      `the measurement of ${EXEC} is no longer in the autoscaler's state (the broker lost its data, or ComputePlan ran more than 15 minutes after MeasureQueues): nothing is scaled; the next cycle measures again`,
    ));
    expect(env.calls('history.saveHistories')).toEqual([]);
  });
});
