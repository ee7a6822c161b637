import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { aclSetuserCommand, autoscalerAclRules } from '../../lib/celery/acl';
import { loadConfigFile } from '../../lib/config/load';
import { CeleryControl } from '../../lib/celery/control';
import { resetRuntime } from '../../lib/runtime';
import { LocalStack } from '../../local/local-stack';
import { waitFor } from '../../local/processes';

const ADMIN_PW = 'admin-pw-77ac';
const AUTOSCALER_PW = 'autoscaler-pw-3b9e';

/** What each connection of the autoscaler's user sent, read from MONITOR by client address. */
async function commandsOf(admin: Redis, user: string, lines: { addr: string; cmd: string }[]): Promise<string[]> {
  const list = (await admin.client('LIST')) as string;
  const addrs = new Set(list.split('\n').filter((l) => l.includes(` user=${user} `)).map((l) => /addr=(\S+)/.exec(l)?.[1]));
  return [...new Set(lines.filter((l) => addrs.has(l.addr)).map((l) => l.cmd))].sort();
}

// The product runs as a user restricted by the ACL lib/celery/acl.ts builds (the runbook's line);
// the Celery workers and the test's publisher as an admin user.
describe('least-privilege broker access: the autoscaler under its own ACL', () => {
  let stack: LocalStack;
  let admin: Redis;
  let restricted: Redis;
  let restrictedUrl: string;
  const monitored: { addr: string; cmd: string }[] = [];
  let monitor: Awaited<ReturnType<Redis['monitor']>>;
  const brokerUrlBefore = process.env.BROKER_URL;

  beforeAll(async () => {
    stack = await LocalStack.start({
      services: { web: { queues: ['q1', 'q2'], minWorkers: 1, maxWorkers: 3, initialDesired: 1, tasksPerWorkerPerMinute: 60, targetMinutes: 0.1, startupSeconds: 1, stabilizationSeconds: 1, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0.01, drainTimeoutSeconds: 30 } },
      startupDelayMs: 0, stopGraceMs: 5000, concurrency: 1,
      redisSecurity: { user: 'admin', password: ADMIN_PW },
    });
    admin = stack.client;
    await admin.call('ACL', 'SETUSER', 'autoscaler', 'reset', 'on', `>${AUTOSCALER_PW}`, ...autoscalerAclRules(stack.config, 'local'));
    restrictedUrl = stack.redis.url.replace(`admin:${ADMIN_PW}`, `autoscaler:${AUTOSCALER_PW}`);
    process.env.BROKER_URL = restrictedUrl;
    await resetRuntime();
    restricted = new Redis(restrictedUrl, { maxRetriesPerRequest: 1 });
    monitor = await stack.redis.client().monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => monitored.push({ addr: source, cmd: String(args[0]).toLowerCase() }));
  });
  afterAll(async () => {
    monitor?.disconnect();
    restricted?.disconnect();
    await stack?.stop();
    // Test files share the process (runInBand): leave the environment as it was.
    if (brokerUrlBefore === undefined) delete process.env.BROKER_URL;
    else process.env.BROKER_URL = brokerUrlBefore;
  });

  test('a full cycle scales up, drains and scales down, and the broker denies it nothing', async () => {
    await stack.publishRecorded('q1', Array.from({ length: 12 }, (_, i) => `acl-a${i}`), 0.5);
    await stack.publishRecorded('q2', Array.from({ length: 12 }, (_, i) => `acl-b${i}`), 0.5);
    const up = await stack.cycle();
    expect(up).toMatchObject({ status: 'SUCCEEDED' });
    expect(stack.ecs.desiredCount('local', 'web')).toBeGreaterThan(1);
    await waitFor('every task done', async () => Object.keys(await stack.completed()).length === 24, 60_000, 200);
    const states: string[] = [];
    await waitFor('a drained scale-down back to 1', async () => {
      const r = await stack.cycle();
      expect(r.status).toBe('SUCCEEDED');
      states.push(...r.states);
      return stack.ecs.desiredCount('local', 'web') === 1;
    }, 90_000, 200);
    expect(states).toEqual(expect.arrayContaining(['DrainWorkers', 'CheckDrain', 'ScaleDown', 'ReleaseProtection']));
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
  }, 180_000);

  test('the repair gives a worker its queues back after a dead cycle', async () => {
    await stack.ecs.settle(30_000);
    const [node] = stack.liveWorkers('web');
    const control = new CeleryControl(admin, stack.config.broker);
    try {
      await control.cancelConsumers(['q1', 'q2'], [node]);
      // cancel_consumer replies before it takes effect (docs/celery-facts.md): the cycle must find the worker without its queues.
      await waitFor('the worker to stop consuming q1 and q2', async () => {
        const q = await control.activeQueues({ destination: [node] });
        return node in q.replies && q.replies[node].length === 0;
      }, 10_000, 20);
      await admin.set('celery-autoscaler:local:draining:web', JSON.stringify({ execution: 'dead-cycle', nodes: [{ node, taskId: node.split('@')[1] }], queues: ['q1', 'q2'], at: Date.now() }), 'PX', 60_000);
      const r = await stack.cycle();
      expect(r.status).toBe('SUCCEEDED');
      expect(JSON.stringify((r.output as { recovered?: string[] }).recovered)).toContain(`gave q1, q2 back to ${node}`);
      await waitFor('the queues back on the worker', async () => {
        const q = await control.activeQueues({ destination: [node] });
        return (q.replies[node] ?? []).map((x) => x.name).sort().join() === 'q1,q2';
      }, 10_000, 100);
    } finally {
      control.close();
    }
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
  }, 60_000);

  test('every command the autoscaler sent is one the ACL names', async () => {
    const sent = await commandsOf(admin, 'autoscaler', monitored);
    const granted = autoscalerAclRules(stack.config, 'local').join(' ').match(/\+[a-z|]+/g)?.map((c) => c.slice(1)) ?? [];
    expect(sent.length).toBeGreaterThan(5);
    // AUTH and HELLO need no permission: every user may authenticate.
    expect(sent.filter((c) => !granted.includes(c) && c !== 'auth' && c !== 'hello')).toEqual([]);
    process.stdout.write(`commands the autoscaler sent: ${sent.join(' ')}\n`);
  });

  test.each([
    ['FLUSHDB', ['FLUSHDB']],
    ['CONFIG', ['CONFIG', 'GET', '*']],
    ['KEYS', ['KEYS', '*']],
    ['LRANGE on a queue (a task body)', ['LRANGE', 'q1', '0', '-1']],
    ['RPOP on a queue (taking a task)', ['RPOP', 'q1']],
    ['HGETALL of unacked (task bodies)', ['HGETALL', 'unacked']],
    ['DEL of a queue', ['DEL', 'q1']],
    ['GET outside its prefix', ['GET', 'celery-autoscaler:other-stage:lock:web']],
    ['PUBLISH on another channel', ['PUBLISH', 'other', 'x']],
  ])('%s is refused', async (_what, [cmd, ...args]) => {
    await expect(restricted.call(cmd, ...args)).rejects.toThrow(/NOPERM/);
  });
});

test('the runbook gives the ACL line lib/celery/acl.ts builds for the shipped config (stage prod)', () => {
  expect(readFileSync('docs/runbook.md', 'utf8')).toContain(`redis-cli -u "$ADMIN_URL" ${aclSetuserCommand(loadConfigFile('autoscaler.config.yml'), 'prod')}\n`);
});
