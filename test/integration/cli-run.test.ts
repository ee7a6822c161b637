import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { createSfnClient, startExecution } from '../../cli/sfn';
import { CeleryControl } from '../../lib/celery/control';
import { LocalStack } from '../../local/local-stack';
import { waitFor } from '../../local/processes';
import { SfnEmulator } from '../../local/sfn-emulator';

const exec = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');
const svc = {
  queues: ['q1'], minWorkers: 0, maxWorkers: 4, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0,
  stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 30,
};

/** The real CLI against the Step Functions emulator, whose executions are the real ASL over this stack. */
async function startStack(opts: Parameters<typeof LocalStack.start>[0]) {
  const stack = await LocalStack.start({ ...opts, stage: 'local' });
  const sfn = await SfnEmulator.start('local');
  const run = (...args: string[]) => exec('node', [BIN, 'run', '--config', process.env.AUTOSCALER_CONFIG_PATH as string, '--stage', 'local', '--endpoint', sfn.endpoint, '--poll-interval', '0.2', ...args]);
  return { stack, sfn, run };
}

describe('celery-autoscaler run (Step Functions emulator over the local stack)', () => {
  let env: Awaited<ReturnType<typeof startStack>>;
  let dir: string;
  beforeAll(async () => {
    env = await startStack({ services: { web: { ...svc, initialDesired: 0 } } });
    await env.stack.publishRecorded('q1', Array.from({ length: 150 }, (_, i) => `r${i}`), 0.01);
    dir = mkdtempSync(join(tmpdir(), 'cli-run-'));
  });
  afterAll(async () => {
    await env?.sfn.close();
    await env?.stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a dry run with overrides from flags: found by name, followed to the end, the plan and the console link, exit 0', async () => {
    const { stdout } = await env.run('--dry-run', '--set', 'web.maxWorkers=2', '--note', 'checking the plan');
    expect(JSON.parse(env.sfn.callsOf('StartExecution')[0].params.input)).toEqual({ dryRun: true, note: 'checking the plan', services: { web: { maxWorkers: 2 } } });
    expect(env.sfn.callsOf('StartExecution')[0].params.stateMachineArn).toBe(env.sfn.stateMachineArn);
    const arn = /^started (arn:aws:states:us-east-1:\d+:execution:celery-autoscaler-local:run-\S+)$/m.exec(stdout)?.[1] as string;
    expect(arn).toBeDefined();
    expect(stdout).toMatch(/^SUCCEEDED$/m);
    expect(stdout).toMatch(/^dry run, would scale:\n {2}web: 0 → 2: backlog 150 .*\(max 2\)$/m);
    expect(stdout).toContain(`console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arn}`);
    expect(env.stack.ecs.callsOf('UpdateService')).toHaveLength(0);
  });

  test('the emulator answers in the wire format the SDK reads (dates are epoch seconds in JSON 1.0)', async () => {
    const client = createSfnClient({ endpoint: env.sfn.endpoint });
    const before = Date.now();
    const arn = await startExecution(client, env.sfn.stateMachineArn, { dryRun: true }, 'wire-1');
    await env.sfn.idle();
    const d = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(d.status).toBe('SUCCEEDED');
    expect(d.startDate).toBeInstanceOf(Date);
    expect(Math.abs((d.startDate as Date).getTime() - before)).toBeLessThan(5_000);
    const h = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2 }));
    expect(h.events?.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered']);
    expect(h.events?.[1].stateEnteredEventDetails?.name).toBe('MeasureQueues');
    expect(h.events?.[0].timestamp).toBeInstanceOf(Date);
    expect(h.nextToken).toBeDefined();
    const missing = await client.send(new DescribeExecutionCommand({ executionArn: `${arn}-nope` })).catch((e) => e);
    expect(missing.name).toBe('ExecutionDoesNotExist');
  });

  test('--no-wait prints only the execution ARN', async () => {
    const { stdout } = await env.run('--dry-run', '--no-wait', '--name', 'no-wait-1');
    expect(stdout).toBe('arn:aws:states:us-east-1:123456789012:execution:celery-autoscaler-local:no-wait-1\n');
    await env.sfn.idle();
  });

  test.each([
    ['an unknown service', ['--set', 'api.desired=1'], /^error: --set api\.desired=1: services\.api: unknown service \(configured: web\)$/],
    ['above hardMaxWorkers', ['--set', 'web.maxWorkers=99'], /services\.web\.maxWorkers: 99 is above hardMaxWorkers \(20\)/],
    ['minWorkers above maxWorkers', ['--set', 'web.minWorkers=4,web.maxWorkers=2'], /services\.web\.minWorkers: 4 is above maxWorkers \(2\)/],
    ['a value that is not a number', ['--set', 'web.desired=two'], /services\.web\.desired: Expected number, received string/],
    ['a malformed --set', ['--set', 'web=2'], /^error: option '--set <service\.key=value>' argument 'web=2' is invalid\. expected SERVICE\.KEY=VALUE/],
    ['a file that is not JSON', ['--input', 'bad.json'], /^error: --input .*bad\.json: not valid JSON/],
    ['a wrong type in the file', ['--input', 'type.json'], /dryRun: Expected boolean, received string/],
    ['a missing file', ['--input', 'missing.json'], /^error: --input .*missing\.json: no such file$/],
    ['an unknown flag', ['--bogus'], /^error: unknown option '--bogus'/],
    ['a bad poll interval', ['--poll-interval', '0'], /^error: option '--poll-interval <s>' argument '0' is invalid\. must be a number > 0$/],
  ])('bad input (%s): one clear line, exit 2, nothing started', async (_name, args, message) => {
    writeFileSync(join(dir, 'bad.json'), '{ "dryRun": true, ');
    writeFileSync(join(dir, 'type.json'), '{ "dryRun": "yes" }');
    const before = env.sfn.calls.length;
    const err = await env.run(...args.map((a) => (a.endsWith('.json') ? join(dir, a) : a))).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr.split('\n')[0]).toMatch(message);
    expect(env.sfn.calls.length).toBe(before);
  });

  test('a failed execution prints the error and its cause, exit 1', async () => {
    await env.stack.redis.stop();
    const err = await env.run().catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/^FAILED\nfailed: BrokerUnavailableError: .*broker/m);
    expect(err.stdout).toMatch(/^console: https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\/home/m);
  });
});

describe('celery-autoscaler run follows a drain', () => {
  let env: Awaited<ReturnType<typeof startStack>>;
  afterAll(async () => {
    await env?.sfn.close();
    await env?.stack.stop();
  });

  test('status lines show the drain progress, then the scale-down', async () => {
    env = await startStack({ services: { web: { ...svc, minWorkers: 1, initialDesired: 2 } }, concurrency: 1 });
    // Long enough that a worker is still busy at the drain's first poll on a loaded machine.
    await env.stack.publishRecorded('q1', ['a', 'b'], 8);
    const control = new CeleryControl(env.stack.client, env.stack.config.broker);
    await waitFor('both workers busy', async () => Object.values((await control.active()).replies).filter((t) => t.length === 1).length === 2);
    control.close();
    const { stdout } = await env.run('--note', 'follow a drain');
    if (process.env.DEBUG) process.stderr.write(stdout);
    expect(stdout).toMatch(/^ +\d+ s {2}\w+ \(web\): 0\/1 drained; busy: worker@\w+ \(1 active, 0 reserved, 0 scheduled\); \d+ s left$/m);
    expect(stdout).toMatch(/^SUCCEEDED\nactions:\n {2}web: scaled down 2 → 1: removed worker@\w+/m);
    expect(env.stack.ecs.desiredCount('local', 'web')).toBe(1);
  });
});
