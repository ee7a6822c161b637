import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../local/processes';
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
    ['an override above maxWorkers', ['--set', 'web.minWorkers=9', '--no-ecs', '--current', '0'], /^error: invalid execution input: services\.web\.minWorkers: 9 is above maxWorkers \(4\)$/],
    ['an unknown service in --set', ['--set', 'api.desired=1', '--no-ecs', '--current', '0'], /services\.api: unknown service \(configured: web, idle\)/],
    ['--no-ecs without --current', ['--no-ecs'], /--current: --no-ecs needs the current workers/],
    ['a count for an unknown service', ['--no-ecs', '--current', 'web=1,api=2'], /--current: api: unknown service/],
  ])('%s: one line naming it, exit 1', async (_name, args, message) => {
    const err = await plan(...args).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr.trim()).toMatch(message);
  });

  test('an unreachable broker: one line, exit 1', async () => {
    const port = await freePort();
    const err = await plan('--no-ecs', '--current', '1', '--broker-url', `redis://127.0.0.1:${port}/0`).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/^error: .*broker/);
  });
});
