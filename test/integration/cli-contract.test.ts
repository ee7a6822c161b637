import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Option } from 'commander';
import { program } from '../../cli/main';
import { freePort } from '../../local/processes';
import { RedisServer } from '../../local/redis-server';
import { makeTlsCerts } from '../support/tls-certs';

// One contract for every command: a usage error (a bad or empty flag value, a missing flag, a
// refused override) exits 2 with the error line naming the flag and the --help hint, and nothing
// is started; what cannot be done with a right request exits 1 (the other cli-*.test.ts files).
// The rows are generated from the commands' own option lists: a flag added later gets its
// empty-value row at once, and this file fails until it names a bad value for it.

const exec = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');
const NO_AWS: NodeJS.ProcessEnv = Object.fromEntries([
  ...Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'BROKER_URL' && k !== 'ECS_ENDPOINT' && k !== 'SFN_ENDPOINT'),
  ['AWS_EC2_METADATA_DISABLED', 'true'],
]);
const dir = mkdtempSync(join(tmpdir(), 'cli-contract-'));
const CONFIG = join(dir, 'autoscaler.config.yml');
writeFileSync(CONFIG, [
  'broker: { url: "redis://127.0.0.1:1/0", connectTimeoutMs: 300 }',
  'hardMaxWorkers: 20',
  'services:',
  '  web: { cluster: c, service: s, queues: [q], maxWorkers: 4, tasksPerWorkerPerMinute: 10 }',
].join('\n'));
const MISSING = join(dir, 'missing', 'nothing-here');

/** A value each flag must refuse as a usage error, beyond the empty one every flag refuses. */
const BAD: Record<string, string> = {
  '--config': MISSING,
  '--broker-url': 'http://127.0.0.1:6379/0',
  '--timeout': '0',
  '--stage': 'no/slash',
  '--region': 'Mars',
  '--ecs-endpoint': 'not a url',
  '--endpoint': 'ftp://x',
  '--current': 'web=two',
  '--input': MISSING,
  '--set': 'web.maxWorkers=-1',
  '--note': 'x'.repeat(501),
  '--state-machine-arn': 'celery-autoscaler-dev',
  '--name': 'has a space',
  '--poll-interval': '0',
  '--short': '-1',
  '--long': '1.5',
  '--cycle-seconds': '0',
  '--max-seconds': '0',
  '--broker': 'kafka',
  '--trace': 'no-such-trace',
  '--service': 'no-such-service',
  '--policies': 'planner,bogus',
  '--seed': '-1',
  '--concurrency': '0',
  '--prefetch': '0',
  '--out': '/proc/no-such-dir',
  '--minutes': '0',
  '--global-keyprefix': 'has space',
};

let closedPort = 0;
/** Enough for each command to reach its own checks; nothing here may connect to anything that answers. */
const base = (command: string): string[] => {
  const broker = `redis://127.0.0.1:${closedPort}/0`;
  switch (command) {
    case 'measure': return ['--config', CONFIG, '--broker-url', broker];
    case 'plan': return ['--config', CONFIG, '--broker-url', broker, '--no-ecs', '--current', '1'];
    case 'run': return ['--config', CONFIG, '--endpoint', `http://127.0.0.1:${closedPort}`, '--state-machine-arn', 'arn:aws:states:us-east-1:123456789012:stateMachine:x', '--no-wait'];
    case 'demo': return ['--max-seconds', '1'];
    case 'simulate': return ['--trace', 'flood', '--policies', 'fixed', '--out', dir];
    case 'record': return ['--config', CONFIG, '--broker-url', broker, '--minutes', '0.01', '--out', join(dir, 'recorded.csv'), '--force'];
    case 'release': return ['--config', CONFIG, '--broker-url', broker, '--dry-run'];
    default: return [];
  }
};

const takesValue = (o: Option): boolean => o.required || o.optional;
const commands = program.commands.map((c) => ({ name: c.name(), flags: c.options.filter(takesValue).map((o) => o.long as string) }));
const shown = (v: string): string => JSON.stringify(v.length > 40 ? `${v.slice(0, 12)}… (${v.length} chars)` : v);
const rows = commands.flatMap(({ name, flags }) => flags.flatMap((flag) => [
  { command: name, flag, value: '', shown: shown('') },
  ...(BAD[flag] !== undefined ? [{ command: name, flag, value: BAD[flag], shown: shown(BAD[flag]) }] : []),
]));

const cli = (args: string[]) => exec(process.execPath, [BIN, ...args], { env: NO_AWS, timeout: 30_000, killSignal: 'SIGTERM' }).then(
  (r) => ({ code: 0, ...r }),
  (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
);

/** Exit 2, nothing on stdout, one error line naming the flag, then the hint. */
function expectUsage(r: { code: number; stdout: string; stderr: string }, command: string, flag: string): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect({ code: r.code, stdout: r.stdout, hint: lines.slice(1) }).toEqual({ code: 2, stdout: '', hint: [`(celery-autoscaler ${command} --help lists the options)`] });
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toContain(flag);
}

beforeAll(async () => {
  closedPort = await freePort();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('every command × every flag that takes a value × a bad value: exit 2, the flag named', () => {
  test('every command is covered and every value flag has a bad value here', () => {
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['measure', 'plan', 'run', 'demo', 'simulate']));
    const unlisted = [...new Set(commands.flatMap((c) => c.flags))].filter((f) => BAD[f] === undefined);
    expect(unlisted).toEqual([]);
    for (const c of commands) expect(base(c.name).length > 0 || c.flags.length === 0).toBe(true);
  });

  test.each(rows)('$command $flag $shown', async ({ command, flag, value }) => {
    expectUsage(await cli([command, ...base(command), flag, value]), command, flag);
  });
});

describe('the other usage errors', () => {
  test.each([
    ['simulate', ['--out', dir], '--trace'],
    ['plan', ['--config', CONFIG, '--no-ecs', '--broker-url', 'redis://127.0.0.1:1/0'], '--current'],
    ['plan', ['--config', CONFIG, '--no-ecs', '--current', 'api=1', '--broker-url', 'redis://127.0.0.1:1/0'], '--current'],
    ['plan', ['--config', CONFIG, '--no-ecs', '--current', '1', '--broker-url', 'redis://127.0.0.1:1/0', '--set', 'api.desired=1'], '--set'],
    ['run', ['--config', CONFIG, '--set', 'web.minWorkers=9'], '--set'],
    ['run', ['--config', CONFIG, '--input', 'BADJSON'], '--input'],
    ['measure', ['--timeout'], '--timeout'],
    ['plan', ['--bogus'], '--bogus'],
  ])('%s %j: exit 2 naming %s', async (command, args, flag) => {
    writeFileSync(join(dir, 'bad.json'), '{ "dryRun": ');
    const r = await cli([command, ...args.map((a) => (a === 'BADJSON' ? join(dir, 'bad.json') : a))]);
    expectUsage(r, command, flag);
  });

  test('a config file whose contents are invalid cannot be run: exit 1, one line, in every command that reads one', async () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'broker: { url: "redis://x" }\nservices: { a: { cluster: c, service: s, queues: [q], maxWorkers: -1, tasksPerWorkerPerMinute: 1 } }\n');
    for (const command of ['measure', 'plan', 'run', 'simulate']) {
      const args = command === 'simulate' ? ['--trace', 'flood', '--config', bad, '--out', dir] : ['--config', bad];
      const r = await cli([command, ...args]);
      expect({ command, code: r.code, lines: r.stderr.trim().split('\n').length }).toEqual({ command, code: 1, lines: 1 });
      expect(r.stderr).toMatch(/services\.a\.maxWorkers: must be ≥ 0/);
    }
  });

  test('a broker that is not there is said in the user\'s words, with the time really waited', async () => {
    const url = `redis://user:secret-pw@127.0.0.1:${closedPort}/0`;
    for (const command of ['measure', 'plan']) {
      const started = Date.now();
      const r = await cli([command, ...base(command), '--broker-url', url]);
      const seconds = (Date.now() - started) / 1000;
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      const m = /^error: the broker at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/0 is not reachable: no connection after (\d+\.\d) s/.exec(r.stderr);
      expect(m).not.toBeNull();
      expect(Number(m?.[1])).toBeLessThanOrEqual(seconds);
      expect(r.stderr).not.toContain('secret-pw');
      expect(r.stderr).not.toMatch(/leftovers|autoscaler state/);
    }
  });

  test('TLS on one side only says TLS: rediss:// to a plain Redis, redis:// to a TLS one', async () => {
    const certs = makeTlsCerts();
    const [plain, tls] = await Promise.all([RedisServer.start(), RedisServer.start(undefined, undefined, { tls: certs })]);
    try {
      for (const [url, says] of [
        [plain.url.replace('redis://', 'rediss://'), /is not reachable: the URL is rediss:\/\/ \(TLS\) but 127\.0\.0\.1:\d+ speaks plain Redis without TLS: use redis:\/\/$/],
        [tls.url.replace('rediss://', 'redis://'), /is not reachable: the URL is redis:\/\/ \(no TLS\) but localhost:\d+ expects TLS: use rediss:\/\/$/],
      ] as const) {
        const r = await cli(['measure', '--config', CONFIG, '--broker-url', url]);
        expect(r.code).toBe(1);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr.trim()).toMatch(says);
      }
    } finally {
      await Promise.all([plain.stop(), tls.stop()]);
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
