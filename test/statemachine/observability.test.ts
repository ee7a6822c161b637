import { captureOutput, emfValues, jsonLines } from '../support/observability-on';
import { resetRuntime } from '../../lib/runtime';
import { LocalStack } from '../../local/local-stack';

// A password no log line may ever carry, on an ACL user as on ElastiCache with RBAC.
const PASSWORD = 'pw-never-logged-7f3a';
const svc = {
  queues: ['q1', 'q2'], minWorkers: 1, maxWorkers: 4, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0,
  stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 20,
};

describe('logs and metrics of a cycle (captured stdout, real handlers, broker with an ACL user)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 2 } }, redisSecurity: { user: 'autoscaler', password: PASSWORD } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test('a drained scale-down publishes the metrics, every log line carries the Lambda context and names the execution (and the service inside the Map), no password anywhere', async () => {
    const { result: r, stdout, stderr } = await captureOutput(() => stack.cycle());
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toMatchObject({ actions: [expect.stringContaining('scaled down 2 → 1')] });
    const lines = jsonLines(stdout);

    const dims = { service: 'celery-autoscaler', workerService: 'web' };
    expect(emfValues(lines, 'PendingMessages')).toEqual([{ value: 0, dims: { ...dims, queue: 'q1' } }, { value: 0, dims: { ...dims, queue: 'q2' } }]);
    expect(emfValues(lines, 'InFlightTasks')).toEqual([{ value: 0, dims }]);
    expect(emfValues(lines, 'DesiredWorkers')).toEqual([{ value: 2, dims }]);
    expect(emfValues(lines, 'RunningWorkers')).toEqual([{ value: 2, dims }]);
    expect(emfValues(lines, 'MeasureLatency')).toEqual([{ value: expect.any(Number), dims: { service: 'celery-autoscaler' } }]);
    expect(emfValues(lines, 'ScaleActions')).toEqual([{ value: 1, dims }]);
    const [drain] = emfValues(lines, 'DrainDuration');
    expect(drain.dims).toEqual(dims);
    expect(drain.value).toBeGreaterThanOrEqual(0);
    expect(drain.value).toBeLessThan(svc.drainTimeoutSeconds);
    expect(emfValues(lines, 'DrainTimeouts')).toEqual([]);

    const logs = lines.filter((l) => !l._aws);
    expect(logs.map((l) => l.step)).toEqual(expect.arrayContaining(['MeasureQueues', 'ComputePlan', 'CheckCooldown', 'DrainWorkers', 'CheckDrain', 'ScaleDown', 'Summarize']));
    for (const l of logs) {
      expect({ step: l.step, execution: l.execution }).toEqual({ step: l.step, execution: r.executionName });
      // Powertools' Lambda context on every line: the local stack hands each handler one, as Lambda does.
      expect({ step: l.step, cold: typeof l.cold_start, request: l.function_request_id, fn: l.function_name }).toEqual({ step: l.step, cold: 'boolean', request: expect.stringMatching(/^local-\d+$/), fn: `celery-autoscaler-local-${l.step}` });
      if (!['MeasureQueues', 'ComputePlan', 'Summarize'].includes(l.step)) expect({ step: l.step, workerService: l.workerService }).toEqual({ step: l.step, workerService: 'web' });
    }
    expect(stdout + stderr).not.toContain(PASSWORD);
  });

  test('a wrong password fails the cycle with BrokerUnavailableError, and neither password is printed', async () => {
    const wrong = 'wrong-pw-also-secret-91c2';
    process.env.BROKER_URL = stack.redis.url.replace(PASSWORD, wrong);
    await resetRuntime();
    try {
      const { result: r, stdout, stderr } = await captureOutput(() => stack.cycle());
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe('BrokerUnavailableError');
      expect(`${stdout}${stderr}${r.cause}`).not.toContain(wrong);
      expect(`${stdout}${stderr}${r.cause}`).not.toContain(PASSWORD);
      expect(r.cause).toMatch(/WRONGPASS/);
      // Powertools writes ERROR records to stderr (Lambda sends both streams to CloudWatch).
      expect(jsonLines(stderr).filter((l) => l.level === 'ERROR').map((l) => [l.step, l.errorName, l.execution])).toContainEqual(['MeasureQueues', 'BrokerUnavailableError', r.executionName]);
    } finally {
      process.env.BROKER_URL = stack.redis.url;
      await resetRuntime();
    }
  });
});
