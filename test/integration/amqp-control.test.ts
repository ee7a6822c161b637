import { AmqpConnection } from '../../lib/amqp/connection';
import { AmqpControl, nodeQueue, replyQueue } from '../../lib/amqp/control';
import { readAmqpQueueDepths } from '../../lib/amqp/depth';
import { publishAmqpTasks } from '../../lib/amqp/publish';
import { workersOf } from '../../lib/runtime-env';
import { rabbitmqPermissions } from '../../lib/amqp/permissions';
import { inspectNodes } from '../../lib/celery/inspect';
import { CeleryWorker } from '../../local/celery/worker';
import { freePort, waitFor } from '../../local/processes';
import { RabbitMqServer } from '../../local/rabbitmq-server';
import { readFileSync, rmSync } from 'node:fs';
import { makeTlsCerts } from '../support/tls-certs';

const names = (r: { replies: Record<string, unknown> }) => Object.keys(r.replies).sort();
const sleeps = (n: number, seconds: number, priority?: number) => Array.from({ length: n }, () => ({ task: 'tasks.sleep_task', args: [seconds], priority }));

describe('Celery over RabbitMQ from Node (real RabbitMQ node, real workers on pyamqp)', () => {
  let server: RabbitMqServer;
  let certs: ReturnType<typeof makeTlsCerts>;
  let conn: AmqpConnection;
  let control: AmqpControl;
  let w1: CeleryWorker;
  let w2: CeleryWorker;
  const extra: CeleryWorker[] = [];
  const depth = async (...queues: string[]) => (await readAmqpQueueDepths(conn, queues)).pending;
  /** rabbitmqctl's own count of ready messages, the reference depth must equal. */
  const ready = async (q: string) => Number((await server.listQueues('messages_ready'))[q]?.[0] ?? NaN);
  const queuesOf = async (node: string) => ((await control.activeQueues({ destination: [node] })).replies[node] ?? []).map((q) => q.name).sort().join(',');
  const worker = (nodeName: string, queues: string[], env?: Record<string, string>) =>
    CeleryWorker.start({ brokerUrl: server.celeryUrl(), queues, nodeName, concurrency: 1, prefetch: 1, env, readyTimeoutMs: 60_000 });

  beforeAll(async () => {
    certs = makeTlsCerts();
    server = await RabbitMqServer.start({ tls: certs });
    // The node's boot time on this machine, for the report.
    console.log(`RabbitMQ node ${server.nodeName} up in ${server.startedInMs} ms on port ${server.port}`);
    conn = new AmqpConnection(server.url(), { connectTimeoutMs: 2000 });
    control = new AmqpControl(conn, { controlTimeoutMs: 1500, connectTimeoutMs: 2000 });
    [w1, w2] = await Promise.all([worker('w1@test', ['q1', 'q2']), worker('w2@test', ['q1', 'q2'])]);
  }, 180_000);
  afterAll(async () => {
    control?.close();
    await conn?.close();
    await Promise.all([w1, w2, ...extra].map((w) => w?.stop('SIGKILL', 0)));
    await server?.stop();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  test('ping with destinations returns as soon as they answered; a broadcast waits the timeout and hears every worker', async () => {
    let started = Date.now();
    const r = await control.ping({ destination: ['w1@test', 'w2@test'] });
    expect(r).toEqual({ replies: { 'w1@test': { ok: 'pong' }, 'w2@test': { ok: 'pong' } }, missing: [], expected: 2 });
    expect(Date.now() - started).toBeLessThan(1500);
    started = Date.now();
    const all = await control.ping({ timeoutMs: 800 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(790);
    expect(names(all)).toEqual(['w1@test', 'w2@test']);
    expect(all.expected).toBe(2);
  });

  test('amqps:// with the CA trusted works; TLS on one side only is a quick BrokerUnavailableError', async () => {
    const tls = new AmqpConnection(server.tlsUrl(), { connectTimeoutMs: 3000, ca: readFileSync(certs.caFile) });
    const ctl = new AmqpControl(tls, { controlTimeoutMs: 1500, connectTimeoutMs: 3000 });
    try {
      expect(names(await ctl.ping({ destination: ['w1@test'] }))).toEqual(['w1@test']);
      expect((await readAmqpQueueDepths(tls, ['q1'])).pending).toEqual({ q1: 0 });
    } finally {
      ctl.close();
      await tls.close();
    }
    const plainPort = server.url().replace(/^amqp:/, 'amqps:');
    const tlsPort = server.tlsUrl().replace(/^amqps:/, 'amqp:');
    for (const url of [plainPort, tlsPort]) {
      const c = new AmqpConnection(url, { connectTimeoutMs: 1500, ca: readFileSync(certs.caFile) });
      const started = Date.now();
      const err = await readAmqpQueueDepths(c, ['q1']).catch((e: Error) => e);
      expect(err).toMatchObject({ name: 'BrokerUnavailableError' });
      expect(Date.now() - started).toBeLessThan(2500);
      await c.close();
    }
  });

  test('exchanges and queues are the ones kombu declares: the worker and this client agree on every flag', async () => {
    // Both declared celery.pidbox and reply.celery.pidbox (the worker when it replied): a flag that
    // differed would have closed one side's channel with PRECONDITION_FAILED and lost the replies.
    const ex = await server.ctl('list_exchanges', '-q', '--no-table-headers', 'name', 'type', 'durable', 'auto_delete', 'arguments');
    expect(ex).toContain('celery.pidbox\tfanout\tfalse\tfalse\t[]');
    expect(ex).toContain('reply.celery.pidbox\tdirect\tfalse\tfalse\t[]');
    const qs = await server.listQueues('durable', 'auto_delete', 'exclusive', 'arguments');
    // celery/app/control.py: control_queue_expires 10 s and control_queue_ttl 300 s, as x-expires / x-message-ttl.
    expect(qs[nodeQueue('w1@test')]).toEqual(['false', 'true', 'false', '[{"x-expires",10000},{"x-message-ttl",300000}]']);
    expect(qs[replyQueue(control.oid)]).toEqual(['false', 'true', 'true', '[{"x-expires",10000},{"x-message-ttl",300000}]']);
    expect(qs.q1).toEqual(['true', 'false', 'false', '[]']);
    const bindings = await server.ctl('list_bindings', '-q', '--no-table-headers', 'source_name', 'destination_name', 'routing_key');
    expect(bindings).toContain(`celery.pidbox\t${nodeQueue('w1@test')}\t\n`);
    expect(bindings).toContain(`reply.celery.pidbox\t${replyQueue(control.oid)}\t${control.oid}\n`);
    // Why the flags matter: any other is refused, and the channel closed.
    const ch = await (await conn.get()).createChannel();
    ch.on('error', () => undefined);
    await expect(ch.assertExchange('celery.pidbox', 'fanout', { durable: true })).rejects.toThrow(/406 \(PRECONDITION-FAILED\).*inequivalent arg 'durable' for exchange 'celery.pidbox'/);
  });

  test('a user with only the remote-control permissions calls workers and reads depth; a refused login names no password', async () => {
    // Configure: the reply queue and both exchanges (declared); write: the reply queue (bound) and
    // celery.pidbox (published to); read: the reply queue (consumed) and reply.celery.pidbox (bound from).
    // A passive declare needs no permission at all: the depth is read with none on the task queues.
    await server.addUser('scaler', 'pw-scaler', rabbitmqPermissions());
    const c = new AmqpConnection(server.url('scaler', 'pw-scaler'), { connectTimeoutMs: 2000 });
    const ctl = new AmqpControl(c, { controlTimeoutMs: 1500, connectTimeoutMs: 2000 });
    try {
      expect(names(await ctl.ping({ destination: ['w1@test', 'w2@test'] }))).toEqual(['w1@test', 'w2@test']);
      expect((await readAmqpQueueDepths(c, ['q1', 'nope'])).pending).toEqual({ q1: 0, nope: 0 });
      // Nothing more: publishing a task (write on the default exchange) and purging a task queue (read on it) are refused.
      await expect(publishAmqpTasks(c, 'q1', sleeps(1, 0.1))).rejects.toThrow(/ACCESS_REFUSED|403/);
      const ch = await (await c.get()).createChannel();
      ch.on('error', () => undefined);
      await expect(ch.purgeQueue('q1')).rejects.toThrow(/QueuePurge; 403 \(ACCESS-REFUSED\).*access to queue 'q1' in vhost '\/' refused for user 'scaler'/);
    } finally {
      ctl.close();
      await c.close();
    }
    const bad = new AmqpConnection(server.url('scaler', 'wrong-s3cret'), { connectTimeoutMs: 2000 });
    const err = await readAmqpQueueDepths(bad, ['q1']).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'BrokerUnavailableError', message: expect.stringMatching(/^broker authentication failed.*ACCESS_REFUSED/) });
    expect((err as Error).message).not.toContain('wrong-s3cret');
    await bad.close();
  });

  test('inspect: active_queues, stats and the rest answered by both workers', async () => {
    expect(await queuesOf('w1@test')).toBe('q1,q2');
    const i = await inspectNodes(control, { destination: ['w1@test', 'w2@test'] });
    expect(i.missing).toEqual([]);
    expect(i.nodes.map((n) => [n.node, n.concurrency, n.queues.sort().join(',')])).toEqual([['w1@test', 1, 'q1,q2'], ['w2@test', 1, 'q1,q2']]);
  });

  test('active and reserved are what the workers hold; depth counts only ready messages, never the prefetched ones', async () => {
    // Two workers of its own on a queue of its own, with 60 s tasks: the state below lasts however
    // long inspect and rabbitmqctl take on busy cores (and rabbitmqctl's own count takes to catch
    // up); they are killed after, and the queue deleted with what is left in it.
    const [a, b] = await Promise.all([worker('a@test', ['q5']), worker('b@test', ['q5'])]);
    extra.push(a, b);
    try {
      await publishAmqpTasks(conn, 'q5', sleeps(6, 60));
      const snap = await waitFor('both workers busy with one reserved each', async () => {
        const i = await inspectNodes(control, { destination: ['a@test', 'b@test'] });
        return i.nodes.length === 2 && i.nodes.every((n) => n.active === 1 && n.reserved === 1) ? i : null;
      }, 30_000, 50);
      expect(snap.missing).toEqual([]);
      // 6 = 2 active (acked on start) + 2 reserved (prefetched, unacked) + 2 ready.
      expect((await depth('q5')).q5).toBe(2);
      // rabbitmqctl reads the queue's statistics, which trail the queue by a few seconds.
      const row = await waitFor('rabbitmqctl to show 2 ready and 2 unacknowledged', async () => {
        const r = (await server.listQueues('messages_ready', 'messages_unacknowledged')).q5;
        return r?.join(',') === '2,2' ? r : null;
      }, 20_000, 200).catch(async () => (await server.listQueues('messages_ready', 'messages_unacknowledged')).q5);
      expect(row).toEqual(['2', '2']);
    } finally {
      await Promise.all([a.stop('SIGKILL', 0), b.stop('SIGKILL', 0)]);
      await server.ctl('delete_queue', 'q5');
    }
  });

  test('cancel_consumer stops consumption: a message published once it took effect stays ready; add_consumer takes it', async () => {
    const cancel = await control.cancelConsumers(['q1'], ['w1@test', 'w2@test']);
    expect(cancel).toEqual({ confirmed: ['w1@test', 'w2@test'], unconfirmed: [] });
    await waitFor('both workers to stop consuming q1', async () => (await queuesOf('w1@test')) === 'q2' && (await queuesOf('w2@test')) === 'q2', 10_000, 20);
    // The port's held(): asked active_queues first, then the tasks.
    const port = workersOf({ transport: 'amqp', control, depths: async (qs) => ({ pending: (await readAmqpQueueDepths(conn, qs)).pending, unacked: null }), reach: async () => { await conn.get(); }, close: () => undefined });
    expect(await port.held(['w1@test', 'w2@test', 'gone@test'], ['q1', 'q2'])).toEqual({
      'w1@test': { active: 0, reserved: 0, scheduled: 0, consuming: ['q2'] },
      'w2@test': { active: 0, reserved: 0, scheduled: 0, consuming: ['q2'] },
      'gone@test': null,
    });
    expect((await readAmqpQueueDepths(conn, ['q1'])).consumers.q1).toBe(0);
    await publishAmqpTasks(conn, 'q1', sleeps(3, 0.1));
    // Unlike Redis's BRPOP there is no pull in flight: with no consumer RabbitMQ delivers nothing.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await port.pending(['q1'])).toEqual({ q1: 3 });
    expect(await ready('q1')).toBe(3);
    const add = await control.addConsumer('q1', { destination: ['w1@test'] });
    expect(add.replies).toEqual({ 'w1@test': { ok: 'add consumer q1' } });
    await waitFor('queued messages consumed after add_consumer', async () => (await depth('q1')).q1 === 0, 15_000, 100);
    expect(await queuesOf('w2@test')).toBe('q2');
    expect(await port.add(['q1'], ['w2@test'])).toEqual({ confirmed: ['w2@test'], unconfirmed: [] });
    await waitFor('w2 consumes q1 again', async () => (await queuesOf('w2@test')) === 'q1,q2', 10_000, 20);
  });

  test('depth of a plain queue equals rabbitmqctl list_queues messages_ready', async () => {
    const ch = await (await conn.get()).createChannel();
    await ch.assertQueue('plain', { durable: true });
    await ch.close();
    await publishAmqpTasks(conn, 'plain', sleeps(17, 0));
    expect(await depth('plain')).toEqual({ plain: 17 });
    expect(await ready('plain')).toBe(17);
  });

  test('a queue that does not exist is 0 and breaks neither the call nor the connection', async () => {
    const model = await conn.get();
    const d = await readAmqpQueueDepths(conn, ['nope1', 'plain', 'nope2', 'q2']);
    expect(d).toEqual({ pending: { nope1: 0, plain: 17, nope2: 0, q2: 0 }, consumers: { nope1: 0, plain: 0, nope2: 0, q2: 2 } });
    expect(await conn.get()).toBe(model);
    expect(names(await control.ping({ destination: ['w1@test'] }))).toEqual(['w1@test']);
    expect(await depth('plain')).toEqual({ plain: 17 });
    // Nothing was created by asking.
    expect(Object.keys(await server.listQueues()).filter((q) => q.startsWith('nope'))).toEqual([]);
  });

  test('a priority queue (x-max-priority, Celery task_queue_max_priority) counts every priority', async () => {
    const ch = await (await conn.get()).createChannel();
    // As Celery declares it with task_queue_max_priority = 9: durable, x-max-priority 9.
    await ch.assertQueue('pq', { durable: true, maxPriority: 9 });
    await ch.close();
    await publishAmqpTasks(conn, 'pq', [0, 0, 3, 5, 9, 9, 9].map((p) => ({ task: 'tasks.sleep_task', args: [0], priority: p })));
    expect(await depth('pq')).toEqual({ pq: 7 });
    expect(await ready('pq')).toBe(7);
    // The worker redeclares it with the same arguments (or its channel would be closed) and takes them all.
    const w = await worker('wp@test', ['pq'], { CELERY_QUEUE_MAX_PRIORITY: '9' });
    extra.push(w);
    await waitFor('pq consumed', async () => (await depth('pq')).pq === 0, 20_000, 100);
    expect((await server.listQueues('arguments')).pq).toEqual(['[{"x-max-priority",9}]']);
    await w.stop('SIGKILL', 0);
  });

  test('a quorum queue counts right, and a worker declaring it with x-queue-type quorum consumes it', async () => {
    const ch = await (await conn.get()).createChannel();
    await ch.assertQueue('qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.close();
    await publishAmqpTasks(conn, 'qq', sleeps(5, 0));
    expect(await depth('qq')).toEqual({ qq: 5 });
    // A quorum queue's rabbitmqctl counters are metrics the node emits every few seconds, not the
    // queue's state as a passive declare reads it: they catch up.
    await waitFor('rabbitmqctl to count 5 ready in qq', async () => (await ready('qq')) === 5, 20_000, 500);
    const w = await worker('wq@test', ['qq'], { CELERY_QUORUM_QUEUES: 'qq' });
    extra.push(w);
    await waitFor('qq consumed', async () => (await depth('qq')).qq === 0, 20_000, 100);
    expect((await server.listQueues('type')).qq).toEqual(['quorum']);
    await w.stop('SIGKILL', 0);
  });

  test('a worker that does not answer is reported missing within the timeout', async () => {
    process.kill(w2.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const r = await control.ping({ destination: ['w1@test', 'w2@test'], timeoutMs: 800 });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(names(r)).toEqual(['w1@test']);
      expect(r.missing).toEqual(['w2@test']);
      const i = await inspectNodes(control, { destination: ['w1@test', 'w2@test'], timeoutMs: 800 });
      expect(i.nodes.map((n) => n.node)).toEqual(['w1@test']);
      expect(i.missing).toEqual(['w2@test']);
    } finally {
      process.kill(w2.pid, 'SIGCONT');
    }
  });

  test('many calls side by side, and a second client, each get only their own replies', async () => {
    const other = new AmqpControl(conn, { controlTimeoutMs: 1500, connectTimeoutMs: 2000 });
    for (let i = 0; i < 20; i += 1) {
      const rs = await Promise.all(Array.from({ length: 10 }, (_, j) => control.ping({ destination: [j % 2 ? 'w1@test' : 'w2@test'] })));
      rs.forEach((r, j) => expect(names(r)).toEqual([j % 2 ? 'w1@test' : 'w2@test']));
    }
    const [mine, theirs] = await Promise.all([control.ping({ destination: ['w1@test'] }), other.ping({ destination: ['w2@test'] })]);
    expect(names(mine)).toEqual(['w1@test']);
    expect(names(theirs)).toEqual(['w2@test']);
    other.close();
    // More than 127 commands, so the clock header passed the 8-bit range (lib/amqp/table.ts): both workers still up.
    expect(w1.exited || w2.exited).toBe(false);
    await waitFor('the closed client\'s reply queue is gone', async () => !(replyQueue(other.oid) in (await server.listQueues())), 10_000, 200);
    // As CeleryControl: close() ends what waits, and a later call opens again.
    expect(names(await other.ping({ destination: ['w2@test'] }))).toEqual(['w2@test']);
    other.close();
  });

  test('a broker restart: calls fail fast while it is down, and the same clients find it again', async () => {
    const port = workersOf({ transport: 'amqp', control, depths: async (qs) => ({ pending: (await readAmqpQueueDepths(conn, qs)).pending, unacked: null }), reach: async () => { await conn.get(); }, close: () => undefined });
    const restarted = server.restart();
    // While it is down or booting: a typed error within the timeouts, never a hang.
    await waitFor('the broker to be down', async () => {
      const started = Date.now();
      const err = await control.ping({ destination: ['w1@test'], timeoutMs: 500 }).then(() => null, (e: Error) => e);
      expect(Date.now() - started).toBeLessThan(5000);
      return err?.name === 'BrokerUnavailableError';
    }, 30_000, 100);
    await restarted;
    console.log(`RabbitMQ node restarted in ${server.startedInMs} ms`);
    // The workers reconnect by themselves (broker_connection_retry); the control and depth reader reopen on their next use.
    await waitFor('both workers to answer again', async () => names(await control.ping({ destination: ['w1@test', 'w2@test'], timeoutMs: 500 })).length === 2, 60_000, 200);
    // Durable queue, persistent messages: still there.
    expect(await port.pending(['plain', 'q1', 'nope'])).toEqual({ plain: 17, q1: 0, nope: 0 });
    // q1 was cancelled and added back on both workers (the cancel_consumer test): after the
    // reconnect they consume q2 only, and keep it so. celery/worker/consumer/consumer.py
    // cancel_task_queue deselects the queue from app.amqp.queues' consume_from; add_task_queue, the
    // queue being known, adds it to the live consumer only; a reconnect rebuilds the consumer from
    // consume_from. The cycle's self-healing (active_queues, then add_consumer) is what restores it.
    await waitFor('both workers to consume again', async () => (await queuesOf('w1@test')) !== '' && (await queuesOf('w2@test')) !== '', 30_000, 200);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await port.held(['w1@test', 'w2@test'], ['q1', 'q2'])).toEqual({
      'w1@test': { active: 0, reserved: 0, scheduled: 0, consuming: ['q2'] },
      'w2@test': { active: 0, reserved: 0, scheduled: 0, consuming: ['q2'] },
    });
    expect(await port.add(['q1'], ['w1@test', 'w2@test'])).toEqual({ confirmed: ['w1@test', 'w2@test'], unconfirmed: [] });
    await waitFor('q1 consumed again', async () => (await queuesOf('w1@test')) === 'q1,q2' && (await queuesOf('w2@test')) === 'q1,q2', 10_000, 50);
  });

  test('a task queue deleted under its workers: its ready messages go with it; each worker declares again the queues its consume_from lists', async () => {
    // Both consume q1 (given back by add_consumer: live consumer only) and q2 (from the start).
    // 40 s tasks: none ends before the delete, however long rabbitmqctl takes to start on busy cores.
    await publishAmqpTasks(conn, 'q2', sleeps(20, 40));
    // Each worker holds at most 2 (concurrency 1, prefetch 1: one running, one reserved); the rest wait, and the delete takes them.
    await waitFor('the workers to take their first tasks', async () => (await depth('q2')).q2 <= 18, 10_000, 50);
    const deleted = Number(/with (\d+) ready messages/.exec(await server.ctl('delete_queue', 'q2'))?.[1]);
    expect(deleted).toBeGreaterThanOrEqual(16);
    expect(deleted).toBeLessThanOrEqual(18);
    // The broker cancels their consumers; py-amqp raises ConsumerCancelled, a recoverable connection
    // error, and each worker reconnects and declares again what consume_from lists: q2 (and q1 only
    // if no cancel_consumer took it out: in the whole file's order the restart test's did, and
    // add_consumer on a queue it knew touched the live consumer only).
    await waitFor('q2 declared again and consumed by both', async () => (await readAmqpQueueDepths(conn, ['q2'])).consumers.q2 === 2, 30_000, 200);
    expect(await depth('q2')).toEqual({ q2: 0 });
    await waitFor('both workers to answer again', async () => names(await control.ping({ destination: ['w1@test', 'w2@test'], timeoutMs: 500 })).length === 2, 30_000, 200);
    for (const node of ['w1@test', 'w2@test']) expect((await queuesOf(node)).split(',')).toContain('q2');
    // The tasks they had started run on (acknowledged on start); the reserved ones went with the old channel.
    const held = await inspectNodes(control, { destination: ['w1@test', 'w2@test'] });
    expect(held.nodes.map((n) => [n.active, n.reserved])).toEqual([[1, 0], [1, 0]]);
  });
});

describe('a RabbitMQ broker that is down or refuses the login', () => {
  test('gives a BrokerUnavailableError quickly, never a hang, and never the password', async () => {
    const port = await freePort();
    const conn = new AmqpConnection(`amqp://user:s3cret@127.0.0.1:${port}//`, { connectTimeoutMs: 500 });
    const control = new AmqpControl(conn, { controlTimeoutMs: 500, connectTimeoutMs: 500 });
    const started = Date.now();
    const d = await readAmqpQueueDepths(conn, ['q']).catch((e: Error) => e);
    expect(d).toMatchObject({ name: 'BrokerUnavailableError' });
    const err = await control.ping().catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'BrokerUnavailableError' });
    expect(String((err as Error).message)).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(3000);
    control.close();
    await conn.close();
  });
});
