import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { publishTasks } from '../../lib/celery/publish';
import { CeleryWorker } from '../../local/celery/worker';
import { freePort } from '../../local/processes';
import { RedisServer } from '../../local/redis-server';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');

describe('celery-autoscaler measure', () => {
  let server: RedisServer;
  let worker: CeleryWorker;
  let dir: string;
  let configPath: string;

  beforeAll(async () => {
    server = await RedisServer.start();
    worker = await CeleryWorker.start({ brokerUrl: server.url, queues: ['emails'], nodeName: 'm1@test', concurrency: 1 });
    dir = mkdtempSync(join(tmpdir(), 'measure-'));
    configPath = join(dir, 'config.yml');
    writeFileSync(configPath, [
      `broker: { url: "${server.url}" }`,
      'services:',
      '  mail: { cluster: c, service: s, queues: [emails, bulk], maxWorkers: 5, tasksPerWorkerPerMinute: 10 }',
    ].join('\n'));
    const redis = new Redis(server.url);
    await publishTasks(redis, { globalKeyprefix: '', prioritySteps: [0, 3, 6, 9] }, 'bulk', [{ task: 'tasks.sleep_task', args: [0] }, { task: 'tasks.sleep_task', args: [0], priority: 9 }]);
    redis.disconnect();
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL', 0);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints pending per queue and each node as JSON', async () => {
    const { stdout } = await run('node', [BIN, 'measure', '--config', configPath, '--json']);
    const out = JSON.parse(stdout);
    expect(out.services.mail.queues).toEqual({ emails: 0, bulk: 2 });
    expect(out.services.mail.nodes).toEqual([{ node: 'm1@test', active: 0, reserved: 0, scheduled: 0, processed: 0, longestActiveSeconds: 0, concurrency: 1, totals: {}, activeByTask: {}, taskQueues: {} }]);
  });

  test('prints a readable table', async () => {
    const { stdout } = await run('node', [BIN, 'measure', '--config', configPath]);
    expect(stdout).toMatch(/^mail$/m);
    expect(stdout).toMatch(/^ {2}bulk\s+2$/m);
    expect(stdout).toMatch(/^ {2}m1@test\s+0\s+0\s+0\s+0$/m);
  });

  test('an unreachable broker exits non-zero with one line', async () => {
    const port = await freePort();
    const err = await run('node', [BIN, 'measure', '--config', configPath, '--broker-url', `redis://127.0.0.1:${port}/0`]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/^error: .*broker/);
  });

  test('a bad config names the field', async () => {
    writeFileSync(join(dir, 'bad.yml'), 'broker: { url: "redis://x" }\nservices: { a: { cluster: c, service: s, queues: [q], maxWorkers: -1, tasksPerWorkerPerMinute: 1 } }');
    const err = await run('node', [BIN, 'measure', '--config', join(dir, 'bad.yml')]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/services\.a\.maxWorkers: must be ≥ 0/);
  });

  describe('the broker URL\'s /N decides the db', () => {
    const db1 = () => server.url.replace(/\/\d+$/, '/1');

    test('a worker and queues on /1 are read on /1, with no db in the config', async () => {
      const w = await CeleryWorker.start({ brokerUrl: db1(), queues: ['emails'], nodeName: 'db1@test', concurrency: 1 });
      const redis = new Redis(db1());
      try {
        await publishTasks(redis, { globalKeyprefix: '', prioritySteps: [0, 3, 6, 9] }, 'bulk', [{ task: 'tasks.sleep_task', args: [0] }]);
        const { stdout } = await run('node', [BIN, 'measure', '--config', configPath, '--broker-url', db1(), '--json']);
        const out = JSON.parse(stdout);
        expect(out.services.mail.queues).toEqual({ emails: 0, bulk: 1 });
        expect(out.services.mail.nodes.map((n: { node: string }) => n.node)).toEqual(['db1@test']);
        expect(out.unanswered).toBe(0);
      } finally {
        redis.disconnect();
        await w.stop('SIGKILL', 0);
      }
    });

    test.each([
      ['the config\'s own url', (url: string) => [`broker: { url: "${url}", db: 0 }`], [] as string[], /^error: invalid config .*: broker\.db: broker\.db \(0\) contradicts the broker URL's \/1/],
      ['--broker-url', (url: string) => [`broker: { url: "${url.replace(/\/1$/, '/0')}", db: 0 }`], ['--broker-url'], /^error: broker\.db \(0\) contradicts the broker URL's \/1/],
    ])('a config db that contradicts %s is an error naming both', async (_name, broker, flag, message) => {
      const file = join(dir, 'db.yml');
      writeFileSync(file, [...broker(db1()), 'services:', '  mail: { cluster: c, service: s, queues: [emails], maxWorkers: 5, tasksPerWorkerPerMinute: 10 }'].join('\n'));
      const err = await run('node', [BIN, 'measure', '--config', file, ...(flag.length ? [...flag, db1()] : [])]).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(message);
    });
  });

  test('a wrong password says "authentication failed" and never shows it', async () => {
    const secured = await RedisServer.start(undefined, undefined, { password: 'right-pw-5e1f' });
    try {
      const wrong = secured.url.replace('right-pw-5e1f', 'wrong-pw-77aa');
      const err = await run('node', [BIN, 'measure', '--config', configPath, '--broker-url', wrong]).catch((e) => e);
      expect(err.code).toBe(1);
      expect(err.stderr.trim().split('\n')).toHaveLength(1);
      expect(err.stderr).toMatch(/^error: broker authentication failed: check the user and password in the broker URL \(WRONGPASS/);
      expect(err.stderr).not.toContain('wrong-pw-77aa');
    } finally {
      await secured.stop();
    }
  });
});
