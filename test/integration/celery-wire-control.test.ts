import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { printedWhileRefused } from '../support/acl-cut';
import { failure } from '../support/failure';
import { connectBroker } from '../../lib/celery/connection';
import { CeleryControl } from '../../lib/celery/control';
import { inspectNodes, type NodeSnapshot } from '../../lib/celery/inspect';
import { pidboxChannel, replyQueue, SEP } from '../../lib/celery/keys';
import type { BrokerConfig } from '../../lib/config';
import { PidboxResponder, type EmulatedWorker } from '../../local/pidbox-responder';
import { freePort, waitFor } from '../../local/processes';
import { RedisServer } from '../../local/redis-server';

// Celery's remote control (kombu pidbox) from lib/celery against a real redis-server: emulated
// workers (local/pidbox-responder.ts) answer as Celery 5 does; a hand-made peer writes the replies
// no worker should send (another ticket, garbage, a node not asked) to show they are ignored.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Sent {
  envelope: { body: string; headers: { clock: number; expires: number }; [k: string]: unknown };
  body: { method: string; arguments: Record<string, unknown>; destination: string[] | null; ticket: string; reply_to: { exchange: string; routing_key: string }; [k: string]: unknown };
}

/** A reply message as kombu's Mailbox._publish_reply writes it; `ticket` undefined: no headers at all. */
function replyMessage(ticket: string | undefined, answer: unknown, encoding: 'base64' | 'plain' = 'base64'): string {
  const json = JSON.stringify(answer);
  return JSON.stringify({
    body: encoding === 'base64' ? Buffer.from(json).toString('base64') : json,
    'content-encoding': 'utf-8', 'content-type': 'application/json',
    ...(ticket === undefined ? {} : { headers: { ticket, clock: 1 } }),
    properties: { delivery_mode: 1, delivery_info: { exchange: 'reply.celery.pidbox', routing_key: 'x' }, priority: 0, ...(encoding === 'base64' ? { body_encoding: 'base64' } : {}), delivery_tag: randomUUID() },
  });
}

/**
 * A hand-made pidbox peer on one channel: it records each command as published and answers with
 * the raw messages `answer` gives, each onto the caller's reply list of that priority step.
 */
class Peer {
  readonly sent: Sent[] = [];
  answer: (s: Sent) => { step?: number; raw: string }[] = () => [];
  private constructor(private readonly sub: Redis, private readonly pub: Redis, private readonly prefix: string) {}

  static async start(url: string, prefix: string): Promise<Peer> {
    const p = new Peer(new Redis(url), new Redis(url), prefix);
    p.sub.on('message', (_ch: string, raw: string) => void p.onCommand(raw));
    await p.sub.subscribe(pidboxChannel({ db: 0, globalKeyprefix: prefix }));
    return p;
  }

  private async onCommand(raw: string): Promise<void> {
    const envelope = JSON.parse(raw) as Sent['envelope'];
    const s: Sent = { envelope, body: JSON.parse(Buffer.from(envelope.body, 'base64').toString('utf8')) as Sent['body'] };
    this.sent.push(s);
    const list = `${this.prefix}${replyQueue(s.body.reply_to.routing_key)}`;
    const m = this.pub.multi();
    for (const r of this.answer(s)) m.lpush(r.step ? `${list}${SEP}${r.step}` : list, r.raw);
    await m.exec();
  }

  stop(): void {
    this.sub.disconnect();
    this.pub.disconnect();
  }
}

describe('remote control and inspection over a real redis-server', () => {
  let server: RedisServer;
  let admin: Redis;
  const closing: (() => void)[] = [];
  const responders: PidboxResponder[] = [];

  /** A control client as the product makes one: on a fresh connection it has not waited for. */
  function control(prefix: string, controlTimeoutMs = 400, url = server.url): CeleryControl {
    return controlOn(prefix, controlTimeoutMs, url).c;
  }
  /** The same with its command connection, for a test that slows or watches it. */
  function controlOn(prefix: string, controlTimeoutMs = 400, url = server.url): { c: CeleryControl; redis: Redis } {
    const redis = connectBroker({ url: 'redis://unused', globalKeyprefix: prefix, prioritySteps: [0], connectTimeoutMs: 1000, controlTimeoutMs }, url);
    const c = new CeleryControl(redis, { db: 0, globalKeyprefix: prefix, controlTimeoutMs, connectTimeoutMs: 1000 });
    closing.push(() => c.close(), () => redis.disconnect());
    return { c, redis };
  }
  /** Runs `after` once each PUBLISH on `redis` has been answered, before the caller sees the answer. */
  function afterPublish(redis: Redis, after: () => Promise<void> | void): void {
    const publish = redis.publish.bind(redis) as (channel: string, message: string) => Promise<number>;
    (redis as unknown as { publish: typeof publish }).publish = async (channel, message) => {
      const listeners = await publish(channel, message);
      await after();
      return listeners;
    };
  }
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const replyList = (prefix: string, c: CeleryControl, step = 0) => `${prefix}${replyQueue(c.oid)}${step ? `${SEP}${step}` : ''}`;
  const bindingOf = (prefix: string, c: CeleryControl) => [`${prefix}_kombu.binding.reply.celery.pidbox`, `${c.oid}${SEP}${SEP}${c.oid}.reply.celery.pidbox`] as const;
  async function responder(prefix: string, workers: EmulatedWorker[]): Promise<PidboxResponder> {
    const r = await PidboxResponder.start({ brokerUrl: server.url, globalKeyprefix: prefix, workers });
    responders.push(r);
    return r;
  }
  async function peer(prefix: string): Promise<Peer> {
    const p = await Peer.start(server.url, prefix);
    closing.push(() => p.stop());
    return p;
  }
  const timed = async <T>(p: Promise<T>): Promise<{ result: T; ms: number }> => {
    const started = Date.now();
    const result = await p;
    return { result, ms: Date.now() - started };
  };

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = server.client();
  });
  afterAll(async () => {
    for (const c of closing) c();
    await Promise.all(responders.map((r) => r.stop()));
    admin?.disconnect();
    await server?.stop();
  });

  describe('the command as kombu\'s Mailbox publishes it', () => {
    test('envelope, body, clock per call, expiry from the timeout; the reply read per node', async () => {
      const p = await peer('wire:');
      await responder('wire:', [{ node: 'w1@t', queues: ['q1'] }]);
      const c = control('wire:', 400);
      const T = 1_700_000_000_123;
      const clock = jest.spyOn(Date, 'now').mockReturnValue(T);
      let results;
      try {
        results = [
          await c.ping({ destination: ['w1@t'], timeoutMs: 700 }),
          await c.cancelConsumer('q1', { destination: ['w1@t'] }),
        ];
      } finally {
        clock.mockRestore();
      }
      expect(results).toEqual([
        { replies: { 'w1@t': { ok: 'pong' } }, missing: [], expected: 1 },
        { replies: { 'w1@t': { ok: 'no longer consuming from q1' } }, missing: [], expected: 1 },
      ]);
      expect(p.sent).toHaveLength(2);
      const [ping, cancel] = p.sent;
      expect(ping.envelope).toEqual({
        body: ping.envelope.body,
        'content-encoding': 'utf-8',
        'content-type': 'application/json',
        headers: { clock: 1, expires: T / 1000 + 0.7 },
        properties: { delivery_mode: 2, delivery_info: { exchange: 'celery.pidbox', routing_key: '' }, priority: 0, body_encoding: 'base64', delivery_tag: expect.stringMatching(UUID) },
      });
      expect(ping.body).toEqual({
        method: 'ping', arguments: {}, destination: ['w1@t'], pattern: null, matcher: null, ticket: expect.stringMatching(UUID),
        reply_to: { exchange: 'reply.celery.pidbox', routing_key: c.oid },
      });
      expect(c.oid).toMatch(UUID);
      // The default timeout is the broker's controlTimeoutMs; the clock counts calls.
      expect(cancel.envelope.headers).toEqual({ clock: 2, expires: T / 1000 + 0.4 });
      expect([cancel.body.method, cancel.body.arguments]).toEqual(['cancel_consumer', { queue: 'q1' }]);
      expect(cancel.body.ticket).not.toBe(ping.body.ticket);
      expect(cancel.envelope.properties).not.toEqual(ping.envelope.properties);
    });

    test('each command by its name, with its arguments', async () => {
      const p = await peer('names:');
      const c = control('names:', 100);
      const o = { destination: ['n@t'] };
      await Promise.all([c.ping(o), c.active(o), c.reserved(o), c.scheduled(o), c.stats(o), c.activeQueues(o), c.cancelConsumer('qa', o), c.addConsumer('qb', o)]);
      expect(p.sent.map((s) => [s.body.method, s.body.arguments]).sort()).toEqual([
        ['active', {}], ['active_queues', {}], ['add_consumer', { queue: 'qb' }], ['cancel_consumer', { queue: 'qa' }],
        ['ping', {}], ['reserved', {}], ['scheduled', {}], ['stats', {}],
      ]);
      // No arguments and no options: a broadcast without arguments.
      expect(await c.call('ping')).toEqual({ replies: {}, missing: [], expected: 1 });
      expect([p.sent[8].body.arguments, p.sent[8].body.destination]).toEqual([{}, null]);
    });
  });

  describe('who answers', () => {
    let fleet: PidboxResponder;
    beforeAll(async () => {
      fleet = await responder('fleet:', [{ node: 'w2@t', queues: ['q1', 'q2'] }, { node: 'w1@t', queues: ['q1', 'q2'] }, { node: 'w3@t', queues: ['q1', 'q2'] }]);
    });

    test('a broadcast waits for as many answers as PUBLISH counted listeners, and no longer', async () => {
      const { result, ms } = await timed(control('fleet:', 5000).ping());
      expect(result).toEqual({ replies: { 'w1@t': { ok: 'pong' }, 'w2@t': { ok: 'pong' }, 'w3@t': { ok: 'pong' } }, missing: [], expected: 3 });
      expect(ms).toBeLessThan(2500);
    });

    test('named nodes: only they are asked, each once; one that does not exist is missing at the timeout', async () => {
      const { result, ms } = await timed(control('fleet:', 5000).ping({ destination: ['w2@t', 'ghost@t', 'w2@t'], timeoutMs: 300 }));
      expect(result).toEqual({ replies: { 'w2@t': { ok: 'pong' } }, missing: ['ghost@t'], expected: 2 });
      expect(ms).toBeGreaterThanOrEqual(280);
      expect(ms).toBeLessThan(2500);
    });

    test('no destination named: nothing is sent', async () => {
      const before = fleet.stats.commands;
      const c = control('fleet:');
      expect(await c.ping({ destination: [] })).toEqual({ replies: {}, missing: [], expected: 0 });
      expect(await c.cancelConsumers(['q1'], [])).toEqual({ confirmed: [], unconfirmed: [] });
      expect(await c.addConsumers(['q1'], [])).toEqual({ confirmed: [], unconfirmed: [] });
      expect(fleet.stats.commands).toBe(before);
    });

    test('an empty destination reaches no worker (Celery reads [] as every worker): no queue is cancelled anywhere', async () => {
      const fleet2 = await responder('empty:', [{ node: 'e1@t', queues: ['q1'] }, { node: 'e2@t', queues: ['q1'] }]);
      const c = control('empty:', 2000);
      expect(await c.cancelConsumer('q1', { destination: [] })).toEqual({ replies: {}, missing: [], expected: 0 });
      // A named call after it, on the same connection: had the first gone out, it would have been handled first.
      expect((await c.activeQueues({ destination: ['e1@t', 'e2@t'] })).replies).toEqual({ 'e1@t': [expect.objectContaining({ name: 'q1' })], 'e2@t': [expect.objectContaining({ name: 'q1' })] });
      expect(fleet2.stats.commands).toBe(1);
    });

    test('a broadcast whose answers come before PUBLISH says how many listened: it still waits for all of them', async () => {
      await responder('early:', [{ node: 'x1@t', queues: ['q1'] }, { node: 'x2@t', queues: ['q1'] }, { node: 'x3@t', queues: ['q1'] }]);
      const { c, redis } = controlOn('early:', 5000);
      // The command connection slow to bring PUBLISH's count back: the workers' answers are read first.
      afterPublish(redis, () => sleep(300));
      const { result, ms } = await timed(c.ping());
      expect(result).toEqual({ replies: { 'x1@t': { ok: 'pong' }, 'x2@t': { ok: 'pong' }, 'x3@t': { ok: 'pong' } }, missing: [], expected: 3 });
      expect(ms).toBeLessThan(2500);
    });

    test('nobody listening: the answer at once, the named nodes missing', async () => {
      const c = control('nobody:', 5000);
      const broadcast = await timed(c.ping());
      expect(broadcast.result).toEqual({ replies: {}, missing: [], expected: 0 });
      expect(broadcast.ms).toBeLessThan(2500);
      const named = await timed(c.ping({ destination: ['x@t'] }));
      expect(named.result).toEqual({ replies: {}, missing: ['x@t'], expected: 1 });
      expect(named.ms).toBeLessThan(2500);
    });

    test('cancel and add consumers: confirmed per node, in the order named, every queue or not at all', async () => {
      const c = control('fleet:', 300);
      expect(await c.cancelConsumers(['q1', 'q2'], ['w2@t', 'ghost@t', 'w1@t'])).toEqual({ confirmed: ['w2@t', 'w1@t'], unconfirmed: ['ghost@t'] });
      await waitFor('w1@t without q1 and q2', async () => (await c.activeQueues({ destination: ['w1@t'] })).replies['w1@t']?.length === 0, 3000, 10);
      expect((await c.activeQueues({ destination: ['w3@t'] })).replies['w3@t'].map((q) => q.name)).toEqual(['q1', 'q2']);
      expect(await c.addConsumers(['q2', 'q1'], ['w1@t'])).toEqual({ confirmed: ['w1@t'], unconfirmed: [] });
      await waitFor('w1@t with q2 and q1', async () => (await c.activeQueues({ destination: ['w1@t'] })).replies['w1@t']?.length === 2, 3000, 10);
      expect((await c.activeQueues({ destination: ['w1@t'] })).replies['w1@t'].map((q) => q.name)).toEqual(['q2', 'q1']);
      expect(await c.addConsumer('q3', { destination: ['w2@t'] })).toEqual({ replies: { 'w2@t': { ok: 'add consumer q3' } }, missing: [], expected: 1 });
    });

    test('a node that confirms one queue and not the other is unconfirmed', async () => {
      const p = await peer('half:');
      p.answer = (s) => [
        { raw: replyMessage(s.body.ticket, { 'full@t': { ok: 'x' } }) },
        ...(s.body.arguments.queue === 'q1' ? [{ raw: replyMessage(s.body.ticket, { 'half@t': { ok: 'x' } }) }] : []),
      ];
      const c = control('half:', 300);
      expect(await c.cancelConsumers(['q1', 'q2'], ['half@t', 'full@t'])).toEqual({ confirmed: ['full@t'], unconfirmed: ['half@t'] });
      expect(await c.addConsumers(['q2', 'q1'], ['half@t', 'full@t'])).toEqual({ confirmed: ['full@t'], unconfirmed: ['half@t'] });
      expect(p.sent.map((s) => [s.body.method, s.body.arguments.queue, s.body.destination]).sort()).toEqual([
        ['add_consumer', 'q1', ['half@t', 'full@t']], ['add_consumer', 'q2', ['half@t', 'full@t']],
        ['cancel_consumer', 'q1', ['half@t', 'full@t']], ['cancel_consumer', 'q2', ['half@t', 'full@t']],
      ]);
    });
  });

  describe('late, silent and foreign replies', () => {
    beforeAll(async () => {
      await responder('slow:', [
        { node: 'ok@t', queues: ['q1'] },
        { node: 'frozen@t', queues: ['q1'], silentTo: ['*'] },
        { node: 'late@t', queues: ['q1'], replyDelayMs: 250 },
      ]);
    });

    test('a broadcast with a frozen worker: the others\' answers at the timeout, the listener count expected', async () => {
      const { result, ms } = await timed(control('slow:').ping({ timeoutMs: 600 }));
      expect(result).toEqual({ replies: { 'ok@t': { ok: 'pong' }, 'late@t': { ok: 'pong' } }, missing: [], expected: 3 });
      expect(ms).toBeGreaterThanOrEqual(580);
    });

    test('a late answer within the timeout counts; after it, the node is missing and its answer goes nowhere', async () => {
      const c = control('slow:');
      const { result, ms } = await timed(c.ping({ destination: ['late@t'], timeoutMs: 3000 }));
      expect(result).toEqual({ replies: { 'late@t': { ok: 'pong' } }, missing: [], expected: 1 });
      expect(ms).toBeGreaterThanOrEqual(240);
      expect(ms).toBeLessThan(2500);
      expect(await c.ping({ destination: ['late@t', 'frozen@t'], timeoutMs: 100 })).toEqual({ replies: {}, missing: ['late@t', 'frozen@t'], expected: 2 });
      expect(await c.ping({ destination: ['ok@t'] })).toEqual({ replies: { 'ok@t': { ok: 'pong' } }, missing: [], expected: 1 });
    });

    test('while a call waits its reply binding is in the set; when none waits, the binding and every reply list are gone', async () => {
      const c = control('slow:');
      const binding = ['slow:_kombu.binding.reply.celery.pidbox', `${c.oid}${SEP}${SEP}${c.oid}.reply.celery.pidbox`] as const;
      const lists = ['', `${SEP}3`, `${SEP}6`, `${SEP}9`].map((s) => `slow:${c.oid}.reply.celery.pidbox${s}`);
      const slow = c.ping({ destination: ['late@t'], timeoutMs: 3000 });
      // A fast call ending meanwhile leaves the binding for the slow one.
      expect((await c.ping({ destination: ['ok@t'] })).replies).toEqual({ 'ok@t': { ok: 'pong' } });
      expect(await admin.sismember(...binding)).toBe(1);
      await admin.lpush(lists[3], 'left over');
      expect((await slow).replies).toEqual({ 'late@t': { ok: 'pong' } });
      await waitFor('the binding removed', async () => (await admin.sismember(...binding)) === 0, 3000, 5);
      expect(await admin.exists(...lists)).toBe(0);
    });

    test('replies with another ticket, none, no body, garbage or a node not asked are ignored; every priority list is read', async () => {
      const p = await peer('foreign:');
      p.answer = (s) => [
        { raw: 'not json' },
        { raw: replyMessage(randomUUID(), { 'a@t': { ok: 'forged' } }) },
        { raw: replyMessage(undefined, { 'a@t': { ok: 'no ticket' } }) },
        { raw: replyMessage(s.body.ticket, null) },
        { raw: replyMessage(s.body.ticket, { 'a@t': { ok: 'pong' }, 'intruder@t': { ok: 'pong' } }, 'plain') },
        { step: 3, raw: replyMessage(s.body.ticket, { 'b@t': { ok: 'pong' } }) },
      ];
      const { result, ms } = await timed(control('foreign:').ping({ destination: ['a@t', 'b@t'], timeoutMs: 3000 }));
      expect(result).toEqual({ replies: { 'a@t': { ok: 'pong' }, 'b@t': { ok: 'pong' } }, missing: [], expected: 2 });
      expect(ms).toBeLessThan(2500);
    });

    test('two calls at once to the same node: each gets the reply with its own ticket', async () => {
      const p = await peer('tickets:');
      p.answer = (s) => [{ raw: replyMessage(s.body.ticket, { 'a@t': { ok: s.body.method } }) }];
      const c = control('tickets:', 2000);
      const [stats, active] = await Promise.all([c.stats({ destination: ['a@t'] }), c.active({ destination: ['a@t'] })]);
      expect([stats.replies, active.replies]).toEqual([{ 'a@t': { ok: 'stats' } }, { 'a@t': { ok: 'active' } }]);
    });
  });

  describe('closing and failures', () => {
    let failing: PidboxResponder;
    beforeAll(async () => {
      failing = await responder('fail:', [{ node: 'ok@t', queues: ['q1'] }, { node: 'frozen@t', queues: ['q1'], silentTo: ['*'] }]);
    });

    test('close() ends the waiting calls at once; the client then works again', async () => {
      const fresh = control('fail:');
      expect(() => fresh.close()).not.toThrow();
      const c = control('fail:');
      const started = Date.now();
      const before = failing.stats.commands;
      const waiting = [failure(c.ping({ destination: ['frozen@t'], timeoutMs: 5000 })), failure(c.stats({ destination: ['frozen@t'], timeoutMs: 5000 }))];
      await waitFor('both calls sent', () => failing.stats.commands === before + 2, 3000, 5);
      c.close();
      expect(await Promise.all(waiting)).toEqual([
        { name: 'BrokerUnavailableError', message: 'control client closed' },
        { name: 'BrokerUnavailableError', message: 'control client closed' },
      ]);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await c.ping({ destination: ['ok@t'] })).toEqual({ replies: { 'ok@t': { ok: 'pong' } }, missing: [], expected: 1 });
    });

    test('closed just as the command went out: no timeout is left running for the ended call (nothing runs on the broker after it)', async () => {
      const { c, redis } = controlOn('fail:', 600);
      afterPublish(redis, () => c.close());
      const started = Date.now();
      expect(await failure(c.ping({ destination: ['frozen@t'] }))).toEqual({ name: 'BrokerUnavailableError', message: 'control client closed' });
      const binding = bindingOf('fail:', c);
      await waitFor('the binding removed', async () => (await admin.sismember(...binding)) === 0, 3000, 5);
      // Anything on the reply list now stays until a call of this client cleans up again: none will.
      await admin.lpush(replyList('fail:', c), 'left over');
      await sleep(Math.max(0, started + 1000 - Date.now()));
      expect(await admin.lrange(replyList('fail:', c), 0, -1)).toEqual(['left over']);
    });

    test('the reader\'s connection errors are handled: a password changed under it is not printed by ioredis at each retry', async () => {
      // The reader (its last command a BRPOP or RPOP) is cut and retries with the old password.
      const printed = await printedWhileRefused(admin, server.url, 'ctluser', (l) => / cmd=(brpop|rpop) /.test(l), async (url) => {
        const { c, redis } = controlOn('fail:', 1000, url);
        expect((await c.ping({ destination: ['ok@t'] })).replies).toEqual({ 'ok@t': { ok: 'pong' } });
        return () => { c.close(); redis.disconnect(); };
      });
      expect(printed).toEqual([]);
    });

    test('the reply lists are read only while a call waits, by one reader: concurrent calls, the last ended by its answer, then nothing reads', async () => {
      const p = await peer('idle:');
      const c = control('idle:', 5000);
      // Five calls that time out and one the test answers itself, all started at once.
      const silent = Array.from({ length: 5 }, () => c.ping({ destination: ['x@t'], timeoutMs: 200 }));
      const answered = c.stats({ destination: ['a@t'] });
      await Promise.all(silent);
      const ticket = (await waitFor('the stats command', () => p.sent.find((s) => s.body.method === 'stats'), 3000, 5)).body.ticket;
      await sleep(150);
      await admin.lpush(replyList('idle:', c), replyMessage(ticket, { 'a@t': { total: {} } }));
      expect((await answered).replies).toEqual({ 'a@t': { total: {} } });
      await waitFor('the binding removed', async () => (await admin.sismember(...bindingOf('idle:', c))) === 0, 3000, 5);
      // No call waits: a message left on a reply list is read by no one.
      await admin.lpush(replyList('idle:', c, 9), 'left over');
      await sleep(400);
      expect(await admin.lrange(replyList('idle:', c, 9), 0, -1)).toEqual(['left over']);
    });

    test('one reader connection per client, however many calls; closed with it', async () => {
      const connections = async () => ((await admin.client('LIST')) as string).trim().split('\n').length;
      const before = await connections();
      const c = control('fail:');
      for (let i = 0; i < 3; i += 1) expect((await c.ping({ destination: ['ok@t'] })).replies).toEqual({ 'ok@t': { ok: 'pong' } });
      await Promise.all([c.ping({ destination: ['ok@t'] }), c.stats({ destination: ['ok@t'] })]);
      // The command connection and one reader.
      expect(await connections()).toBe(before + 2);
      c.close();
      await waitFor('the reader closed', async () => (await connections()) === before + 1, 3000, 5);
    });

    test('the broker refusing the reply binding: the call fails naming the command', async () => {
      await admin.set('bad:_kombu.binding.reply.celery.pidbox', 'not a set');
      expect(await failure(control('bad:').ping({ destination: ['ok@t'] }))).toEqual({
        name: 'BrokerUnavailableError', message: 'remote control ping: WRONGTYPE Operation against a key holding the wrong kind of value',
      });
    });

    test('a broker not reached: the connection\'s message', async () => {
      const e = await failure(control('fail:', 400, `redis://127.0.0.1:${await freePort()}/0`).ping());
      expect(e.name).toBe('BrokerUnavailableError');
      expect(e.message).toMatch(/^broker not reachable: no connection after \d\.\d s \(connectTimeoutMs 1000; (re)?connecting: connect ECONNREFUSED/);
    });

    test('the replies cannot be read (BRPOP refused): every waiting call fails with why', async () => {
      await admin.call('ACL', 'SETUSER', 'nobrpop', 'on', '>pw', '~*', '&*', '+@all', '-brpop');
      const c = control('fail:', 3000, server.url.replace('redis://', 'redis://nobrpop:pw@'));
      const why = { name: 'BrokerUnavailableError', message: "reading remote-control replies: NOPERM this user has no permissions to run the 'brpop' command" };
      expect(await Promise.all([failure(c.ping({ destination: ['ok@t'] })), failure(c.stats({ destination: ['ok@t'] }))])).toEqual([why, why]);
    });
  });

  describe('inspectNodes', () => {
    const T = 1_700_000_000_000;
    const at = (secondsAgo: number) => T / 1000 - secondsAgo;
    const idle = (node: string, o: Partial<NodeSnapshot> = {}): NodeSnapshot => ({
      node, active: 0, reserved: 0, scheduled: 0, processed: 0, queues: [], longestActiveSeconds: 0, concurrency: 1, totals: {}, activeByTask: {}, taskQueues: {}, ...o,
    });

    beforeAll(async () => {
      await responder('insp:', [
        {
          node: 'b@t', queues: ['q1', 'q2'], pool: 'prefork', concurrency: 3, totals: { 'tasks.a': 5, 'tasks.b': 2 },
          active: [
            { id: 'a1', name: 'tasks.a', queue: 'q1', timeStart: at(30) },
            { id: 'a2', name: 'tasks.a', queue: 'q1', timeStart: at(100.4) },
            { id: 'a3', name: 'tasks.b', queue: 'q2', timeStart: at(10) },
          ],
          reserved: [{ id: 'r1', name: 'tasks.a', queue: 'q1' }, { id: 'r2', name: 'tasks.b', queue: 'q2' }],
          scheduled: [{ eta: '2030-01-01T00:00:00+00:00', priority: 6, task: { id: 's1', name: 'tasks.a', queue: 'q1' } }],
        },
        { node: 'a@t', queues: ['q3'] },
        // Shapes another worker could answer: not lists, totals that are not counts, a pool without its slots.
        { node: 'c@t', queues: [], results: { active: { error: "KeyError('active')" }, reserved: 'none', stats: { total: { 'tasks.x': 3, 'tasks.y': 'n/a' }, pool: { 'max-concurrency': 0 } } } },
        {
          node: 'd@t', queues: ['q9'], results: {
            stats: { pool: { 'max-concurrency': '4' } },
            active: [{ name: 5, delivery_info: { routing_key: 'q' } }, { name: 'tasks.y', delivery_info: { routing_key: 7 } }, { name: 'tasks.y' }, { name: 'tasks.y', time_start: null, delivery_info: { routing_key: 'q9' } }],
          },
        },
        { node: 'e@t', queues: ['q1'], results: { stats: { total: 5, pool: null } } },
        { node: 'f@t', queues: ['q1'], results: { stats: { total: null }, active: [{ name: 'tasks.f', time_start: at(-50), delivery_info: { routing_key: 'q1' } }] } },
        { node: 'p@t', queues: ['q1'], silentTo: ['stats'] },
        { node: 'q@t', queues: ['q1'], silentTo: ['active_queues'] },
        { node: 'z@t', queues: ['q1'], silentTo: ['*'] },
      ]);
    });

    const expectedNodes = (withQueues: boolean): NodeSnapshot[] => {
      const q = (names: string[]) => (withQueues ? names : []);
      return [
        idle('a@t', { queues: q(['q3']) }),
        {
          node: 'b@t', active: 3, reserved: 2, scheduled: 1, processed: 7, queues: q(['q1', 'q2']), longestActiveSeconds: 100, concurrency: 3,
          totals: { 'tasks.a': 5, 'tasks.b': 2 }, activeByTask: { 'tasks.a': 2, 'tasks.b': 1 }, taskQueues: { 'tasks.a': 'q1', 'tasks.b': 'q2' },
        },
        idle('c@t', { processed: 3, concurrency: null, totals: { 'tasks.x': 3 } }),
        idle('d@t', { active: 4, processed: null, queues: q(['q9']), concurrency: null, totals: undefined, activeByTask: { 'tasks.y': 3 }, taskQueues: { 'tasks.y': 'q9' } }),
        idle('e@t', { processed: null, queues: q(['q1']), concurrency: null, totals: undefined }),
        idle('f@t', { active: 1, processed: null, queues: q(['q1']), concurrency: null, totals: undefined, activeByTask: { 'tasks.f': 1 }, taskQueues: { 'tasks.f': 'q1' } }),
      ];
    };

    async function inspectAt(c: CeleryControl, o: Parameters<typeof inspectNodes>[1]) {
      const clock = jest.spyOn(Date, 'now').mockReturnValue(T);
      try {
        return await inspectNodes(c, o);
      } finally {
        clock.mockRestore();
      }
    }

    test('a broadcast: each node parsed, in name order; part answers are missing, no answer at all is counted', async () => {
      const c = control('insp:');
      expect(await inspectAt(c, { timeoutMs: 500 })).toEqual({ nodes: expectedNodes(true), missing: ['p@t', 'q@t'], unanswered: 1 });
    });

    test('without queues: a node that does not answer active_queues is not missing, and no node has queues', async () => {
      const c = control('insp:');
      const nodes = [...expectedNodes(false), idle('q@t')].sort((a, b) => a.node.localeCompare(b.node));
      expect(await inspectAt(c, { timeoutMs: 500, withQueues: false })).toEqual({ nodes, missing: ['p@t'], unanswered: 1 });
    });

    test('without queues, and a node answering active_queues with null: no queue at all, not a made-up one', async () => {
      const p = await peer('nullq:');
      p.answer = (s) => [{ raw: replyMessage(s.body.ticket, { 'n@t': { stats: {}, active_queues: null }[s.body.method] ?? [] }) }];
      const c = control('nullq:', 2000);
      for (const withQueues of [true, false]) {
        const i = await inspectNodes(c, { withQueues });
        expect(i.nodes.map((n) => [n.node, n.queues.length])).toEqual([['n@t', 0]]);
      }
    });

    test('named nodes: one that never answers and one that answers in part are missing; nothing is unanswered', async () => {
      const c = control('insp:');
      expect(await inspectAt(c, { destination: ['b@t', 'ghost@t', 'p@t'], timeoutMs: 300 }))
        .toEqual({ nodes: [expectedNodes(true)[1]], missing: ['ghost@t', 'p@t'], unanswered: 0 });
    });

    test('more nodes answer than listeners were counted: none unanswered, not fewer than none', async () => {
      const p = await peer('two:');
      p.answer = (s) => [{ raw: replyMessage(s.body.ticket, { 'y@t': s.body.method === 'stats' ? {} : [], 'x@t': s.body.method === 'stats' ? {} : [] }) }];
      const i = await inspectNodes(control('two:', 2000));
      expect(i).toEqual({ nodes: [idle('x@t', { processed: null, concurrency: null, totals: undefined }), idle('y@t', { processed: null, concurrency: null, totals: undefined })], missing: [], unanswered: 0 });
    });
  });
});
