import { CANCEL_SETTLE_MS } from '../../lib/cycle/check-drain';
import Redis from 'ioredis';
import { connectBroker } from '../../lib/celery/connection';
import { CeleryControl } from '../../lib/celery/control';
import { inspectNodes } from '../../lib/celery/inspect';
import { prefixed, queueLists } from '../../lib/celery/keys';
import { readQueueDepths } from '../../lib/celery/probe';
import { publishTasks } from '../../lib/celery/publish';
import { parseConfig } from '../../lib/config';
import { CeleryWorker } from '../../local/celery/worker';
import { freePort, waitFor } from '../../local/processes';
import { RedisServer } from '../../local/redis-server';

const broker = { db: 0, globalKeyprefix: '', prioritySteps: [0, 3, 6, 9], controlTimeoutMs: 1500, connectTimeoutMs: 1000 };
const names = (r: { replies: Record<string, unknown> }) => Object.keys(r.replies).sort();

describe('Celery over Redis from Node (real redis-server, real workers)', () => {
  let server: RedisServer;
  let redis: Redis;
  let control: CeleryControl;
  let w1: CeleryWorker;
  let w2: CeleryWorker;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    control = new CeleryControl(redis, broker);
    [w1, w2] = await Promise.all([
      CeleryWorker.start({ brokerUrl: server.url, queues: ['q1', 'q2'], nodeName: 'w1@test', concurrency: 1 }),
      CeleryWorker.start({ brokerUrl: server.url, queues: ['q1', 'q2'], nodeName: 'w2@test', concurrency: 1 }),
    ]);
  });
  afterAll(async () => {
    control.close();
    redis.disconnect();
    await Promise.all([w1?.stop('SIGKILL', 0), w2?.stop('SIGKILL', 0)]);
    await server.stop();
  });

  /** The queues a node's active_queues reply lists, sorted, comma-joined. */
  const queuesOf = async (node: string) => ((await control.activeQueues({ destination: [node] })).replies[node] ?? []).map((q) => q.name).sort().join(',');

  test('ping reaches every worker and returns as soon as all answered', async () => {
    const started = Date.now();
    const r = await control.ping();
    expect(names(r)).toEqual(['w1@test', 'w2@test']);
    expect(r.expected).toBe(2);
    expect(Date.now() - started).toBeLessThan(broker.controlTimeoutMs);
  });

  test('depth sums every priority sub-list, in one round trip', async () => {
    await publishTasks(redis, broker, 'depth', [0, 0, 3, 5, 9, 9, 9].map((p) => ({ task: 'tasks.sleep_task', args: [0], priority: p })));
    expect(await readQueueDepths(redis, broker, ['depth', 'empty'])).toMatchObject({ pending: { depth: 7, empty: 0 } });
    expect(await Promise.all(queueLists('depth', broker.prioritySteps).map((l) => redis.llen(l)))).toEqual([2, 2, 0, 3]);
  });

  test('depth honours a global key prefix', async () => {
    const b = { ...broker, globalKeyprefix: 'app1:' };
    await publishTasks(redis, b, 'pq', [{ task: 'tasks.sleep_task', args: [0] }, { task: 'tasks.sleep_task', args: [0], priority: 6 }]);
    expect(await redis.exists(prefixed(b, 'pq'))).toBe(1);
    expect((await readQueueDepths(redis, b, ['pq'])).pending.pq).toBe(2);
    expect((await readQueueDepths(redis, broker, ['pq'])).pending.pq).toBe(0);
  });

  test('active and reserved equal what the workers really hold', async () => {
    await publishTasks(redis, broker, 'q1', ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((k) => ({ task: 'tasks.record', args: [k, 1.5] })));
    const snap = await waitFor('both workers busy with one reserved each', async () => {
      const i = await inspectNodes(control);
      return i.nodes.every((n) => n.active === 1 && n.reserved === 1) && i.nodes.length === 2 ? i : null;
    }, 15_000, 50);
    expect(snap.missing).toEqual([]);
    expect((await readQueueDepths(redis, broker, ['q1'])).pending.q1).toBe(2);
    await waitFor('all six done', async () => (await redis.hlen('fixture:completed')) === 6, 20_000, 100);
    const after = await inspectNodes(control);
    expect(after.nodes.reduce((a, n) => a + (n.processed ?? 0), 0)).toBeGreaterThanOrEqual(6);
  });

  test('cancel_consumer stops only that node consuming only that queue; add_consumer resumes it', async () => {
    // celery/worker/control.py: both commands reply first and apply on the worker's next loop turn (call_soon).
    const cancel = await control.cancelConsumer('q1', { destination: ['w1@test'] });
    expect(cancel.replies).toEqual({ 'w1@test': { ok: 'no longer consuming from q1' } });
    await waitFor('w1 to stop consuming q1', async () => (await queuesOf('w1@test')) === 'q2', 5000, 20);
    expect(await queuesOf('w2@test')).toBe('q1,q2');
    const add = await control.addConsumer('q1', { destination: ['w1@test'] });
    expect(add.replies).toEqual({ 'w1@test': { ok: 'add consumer q1' } });
    await waitFor('w1 to consume q1 again', async () => (await queuesOf('w1@test')) === 'q1,q2', 5000, 20);
  });

  test('a cancel_consumer and an add_consumer of one queue that reach a worker together run in no set order: some tries leave it without the queue', async () => {
    // kombu/asynchronous/hub.py keeps what call_soon schedules in a set (docs/celery-facts.md). The
    // autoscaler does not rely on the order: MeasureQueues gives a live node the queues it lacks.
    const consumesQ2 = async () => (await queuesOf('w2@test')).split(',').includes('q2');
    let left = 0;
    for (let i = 0; i < 30 && left === 0; i += 1) {
      await Promise.all([control.cancelConsumer('q2', { destination: ['w2@test'] }), control.addConsumer('q2', { destination: ['w2@test'] })]);
      // Both ran by the worker's next loop turn; what is left is the order's outcome.
      await new Promise((r) => setTimeout(r, 300));
      if (!(await consumesQ2())) left += 1;
    }
    expect(left).toBe(1);
    // One add_consumer once the cancel has taken effect gives the queue back.
    await control.addConsumer('q2', { destination: ['w2@test'] });
    await waitFor('w2 to consume q2 again', consumesQ2, 5000, 20);
  });

  test('a drain finishes while the messages still queued stay in Redis', async () => {
    for (const q of ['q1', 'q2']) await control.cancelConsumer(q, { destination: ['w1@test', 'w2@test'] });
    // cancel_consumer replies before it takes effect (docs/celery-facts.md): publish only once
    // neither worker lists a queue in active_queues, or a worker still consuming takes a message.
    await waitFor('both workers to stop consuming q1 and q2', async () => {
      const r = await control.activeQueues({ destination: ['w1@test', 'w2@test'] });
      return ['w1@test', 'w2@test'].every((n) => n in r.replies && r.replies[n].length === 0);
    }, 10_000, 20);
    // And a BRPOP sent before the cancel can still pop a message for up to 1 s, which the worker
    // then puts back (docs/celery-facts.md): wait as CheckDrain does before trusting the queue.
    await new Promise((r) => setTimeout(r, CANCEL_SETTLE_MS));
    await publishTasks(redis, broker, 'q1', ['d1', 'd2', 'd3'].map((k) => ({ task: 'tasks.record', args: [k, 0.1] })));
    await waitFor('drained', async () => (await inspectNodes(control)).nodes.every((n) => n.active + n.reserved + n.scheduled === 0), 10_000, 100);
    expect((await readQueueDepths(redis, broker, ['q1'])).pending.q1).toBe(3);
    for (const q of ['q1', 'q2']) await control.addConsumer(q, { destination: ['w1@test', 'w2@test'] });
    await waitFor('queued messages consumed after add_consumer', async () => (await readQueueDepths(redis, broker, ['q1'])).pending.q1 === 0, 10_000, 100);
  });

  test('no key is left behind after 1,000 control calls, and other tickets are ignored', async () => {
    // Only remote-control keys: a previous test's task may still add or remove Celery's `unacked`.
    const pidboxKeys = async () => JSON.stringify((await redis.keys('*pidbox*')).sort());
    const before = await pidboxKeys();
    for (let i = 0; i < 100; i += 1) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => (j % 2 ? control.ping() : control.ping({ destination: ['w2@test'] }))));
    }
    // A second client's calls run alongside: each gets only its own replies.
    const other = new CeleryControl(redis, broker);
    const [mine, theirs] = await Promise.all([control.ping({ destination: ['w1@test'] }), other.ping({ destination: ['w2@test'] })]);
    expect(names(mine)).toEqual(['w1@test']);
    expect(names(theirs)).toEqual(['w2@test']);
    other.close();
    await waitFor('reply keys cleaned', async () => (await pidboxKeys()) === before, 5000);
    expect(await redis.smembers('_kombu.binding.reply.celery.pidbox')).toEqual([]);
  });

  test('a worker that does not answer is reported missing within the timeout', async () => {
    process.kill(w2.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const r = await control.ping({ destination: ['w1@test', 'w2@test'], timeoutMs: 800 });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(names(r)).toEqual(['w1@test']);
      expect(r.missing).toEqual(['w2@test']);
      const i = await inspectNodes(control, { timeoutMs: 800 });
      expect(i.nodes.map((n) => n.node)).toEqual(['w1@test']);
      expect(i.unanswered).toBe(1);
    } finally {
      process.kill(w2.pid, 'SIGCONT');
    }
  });
});

describe('a broker that is down', () => {
  test('gives a BrokerUnavailableError quickly, never a hang, and never the password', async () => {
    const port = await freePort();
    const config = parseConfig({ broker: { url: `redis://user:s3cret@127.0.0.1:${port}/0`, connectTimeoutMs: 500 }, services: { s: { cluster: 'c', service: 's', queues: ['q'], maxWorkers: 1, tasksPerWorkerPerMinute: 1 } } });
    const redis = connectBroker(config.broker, config.broker.url as string);
    const control = new CeleryControl(redis, config.broker);
    const started = Date.now();
    await expect(readQueueDepths(redis, config.broker, ['q'])).rejects.toMatchObject({ name: 'BrokerUnavailableError' });
    const err = await control.ping().catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'BrokerUnavailableError' });
    expect(String((err as Error).message)).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(3000);
    control.close();
    redis.disconnect();
  });
});
