import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { version } from '../../package.json';

const exec = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');
const CONFIG = join(__dirname, '..', '..', 'autoscaler.config.yml');
/** No AWS at all: no credentials, no region, no instance metadata to wait for. */
const NO_AWS: NodeJS.ProcessEnv = Object.fromEntries([
  ...Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'BROKER_URL'),
  ['AWS_EC2_METADATA_DISABLED', 'true'],
]);

const cli = (...args: string[]) => exec(process.execPath, [BIN, ...args], { env: NO_AWS }).then(
  (r) => ({ code: 0, ...r }),
  (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
);

describe('the built CLI: every input checked, every message true', () => {
  test('--version prints the package version', async () => {
    expect(await cli('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test.each([
    [['measure', '--timeout', 'abc'], "option '--timeout <ms>' argument 'abc' is invalid. must be a whole number ≥ 1 and ≤ 60000"],
    [['measure', '--timeout', '-5'], "option '--timeout <ms>' argument '-5' is invalid. must be a whole number ≥ 1 and ≤ 60000"],
    [['demo', '--short', '-1'], "option '--short <n>' argument '-1' is invalid. must be a whole number ≥ 0"],
    [['demo', '--cycle-seconds', '0'], "option '--cycle-seconds <s>' argument '0' is invalid. must be a number ≥ 1 and ≤ 3600"],
    [['run', '--poll-interval', '0'], "option '--poll-interval <s>' argument '0' is invalid. must be a number > 0"],
    [['measure', '--broker-url', 'notaurl'], "option '--broker-url <url>' argument 'notaurl' is invalid. must start with redis://, rediss://, amqp://, amqps:// or pyamqp://"],
    [['plan', '--broker-url', 'redis://[x'], "option '--broker-url <url>' argument 'redis://[x' is invalid. is not a valid URL (redis://[user:password@]host:port/db)"],
  ])('%j: the flag and its rule in one line, exit 2', async (args, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`error: ${message}`);
    expect(r.stdout).toBe('');
  });

  test.each(['measure', 'plan', 'run', 'demo', 'simulate'])('an unknown option to %s: the same one line and hint, exit 2', async (command) => {
    const r = await cli(command, '--bogus');
    expect(r).toEqual({ code: 2, stdout: '', stderr: `error: unknown option '--bogus'\n(celery-autoscaler ${command} --help lists the options)\n` });
  });

  test('a missing region for the SSM parameter suggests --broker-url and BROKER_URL', async () => {
    const r = await cli('measure', '--config', CONFIG);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: cannot read SSM parameter \S+: .*Region is missing — check broker\.urlParameter, the region .*--broker-url .*BROKER_URL/);
  });

  test('run without AWS credentials says which call failed and what to check', async () => {
    const r = await cli('run', '--config', CONFIG, '--dry-run', '--region', 'eu-west-1');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: Step Functions ListStateMachines failed: CredentialsProviderError: .* — check the AWS credentials/);
  });

  test('output to a pipe that was closed ends quietly', async () => {
    const child = spawn(process.execPath, [BIN, 'simulate', '--list'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
