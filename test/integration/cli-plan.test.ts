import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CeleryControl } from '../../lib/celery/control';
import { CeleryWorker } from '../../local/celery/worker';
import { freePort, waitFor } from '../../local/processes';
import { LocalStack } from '../../local/local-stack';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');
const svc = { minWorkers: 0, maxWorkers: 4, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0, stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, idleMinutes: 0 };

describe('celery-autoscaler plan (a dry run against the live broker and the ECS emulator)', () => {
  let stack: LocalStack;
  let plan: (...args: string[]) => Promise<{ stdout: string; stderr: string }>;
  const stateKeys = async () => (await stack.client.keys('celery-autoscaler:*')).sort();

  beforeAll(async () => {
    // No workers: the backlog stays put while the commands read it.
    stack = await LocalStack.start({ services: { web: { ...svc, queues: ['q1'] }, idle: { ...svc, queues: ['q2'] } } });
    await stack.publishRecorded('q1', Array.from({ length: 150 }, (_, i) => `p${i}`), 0.01);
    const config = process.env.AUTOSCALER_CONFIG_PATH as string;
    plan = (...args) => run('node', [BIN, 'plan', '--config', config, '--stage', 'local', ...args]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test('prints what the cycle would do right now, and changes nothing: no ECS write, no history', async () => {
    const before = await stateKeys();
    const { stdout } = await plan('--ecs-endpoint', stack.ecs.endpoint);
    expect(stdout).toMatch(/^ {2}service\s+pending\s+in flight\s+tasks\/min\/worker\s+arrivals\/min\s+current\s+target\s+reason$/m);
    expect(stdout).toMatch(/^ {2}web\s+150\s+0\s+60 configured\s+0\s+0\s+3\s+backlog 150 \(150 pending, 0 in flight\).* → 3 workers$/m);
    expect(stdout).toMatch(/^ {2}idle\s+0\s+0\s+60 configured\s+0\s+0\s+0\s+.*no change$/m);
    expect(stdout).toMatch(/dry run: nothing was changed/);
    expect(stack.ecs.callsOf('DescribeServices').length).toBeGreaterThan(0);
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
    expect(stack.ecs.callsOf('UpdateTaskProtection')).toHaveLength(0);
    expect(await stateKeys()).toEqual(before);
  });

  test('a service ECS Service Auto Scaling also scales is not scaled, and the plan says why and what removes it', async () => {
    stack.ecs.setScalableTarget('local', 'web', { min: 1, max: 4 });
    try {
      const { stdout } = await plan('--ecs-endpoint', stack.ecs.endpoint, '--json');
      const web = JSON.parse(stdout).services.find((r: { service: string }) => r.service === 'web');
      expect(web).toMatchObject({ pending: 150, current: 0, target: 0, change: 'none' });
      expect(web.reason).toMatch(/^not scaled: ECS Service Auto Scaling \(Application Auto Scaling\) also scales service\/local\/web \(scalable target, min 1, max 4\): .*deregister-scalable-target .*--resource-id service\/local\/web\) or the service's config sets allowOtherAutoscaling: true$/);
      expect(JSON.parse(stdout).holds).toEqual(expect.arrayContaining([{ service: 'web', reason: web.reason }]));
      expect(stack.ecs.callsOf('DescribeScalableTargets').map((c) => c.params)).toEqual(expect.arrayContaining([
        { ServiceNamespace: 'ecs', ResourceIds: ['service/local/web'], ScalableDimension: 'ecs:service:DesiredCount' },
      ]));
    } finally {
      stack.ecs.setScalableTarget('local', 'web', null);
    }
  });

  test('--no-ecs with --current, overrides from flags, as JSON', async () => {
    const { stdout } = await plan('--no-ecs', '--current', 'web=2,idle=0', '--set', 'web.maxWorkers=2', '--json');
    const out = JSON.parse(stdout);
    expect(out.dryRun).toBe(true);
    expect(out.services).toEqual([
      expect.objectContaining({ service: 'web', pending: 150, inFlight: 0, throughput: 60, throughputMeasured: false, current: 2, target: 2, change: 'none', reason: expect.stringContaining('(max 2)') }),
      expect.objectContaining({ service: 'idle', current: 0, target: 0, change: 'none' }),
    ]);
  });

  test.each([
    ['an override above maxWorkers', ['--set', 'web.minWorkers=9', '--no-ecs', '--current', '0'], /^error: --set web\.minWorkers=9: services\.web\.minWorkers: 9 is above maxWorkers \(4\)$/],
    ['an unknown service in --set', ['--set', 'api.desired=1', '--no-ecs', '--current', '0'], /services\.api: unknown service \(configured: web, idle\)/],
    ['--no-ecs without --current', ['--no-ecs'], /^error: --current is required with --no-ecs/],
    ['a count for an unknown service', ['--no-ecs', '--current', 'web=1,api=2'], /^error: --current web=1,api=2: api: unknown service/],
  ])('%s: a usage error, one line naming the flag and the hint, exit 2', async (_name, args, message) => {
    const err = await plan(...args).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr.trim().split('\n')).toEqual([expect.stringMatching(message), '(celery-autoscaler plan --help lists the options)']);
  });

  test('an unreachable broker: one line in the user\'s words (the URL given), exit 1', async () => {
    const port = await freePort();
    const err = await plan('--no-ecs', '--current', '1', '--broker-url', `redis://127.0.0.1:${port}/0`).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(new RegExp(`^error: the broker at redis://127\\.0\\.0\\.1:${port}/0 is not reachable: no connection after \\d+\\.\\d s`));
  });

  test('ECS that cannot be read: exit 1 naming what could not be read, no table', async () => {
    const port = await freePort();
    const err = await plan('--ecs-endpoint', `http://127.0.0.1:${port}`).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout).toBe('');
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/^error: cannot plan without the current worker counts: ECS local\/web: .*— check the region .* or plan with --no-ecs --current N$/m);
  });

  test('--no-ecs: a worker that does not answer holds the scale-down and is named in the reason', async () => {
    // A solo-pool worker running a task cannot answer remote control.
    const busy = await CeleryWorker.start({ brokerUrl: stack.redis.url, queues: ['busy'], nodeName: 'busy@test', pool: 'solo', concurrency: 1 });
    try {
      await stack.publish('busy', [{ task: 'tasks.sleep_task', args: [30] }]);
      const control = new CeleryControl(stack.client, stack.config.broker);
      await waitFor('the solo worker to stop answering', async () => !('busy@test' in (await control.ping({ destination: ['busy@test'], timeoutMs: 300 })).replies), 10_000, 100);
      control.close();
      const { stdout } = await plan('--no-ecs', '--current', 'web=4,idle=0', '--json');
      const web = JSON.parse(stdout).services.find((r: { service: string }) => r.service === 'web');
      expect(web).toEqual(expect.objectContaining({ current: 4, target: 4, change: 'none', reason: 'no scale-down: 1 worker(s) did not answer (an unnamed worker (no reply to ping))' }));
      expect(web.missingNodes).toEqual(['an unnamed worker (no reply to ping)']);
    } finally {
      await busy.stop('SIGKILL', 0);
    }
  });
});
