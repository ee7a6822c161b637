import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { printedWhileRefused } from '../support/acl-cut';
import { failure } from '../support/failure';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { BrokerUrlError } from '../../lib/broker-url';
import { aclSetuserCommand, autoscalerAclRules } from '../../lib/celery/acl';
import { brokerError, connectBroker, ensureReady, tlsMismatch } from '../../lib/celery/connection';
import { CeleryControl } from '../../lib/celery/control';
import { decodeEvents, EVENT_EXCHANGE, eventPattern, listenToEvents, type CeleryEvent } from '../../lib/celery/events';
import { inspectNodes } from '../../lib/celery/inspect';
import { bindingMember, bindingSet, PIDBOX_EXCHANGE, pidboxChannel, prefixed, queueLists, REPLY_EXCHANGE, replyQueue, SEP, UNACKED } from '../../lib/celery/keys';
import { measureBroker } from '../../lib/celery/measure';
import { readQueueDepths } from '../../lib/celery/probe';
import { publishTasks, taskEnvelope } from '../../lib/celery/publish';
import { parseConfig, type AutoscalerConfig, type BrokerConfig } from '../../lib/config';
import { BrokerUnavailableError } from '../../lib/errors';
import { PidboxResponder } from '../../local/pidbox-responder';
import { freePort, waitFor } from '../../local/processes';
import { RedisServer } from '../../local/redis-server';
import { makeTlsCerts } from '../support/tls-certs';

// The wire of lib/celery against a real redis-server, with emulated Celery workers
// (local/pidbox-responder.ts) where a worker must answer: fast enough to run per mutant.

const exec = promisify(execFile);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const broker: BrokerConfig = { url: 'redis://unused', globalKeyprefix: '', prioritySteps: [0, 3, 6, 9], connectTimeoutMs: 300, controlTimeoutMs: 500 };


/** The message with the time waited as `<T>`, once that time is checked to be the timeout (not far more, not less). */
function waited(message: string, timeoutMs: number): string {
  const m = /no connection after (\d+\.\d) s/.exec(message);
  if (m) {
    expect(Number(m[1])).toBeGreaterThanOrEqual(timeoutMs / 1000 - 0.05);
    expect(Number(m[1])).toBeLessThan(timeoutMs / 1000 + 2);
  }
  return message.replace(/no connection after \d+\.\d s/, 'no connection after <T> s');
}

/** A TCP port whose every connection gets `onSocket`: a server that never answers, closes at once, or is no Redis. */
async function tcpServer(onSocket: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const srv = createServer((s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      srv.close(() => resolve());
    }),
  };
}

/** A config with its services; every service field but its queues is the same. */
function configWith(b: Record<string, unknown>, services: Record<string, string[]>): AutoscalerConfig {
  return parseConfig({
    broker: b,
    services: Object.fromEntries(Object.entries(services).map(([name, queues]) => [name, { cluster: 'c', service: name, queues, maxWorkers: 2, tasksPerWorkerPerMinute: 1 }])),
  });
}

describe('keys: the names kombu gives on Redis', () => {
  test('a queue is one list per distinct priority step, in the given order, step 0 the bare name', () => {
    expect(SEP).toBe('\x06\x16');
    expect(queueLists('q', [0, 3, 6, 9])).toEqual(['q', 'q\x06\x163', 'q\x06\x166', 'q\x06\x169']);
    expect(queueLists('q', [9, 0, 9, 3, 0])).toEqual(['q\x06\x169', 'q', 'q\x06\x163']);
    expect(queueLists('q', [5])).toEqual(['q\x06\x165']);
  });

  test('global_keyprefix goes in front of keys and channels, nothing when empty', () => {
    expect(prefixed({ globalKeyprefix: 'app:' }, 'q1')).toBe('app:q1');
    expect(prefixed({ globalKeyprefix: '' }, 'q1')).toBe('q1');
    expect(UNACKED).toBe('unacked');
  });

  test('the pidbox exchanges, channel, binding and reply queue', () => {
    expect(PIDBOX_EXCHANGE).toBe('celery.pidbox');
    expect(REPLY_EXCHANGE).toBe('reply.celery.pidbox');
    expect(bindingSet(REPLY_EXCHANGE)).toBe('_kombu.binding.reply.celery.pidbox');
    expect(bindingMember('rk', '', 'queue')).toBe('rk\x06\x16\x06\x16queue');
    expect(bindingMember('rk', 'p', 'queue')).toBe('rk\x06\x16p\x06\x16queue');
    expect(replyQueue('abc')).toBe('abc.reply.celery.pidbox');
    expect(pidboxChannel({ db: 5, globalKeyprefix: 'app:' })).toBe('app:/5.celery.pidbox');
    expect(pidboxChannel({ db: 0, globalKeyprefix: '' })).toBe('/0.celery.pidbox');
    expect(pidboxChannel({ globalKeyprefix: '' })).toBe('/0.celery.pidbox');
  });

  test('the event pattern: every event type of one db, prefixed', () => {
    expect(EVENT_EXCHANGE).toBe('celeryev');
    expect(eventPattern({ db: 2, globalKeyprefix: 'pfx:' })).toBe('pfx:/2.celeryev/*');
    expect(eventPattern({ globalKeyprefix: '' })).toBe('/0.celeryev/*');
  });
});

describe('acl: the least-privilege rules, exactly', () => {
  // A prefix and a stage with every glob character: each must match only itself.
  const config = configWith({ url: 'redis://cache.example:6379/3', globalKeyprefix: 'app*[1]?:', prioritySteps: [0, 5] }, { b: ['zeta', 'alpha'], a: ['mid?'] });

  test('one selector per use, queues sorted and deduplicated, every glob character escaped, the db from the URL', () => {
    // The same queue listed by two services (the schema forbids it; the rules must not repeat it either).
    const twice = { ...config, services: { ...config.services, c: { ...config.services.a, queues: ['alpha'] } } };
    expect(autoscalerAclRules(twice, 'st\\g*')).toEqual([
      'resetkeys', 'resetchannels', '-@all', '+info', '+select', '+multi', '+exec',
      '(~app\\*\\[1\\]\\?:alpha ~app\\*\\[1\\]\\?:alpha??5 ~app\\*\\[1\\]\\?:mid\\? ~app\\*\\[1\\]\\?:mid\\???5 ~app\\*\\[1\\]\\?:zeta ~app\\*\\[1\\]\\?:zeta??5 ~app\\*\\[1\\]\\?:unacked +llen +hlen)',
      '(~app\\*\\[1\\]\\?:_kombu.binding.reply.celery.pidbox +sadd +srem)',
      '(~app\\*\\[1\\]\\?:[0-9a-f]*-*.reply.celery.pidbox* +brpop +rpop +del)',
      '(&app\\*\\[1\\]\\?:/3.celery.pidbox +publish)',
      '(~celery-autoscaler:st\\\\g\\*:* +get +mget +set +del +pexpire +eval +hgetall +hset +sadd +smembers +scard)',
    ]);
  });

  test('without a URL (the SSM parameter) the db is the config\'s, else 0', () => {
    const ssm = configWith({ urlParameter: '/broker', db: 4 }, { a: ['q'] });
    expect(autoscalerAclRules(ssm, 'prod')[10]).toBe('(&/4.celery.pidbox +publish)');
    const none = configWith({ urlParameter: '/broker' }, { a: ['q'] });
    expect(autoscalerAclRules(none, 'prod')[7]).toBe('(~q ~q??3 ~q??6 ~q??9 ~unacked +llen +hlen)');
    expect(autoscalerAclRules(none, 'prod')[10]).toBe('(&/0.celery.pidbox +publish)');
  });

  test('the runbook line: words a shell would change are single-quoted, a quote escaped, defaults autoscaler and PASSWORD', () => {
    const plain = configWith({ url: 'redis://h:6379' }, { web: ['q1'] });
    expect(aclSetuserCommand(plain, 'prod')).toBe(
      "ACL SETUSER autoscaler reset on '>PASSWORD' resetkeys resetchannels -@all +info +select +multi +exec "
      + "'(~q1 ~q1??3 ~q1??6 ~q1??9 ~unacked +llen +hlen)' '(~_kombu.binding.reply.celery.pidbox +sadd +srem)' "
      + "'(~[0-9a-f]*-*.reply.celery.pidbox* +brpop +rpop +del)' '(&/0.celery.pidbox +publish)' "
      + "'(~celery-autoscaler:prod:* +get +mget +set +del +pexpire +eval +hgetall +hset +sadd +smembers +scard)'",
    );
    // Every character a shell leaves alone stays bare; a name that only starts like one is quoted.
    expect(aclSetuserCommand(plain, 'prod', 'svc_1+a-b:c@d.e=f/g', 'pw').split(' ').slice(0, 6)).toEqual(['ACL', 'SETUSER', 'svc_1+a-b:c@d.e=f/g', 'reset', 'on', "'>pw'"]);
    expect(aclSetuserCommand(plain, 'prod', "it's me", "it's").split(' ').slice(0, 7)).toEqual(['ACL', 'SETUSER', "'it'\\''s", "me'", 'reset', 'on', "'>it'\\''s'"]);
  });
});

describe('lib/celery against a real redis-server', () => {
  let server: RedisServer;
  let withPassword: RedisServer;
  let tlsServer: RedisServer;
  let certs: ReturnType<typeof makeTlsCerts>;
  let admin: Redis;
  let closedPort: number;
  const clients: Redis[] = [];
  /** A client of the product's (connectBroker), disconnected after the file. */
  const connect = (url: string, b: BrokerConfig = broker): Redis => {
    const c = connectBroker(b, url);
    clients.push(c);
    return c;
  };
  /** The same, once ready: publishTasks is for load generators and does not wait for the connection. */
  const ready = async (url: string, b: BrokerConfig = broker): Promise<Redis> => {
    const c = connect(url, b);
    await ensureReady(c, 2000);
    return c;
  };
  const urlOf = (s: RedisServer, db: number) => s.url.replace(/\/0$/, `/${db}`);

  beforeAll(async () => {
    certs = makeTlsCerts();
    [server, withPassword, tlsServer, closedPort] = await Promise.all([
      RedisServer.start(), RedisServer.start(undefined, undefined, { password: 'sec' }), RedisServer.start(undefined, undefined, { tls: certs }), freePort(),
    ]);
    admin = server.client();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    admin?.disconnect();
    await Promise.all([server?.stop(), withPassword?.stop(), tlsServer?.stop()]);
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await admin.flushall();
  });

  describe('connection', () => {
    test('the URL\'s /N decides the db, else the config\'s db; a config db that contradicts the URL is refused', async () => {
      const fromUrl = connect(urlOf(server, 4));
      const fromConfig = connect(server.url.replace(/\/0$/, ''), { ...broker, db: 5 });
      await Promise.all([ensureReady(fromUrl, 2000), ensureReady(fromConfig, 2000)]);
      await fromUrl.set('k', 'four');
      await fromConfig.set('k', 'five');
      expect(await admin.select(4).then(() => admin.get('k'))).toBe('four');
      expect(await admin.select(5).then(() => admin.get('k'))).toBe('five');
      await admin.select(0);
      expect(() => connectBroker({ ...broker, db: 2 }, urlOf(server, 4))).toThrow(BrokerUrlError);
      expect(() => connectBroker({ ...broker, db: 2 }, urlOf(server, 4)))
        .toThrow("broker.db (2) contradicts the broker URL's /4: the URL decides the db; remove broker.db or make them agree");
    });

    test('fails fast: no offline queue, one retry per request, the connect timeout, a short disconnect, backoff to 2 s', async () => {
      const c = connect(`redis://127.0.0.1:${closedPort}/0`, { ...broker, connectTimeoutMs: 1234 });
      // Connecting at once, not on first use.
      expect(c.status).toBe('connecting');
      const started = Date.now();
      expect(await failure(c.get('k'))).toEqual({ name: 'Error', message: "Stream isn't writeable and enableOfflineQueue options is false" });
      expect(Date.now() - started).toBeLessThan(200);
      const o = c.options;
      expect([o.connectTimeout, o.maxRetriesPerRequest, o.enableOfflineQueue, o.lazyConnect, o.disconnectTimeout, o.db]).toEqual([1234, 1, false, false, 200, 0]);
      expect([1, 2, 5, 9, 10, 11, 50].map((n) => o.retryStrategy?.(n))).toEqual([200, 400, 1000, 1800, 2000, 2000, 2000]);
    });

    test('TLS for rediss:// only, with SNI for a name and none for an IP', () => {
      const byName = connect('rediss://localhost:1/0');
      const byIp = connect('rediss://127.0.0.1:1/0');
      const plain = connect('redis://localhost:1/0');
      for (const c of [byName, byIp, plain]) c.disconnect();
      expect(byName.options.tls).toEqual({ servername: 'localhost' });
      expect(byIp.options.tls).toEqual({});
      expect(plain.options.tls).toBeUndefined();
    });

    test('its connection errors are handled: nothing unhandled is printed while it retries', async () => {
      const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const c = connect(`redis://127.0.0.1:${closedPort}/0`);
        await waitFor('a refused connection and a retry scheduled', () => c.status === 'reconnecting', 5000, 5);
        expect(printed).not.toHaveBeenCalled();
      } finally {
        printed.mockRestore();
      }
    });

    test('errors the broker itself sends on every retry (a refused password) are handled too, not printed by ioredis', async () => {
      // A reply error is ioredis's own Error: left without a listener it prints "[ioredis] Unhandled error event" per retry.
      const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const c = connect(withPassword.url.replace(':sec@', ':wrong@'));
        let retries = 0;
        c.on('reconnecting', () => { retries += 1; });
        await waitFor('two refused logins, each retried', () => retries >= 2, 5000, 5);
        expect(printed).not.toHaveBeenCalled();
      } finally {
        printed.mockRestore();
      }
    });

    test('a wait that gave up leaves none of its listeners behind, \'ready\' included', async () => {
      // A server that accepts and never answers: one connection attempt, its ready check never answered.
      const silent = await tcpServer(() => undefined);
      try {
        const c = connect(`redis://127.0.0.1:${silent.port}/0`);
        const counts = () => ['ready', 'end', 'error'].map((e) => c.listenerCount(e));
        await waitFor('connected, its ready check unanswered', () => c.status === 'connect', 5000, 5);
        const before = counts();
        for (let i = 0; i < 2; i += 1) expect((await failure(ensureReady(c, 50))).name).toBe('BrokerUnavailableError');
        expect(counts()).toEqual(before);
      } finally {
        await silent.close();
      }
    });

    test('ready: ensureReady returns at once and leaves no listener behind', async () => {
      const c = connect(server.url);
      await ensureReady(c, 2000);
      expect(c.status).toBe('ready');
      const counts = () => ['ready', 'end', 'error'].map((e) => c.listenerCount(e));
      const before = counts();
      // A short timeout: waiting for a 'ready' that already happened would fail.
      await ensureReady(c, 50);
      expect(counts()).toEqual(before);
    });

    test('a port nothing listens on: the time waited, the status and why, as one message', async () => {
      const c = connect(`redis://127.0.0.1:${closedPort}/0`);
      const e = await failure(ensureReady(c, 300));
      expect(e.name).toBe('BrokerUnavailableError');
      expect(waited(e.message, 300)).toMatch(new RegExp(`^broker not reachable: no connection after <T> s \\(connectTimeoutMs 300; (re)?connecting: connect ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}\\)$`));
    });

    test('a server that accepts and never answers: no error to add, the status says connect', async () => {
      const silent = await tcpServer(() => undefined);
      try {
        const c = connect(`redis://127.0.0.1:${silent.port}/0`);
        const e = await failure(ensureReady(c, 300));
        expect(waited(e.message, 300)).toBe('broker not reachable: no connection after <T> s (connectTimeoutMs 300; connect)');
      } finally {
        await silent.close();
      }
    });

    test('closed while the other protocol is asked, after the timeout: the first to say wins', async () => {
      const silent = await tcpServer(() => undefined);
      try {
        const c = connect(`redis://127.0.0.1:${silent.port}/0`);
        // The timeout at 100 ms starts a TLS probe that the silent server holds for a second.
        const closing = setTimeout(() => c.disconnect(), 400);
        expect(await failure(ensureReady(c, 100))).toEqual({ name: 'BrokerUnavailableError', message: 'broker connection closed' });
        clearTimeout(closing);
      } finally {
        await silent.close();
      }
    });

    test('callers waiting at once share one wait; the next wait after it failed is a new one', async () => {
      const c = connect(`redis://127.0.0.1:${closedPort}/0`);
      // ioredis sets a 'ready' listener of its own per connection attempt: 'end' and 'error' are the wait's alone.
      const counts = () => ['end', 'error'].map((e) => c.listenerCount(e));
      const before = counts();
      const waits = Array.from({ length: 12 }, () => ensureReady(c, 200).catch((e: unknown) => e));
      expect(counts()).toEqual(before.map((n) => n + 1));
      const errors = await Promise.all(waits);
      expect(new Set(errors).size).toBe(1);
      expect(errors[0]).toBeInstanceOf(BrokerUnavailableError);
      expect(counts()).toEqual(before);
      expect((await failure(ensureReady(c, 100))).message).toContain('(connectTimeoutMs 100; ');
    });

    test('a client closed while it is waited for: said at once', async () => {
      const c = connect(`redis://127.0.0.1:${closedPort}/0`);
      const started = Date.now();
      const wait = failure(ensureReady(c, 5000));
      c.disconnect();
      expect(await wait).toEqual({ name: 'BrokerUnavailableError', message: 'broker connection closed' });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    test.each([
      ['a wrong password', (url: string) => url.replace(':sec@', ':wrong@'), 'WRONGPASS invalid username-password pair or user is disabled.'],
      ['no password', (url: string) => url.replace(':sec@', ''), 'NOAUTH Authentication required.'],
    ])('%s: said at once, not at the timeout, without the password', async (_what, url, reply) => {
      const c = connect(url(withPassword.url));
      const started = Date.now();
      const e = await failure(ensureReady(c, 5000));
      expect(e).toEqual({ name: 'BrokerUnavailableError', message: `broker authentication failed: check the user and password in the broker URL (${reply})` });
      expect(Date.now() - started).toBeLessThan(2500);
    });

    describe('TLS on one side only is said, not left to look like a timeout', () => {
      test('rediss:// to a plain Redis (it answers PONG)', async () => {
        const c = connect(server.url.replace('redis://', 'rediss://'));
        expect(await failure(ensureReady(c, 300))).toEqual({
          name: 'BrokerUnavailableError', message: `broker not reachable: the URL is rediss:// (TLS) but 127.0.0.1:${server.port} speaks plain Redis without TLS: use redis://`,
        });
      });

      test('rediss:// by name to a plain Redis that wants a password (it answers -NOAUTH)', async () => {
        const c = connect(`rediss://localhost:${withPassword.port}/0`);
        expect((await failure(ensureReady(c, 300))).message)
          .toBe(`broker not reachable: the URL is rediss:// (TLS) but localhost:${withPassword.port} speaks plain Redis without TLS: use redis://`);
      });

      test.each(['127.0.0.1', 'localhost'])('redis:// to a TLS Redis at %s', async (host) => {
        const c = connect(`redis://${host}:${tlsServer.port}/0`);
        expect((await failure(ensureReady(c, 300))).message)
          .toBe(`broker not reachable: the URL is redis:// (no TLS) but ${host}:${tlsServer.port} expects TLS: use rediss://`);
      });

      test('both sides TLS but a certificate it cannot verify: the timeout says why', async () => {
        const c = connect(tlsServer.url);
        const e = await failure(ensureReady(c, 300));
        expect(waited(e.message, 300)).toMatch(/^broker not reachable: no connection after <T> s \(connectTimeoutMs 300; (re)?connecting: self-signed certificate in certificate chain\)$/);
      });

      test('the other protocol is asked once: a socket closed, a server that is no Redis, nothing listening, no answer in time', async () => {
        const closing = await tcpServer((s) => s.end());
        const http = await tcpServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad-Request\r\n\r\n')));
        const silent = await tcpServer(() => undefined);
        try {
          const probe = async (url: string, ms: number) => {
            const c = connect(url);
            c.disconnect();
            const started = Date.now();
            return { tls: await tlsMismatch(c, ms), fast: Date.now() - started < 1500 };
          };
          expect(await probe(`rediss://127.0.0.1:${closing.port}/0`, 5000)).toEqual({ tls: null, fast: true });
          expect(await probe(`redis://127.0.0.1:${closing.port}/0`, 5000)).toEqual({ tls: null, fast: true });
          expect(await probe(`rediss://127.0.0.1:${http.port}/0`, 5000)).toEqual({ tls: null, fast: true });
          expect(await probe(`rediss://127.0.0.1:${closedPort}/0`, 5000)).toEqual({ tls: null, fast: true });
          expect(await probe(`rediss://127.0.0.1:${silent.port}/0`, 200)).toEqual({ tls: null, fast: true });
        } finally {
          await Promise.all([closing.close(), http.close(), silent.close()]);
        }
      });

      test('the TLS probe of a redis:// URL names the host (SNI) when it is a name, as a TLS front routing by name needs; none for an IP', async () => {
        // A TLS front that answers PONG, recording the name each connection asked for.
        const asked: (string | false)[] = [];
        const front = createTlsServer({ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) }, (s) => {
          asked.push((s as unknown as { servername: string | false }).servername);
          s.on('error', () => undefined);
          s.once('data', () => s.end('+PONG\r\n'));
        });
        await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
        const port = (front.address() as AddressInfo).port;
        try {
          const client = (host: string) => ({ options: { host, port } }) as unknown as Redis;
          expect(await tlsMismatch(client('localhost'))).toBe(`broker not reachable: the URL is redis:// (no TLS) but localhost:${port} expects TLS: use rediss://`);
          expect(await tlsMismatch(client('127.0.0.1'))).toBe(`broker not reachable: the URL is redis:// (no TLS) but 127.0.0.1:${port} expects TLS: use rediss://`);
          expect(asked).toEqual(['localhost', false]);
        } finally {
          await new Promise<void>((resolve) => front.close(() => resolve()));
        }
      });

      test('a client without host in its options is taken for 127.0.0.1', async () => {
        const bare = { options: { port: tlsServer.port } } as unknown as Redis;
        expect(await tlsMismatch(bare)).toBe(`broker not reachable: the URL is redis:// (no TLS) but 127.0.0.1:${tlsServer.port} expects TLS: use rediss://`);
      });
    });

    test('brokerError: a typed error as it is, any other with what was being done, no password, auth said as auth', () => {
      const typed = new BrokerUnavailableError('as it was');
      expect(brokerError(typed, 'reading')).toBe(typed);
      const said = (e: unknown) => {
        const err = brokerError(e, 'reading');
        expect(err).toBeInstanceOf(BrokerUnavailableError);
        return err.message;
      };
      expect(said(new Error('connect to redis://app:s3cret@cache:6379/0 failed'))).toBe('reading: connect to redis://app:***@cache:6379/0 failed');
      expect(said(new Error('ERR unknown command'))).toBe('reading: ERR unknown command');
      expect(said('a string')).toBe('reading: a string');
      expect(said({ message: 'an object' })).toBe('reading: an object');
      expect(said(null)).toBe('reading: null');
      expect(said(undefined)).toBe('reading: undefined');
      const auth = 'broker authentication failed: check the user and password in the broker URL';
      expect(said(new Error('WRONGPASS invalid username-password pair'))).toBe(`${auth} (WRONGPASS invalid username-password pair)`);
      expect(said(new Error('NOAUTH Authentication required.'))).toBe(`${auth} (NOAUTH Authentication required.)`);
      expect(said(new Error('ERR invalid password'))).toBe(`${auth} (ERR invalid password)`);
      expect(said(new Error('ERR Invalid Username-Password pair'))).toBe(`${auth} (ERR Invalid Username-Password pair)`);
      expect(said(new Error('noauth'))).toBe(`${auth} (noauth)`);
    });
  });

  describe('probe: queue depths', () => {
    const app = { ...broker, globalKeyprefix: 'app:' };
    const push = (key: string, n: number) => (n ? admin.lpush(key, ...Array.from({ length: n }, (_, i) => `m${i}`)) : Promise.resolve(0));

    test('each queue sums its priority sub-lists under the prefix, in the order asked; unacked is the prefixed hash', async () => {
      await Promise.all([
        push('app:q1', 2), push('app:q1\x06\x163', 1), push('app:q1\x06\x169', 4),
        push('app:q2\x06\x166', 1), push('app:q3', 8),
        // Not the prefixed keys, not a priority step: not counted.
        push('q1', 16), push('app:q1\x06\x165', 32), push('app:q2\x06\x16', 64),
        admin.hset('app:unacked', 't1', 'm', 't2', 'm', 't3', 'm'), admin.hset('unacked', 't9', 'm'),
      ]);
      expect(await readQueueDepths(connect(server.url), app, ['q2', 'empty', 'q1', 'q3'])).toEqual({ pending: { q2: 1, empty: 0, q1: 7, q3: 8 }, unacked: 3 });
      expect(await readQueueDepths(connect(server.url), { ...app, prioritySteps: [3, 0, 3] }, ['q1', 'q3'])).toEqual({ pending: { q1: 3, q3: 8 }, unacked: 3 });
      expect(await readQueueDepths(connect(server.url), app, [])).toEqual({ pending: {}, unacked: 3 });
    });

    test('a list that is not one: the broker\'s error, said as a depth read', async () => {
      await admin.set('app:bad', 'x');
      expect(await failure(readQueueDepths(connect(server.url), app, ['q1', 'bad']))).toEqual({
        name: 'BrokerUnavailableError', message: 'reading queue depths: WRONGTYPE Operation against a key holding the wrong kind of value',
      });
    });

    test('a broker not reached: the connection\'s own message', async () => {
      const e = await failure(readQueueDepths(connect(`redis://127.0.0.1:${closedPort}/0`), app, ['q1']));
      expect(e.name).toBe('BrokerUnavailableError');
      expect(waited(e.message, 300)).toMatch(/^broker not reachable: no connection after <T> s \(connectTimeoutMs 300; (re)?connecting: connect ECONNREFUSED/);
    });
  });

  describe('publish: a task message as Celery writes it', () => {
    test('the envelope: protocol 2 headers, base64 JSON body, properties, the priority given', () => {
      const e = taskEnvelope('q1', { task: 'tasks.add', args: [1, 'a'], kwargs: { k: 2 }, id: 'id-1', priority: 6 });
      expect(e.list).toBe('q1');
      expect(e.id).toBe('id-1');
      expect(e.priority).toBe(6);
      const m = JSON.parse(e.payload) as { body: string; properties: { reply_to: string; delivery_tag: string } };
      expect(m.body).toBe(Buffer.from(JSON.stringify([[1, 'a'], { k: 2 }, { callbacks: null, errbacks: null, chain: null, chord: null }])).toString('base64'));
      expect(m).toEqual({
        body: m.body,
        'content-encoding': 'utf-8',
        'content-type': 'application/json',
        headers: {
          lang: 'py', task: 'tasks.add', id: 'id-1', shadow: null, eta: null, expires: null, group: null, group_index: null,
          retries: 0, timelimit: [null, null], root_id: 'id-1', parent_id: null,
          argsrepr: '[1,"a"]', kwargsrepr: '{"k":2}', origin: 'celery-autoscaler', ignore_result: false,
        },
        properties: {
          correlation_id: 'id-1', reply_to: expect.stringMatching(UUID), delivery_mode: 2,
          delivery_info: { exchange: '', routing_key: 'q1' }, priority: 6,
          body_encoding: 'base64', delivery_tag: expect.stringMatching(UUID),
        },
      });
      expect(m.properties.reply_to).not.toBe(m.properties.delivery_tag);
    });

    test('defaults: a fresh id, no arguments, priority 0', () => {
      const a = taskEnvelope('q', { task: 't' });
      const b = taskEnvelope('q', { task: 't' });
      expect(a.id).toMatch(UUID);
      expect(a.id).not.toBe(b.id);
      expect(a.priority).toBe(0);
      const m = JSON.parse(a.payload) as { body: string; headers: Record<string, unknown>; properties: Record<string, unknown> };
      expect(JSON.parse(Buffer.from(m.body, 'base64').toString('utf8'))).toEqual([[], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
      expect([m.headers.id, m.headers.root_id, m.headers.argsrepr, m.headers.kwargsrepr]).toEqual([a.id, a.id, '[]', '{}']);
      expect([m.properties.correlation_id, m.properties.priority]).toEqual([a.id, 0]);
    });

    /** Task ids by list, oldest first (LPUSH puts the newest at the head). */
    async function idsIn(lists: string[]): Promise<string[][]> {
      return Promise.all(lists.map(async (l) => (await admin.lrange(l, 0, -1)).map((p) => (JSON.parse(p) as { headers: { id: string } }).headers.id).reverse()));
    }

    test.each([
      ['the default steps', [0, 3, 6, 9]],
      ['steps unsorted and repeated', [9, 0, 3, 3, 6, 9]],
    ])('each task goes to the list of the highest step at or below its priority: %s', async (_what, steps) => {
      const b = { globalKeyprefix: 'app:', prioritySteps: steps };
      const priorities = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, -1, 10];
      const ids = await publishTasks(await ready(server.url), b, 'pq', priorities.map((priority, i) => ({ task: 't', id: `p${i}`, priority })));
      expect(ids).toEqual(priorities.map((_, i) => `p${i}`));
      expect(await idsIn(['app:pq', 'app:pq\x06\x163', 'app:pq\x06\x166', 'app:pq\x06\x169'])).toEqual([
        ['p0', 'p1', 'p2', 'p11'], ['p3', 'p4', 'p5'], ['p6', 'p7', 'p8'], ['p9', 'p10', 'p12'],
      ]);
      expect((await admin.keys('*')).sort()).toEqual(['app:pq', 'app:pq\x06\x163', 'app:pq\x06\x166', 'app:pq\x06\x169']);
      // What readQueueDepths counts is what was published.
      expect(await readQueueDepths(connect(server.url), { ...broker, ...b }, ['pq'])).toEqual({ pending: { pq: priorities.length }, unacked: 0 });
    });

    test('a task without priority goes to step 0; the ids are returned in order, generated when not given', async () => {
      const ids = await publishTasks(await ready(server.url), broker, 'q', [{ task: 't', id: 'given' }, { task: 't' }]);
      expect(ids[0]).toBe('given');
      expect(ids[1]).toMatch(UUID);
      expect(await idsIn(['q'])).toEqual([ids]);
    });

    test('the broker\'s refusal is thrown', async () => {
      await admin.set('wrong', 'x');
      expect(await failure(publishTasks(await ready(server.url), broker, 'wrong', [{ task: 't' }])))
        .toEqual({ name: 'ReplyError', message: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
    });
  });

  describe('events', () => {
    const envelope = (body: unknown, o: { encoding?: 'base64' | null; contentType?: string | null } = {}) => JSON.stringify({
      body: o.encoding === null ? JSON.stringify(body) : Buffer.from(JSON.stringify(body)).toString('base64'),
      'content-encoding': 'utf-8',
      ...(o.contentType === null ? {} : { 'content-type': o.contentType ?? 'application/json' }),
      headers: { hostname: 'w1@h' },
      properties: { delivery_mode: 1, delivery_info: { exchange: 'celeryev', routing_key: 'task.multi' }, priority: 0, ...(o.encoding === null ? {} : { body_encoding: 'base64' }) },
    });
    const ev = (type: string, timestamp: number, more: Record<string, unknown> = {}) => ({ type, timestamp, hostname: 'w1@h', ...more });

    test('decodeEvents: a task.multi list, one event, a plain body; anything else gives nothing', () => {
      const two = [ev('task-started', 1, { uuid: 'a' }), ev('task-succeeded', 2.5, { uuid: 'a', runtime: 1.5 })];
      expect(decodeEvents(envelope(two))).toEqual(two);
      expect(decodeEvents(Buffer.from(envelope(two)))).toEqual(two);
      expect(decodeEvents(envelope(ev('task-sent', 3, { queue: 'q1' })))).toEqual([ev('task-sent', 3, { queue: 'q1' })]);
      expect(decodeEvents(envelope([ev('worker-heartbeat', 4)], { encoding: null }))).toEqual([ev('worker-heartbeat', 4)]);
      expect(decodeEvents(envelope([ev('worker-heartbeat', 4)], { contentType: null }))).toEqual([ev('worker-heartbeat', 4)]);
      expect(decodeEvents(envelope([ev('worker-heartbeat', 4)], { contentType: 'application/x-python-serialize' }))).toEqual([]);
      // Only objects with a string type and a number timestamp.
      expect(decodeEvents(envelope([null, 7, 'x', { type: 'a' }, { timestamp: 1 }, { type: 1, timestamp: 1 }, { type: 'a', timestamp: '1' }, ev('ok', 5)]))).toEqual([ev('ok', 5)]);
      expect(decodeEvents(JSON.stringify({ body: 12, properties: { body_encoding: 'base64' } }))).toEqual([]);
      expect(decodeEvents(JSON.stringify({ properties: {} }))).toEqual([]);
      expect(decodeEvents(JSON.stringify({ body: 'not json', 'content-type': 'application/json' }))).toEqual([]);
      expect(decodeEvents('not json')).toEqual([]);
    });

    test('listenToEvents: every event of its db under the prefix, none of another db or prefix, until closed', async () => {
      const b = { ...broker, db: 2, globalKeyprefix: 'pfx:' };
      const got: CeleryEvent[] = [];
      const listener = await listenToEvents(connect(urlOf(server, 2)), b, (e) => got.push(e));
      const sent = [ev('task-sent', 1, { uuid: 'a', queue: 'q1' }), ev('task-started', 2, { uuid: 'a' }), ev('task-succeeded', 3, { uuid: 'a', runtime: 1 })];
      expect(await admin.publish('pfx:/2.celeryev/task.sent', envelope(sent[0]))).toBe(1);
      expect(await admin.publish('/2.celeryev/task.sent', envelope(ev('no-prefix', 1)))).toBe(0);
      expect(await admin.publish('pfx:/0.celeryev/task.sent', envelope(ev('other-db', 1)))).toBe(0);
      await admin.publish('pfx:/2.celeryev/task.multi', envelope(sent.slice(1)));
      await waitFor('three events', () => got.length >= 3, 5000, 5);
      expect(got).toEqual(sent);
      listener.close();
      await waitFor('the subscription gone', async () => (await admin.publish('pfx:/2.celeryev/task.sent', 'not an event')) === 0, 5000, 10);
      expect(await admin.publish('pfx:/2.celeryev/task.sent', envelope(ev('late', 9)))).toBe(0);
      expect(got).toEqual(sent);
    });

    test('the subscription\'s connection errors are handled: a password changed under it is not printed by ioredis at each retry', async () => {
      // The subscribed connection (and it alone) is cut and retries with the old password.
      const printed = await printedWhileRefused(admin, server.url, 'evuser', (l) => / psub=1 /.test(l), async (url) => {
        const own = connect(url);
        const listener = await listenToEvents(own, broker, () => undefined);
        return () => { listener.close(); own.disconnect(); };
      });
      expect(printed).toEqual([]);
    });

    test('a broker not reached: the connection\'s message', async () => {
      const e = await failure(listenToEvents(connect(`redis://127.0.0.1:${closedPort}/0`), broker, () => undefined));
      expect(e.name).toBe('BrokerUnavailableError');
      expect(waited(e.message, 300)).toMatch(/^broker not reachable: no connection after <T> s \(connectTimeoutMs 300; /);
    });
  });

  describe('measure: queue depths per service and every worker, in one measurement', () => {
    test('each service\'s queues with their depths, unacked, and the nodes inspected', async () => {
      const config = configWith({ url: server.url, globalKeyprefix: 'm:', prioritySteps: [0, 9], controlTimeoutMs: 1000 }, { web: ['q1', 'q2'], mail: ['m1'] });
      const redis = await ready(server.url);
      await publishTasks(redis, config.broker, 'q1', [{ task: 't', priority: 0 }, { task: 't', priority: 9 }, { task: 't' }]);
      await publishTasks(redis, config.broker, 'm1', [{ task: 't' }]);
      await admin.hset('m:unacked', 'a', 'x', 'b', 'x');
      const now = Date.now();
      const responder = await PidboxResponder.start({
        brokerUrl: server.url, globalKeyprefix: 'm:',
        workers: [
          { node: 'w2@h', queues: ['m1'], totals: { 'tasks.mail': 4 }, active: [{ id: 'a1', name: 'tasks.mail', queue: 'm1', timeStart: now / 1000 - 20.2 }] },
          { node: 'w1@h', queues: ['q1', 'q2'], pool: 'prefork', concurrency: 2 },
        ],
      });
      const control = new CeleryControl(redis, config.broker);
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
      try {
        const m = await measureBroker({ control, depths: (qs) => readQueueDepths(redis, config.broker, qs) }, config);
        expect(m).toEqual({
          at: now, queues: { web: { q1: 3, q2: 0 }, mail: { m1: 1 } }, unacked: 2, missing: [], unanswered: 0,
          nodes: [
            { node: 'w1@h', active: 0, reserved: 0, scheduled: 0, processed: 0, queues: ['q1', 'q2'], longestActiveSeconds: 0, concurrency: 2, totals: {}, activeByTask: {}, taskQueues: {} },
            { node: 'w2@h', active: 1, reserved: 0, scheduled: 0, processed: 4, queues: ['m1'], longestActiveSeconds: 20, concurrency: 1, totals: { 'tasks.mail': 4 }, activeByTask: { 'tasks.mail': 1 }, taskQueues: { 'tasks.mail': 'm1' } },
          ],
        });
        const without = await measureBroker({ control, depths: (qs) => readQueueDepths(redis, config.broker, qs) }, config, { withQueues: false });
        expect(without.nodes.map((n) => [n.node, n.queues])).toEqual([['w1@h', []], ['w2@h', []]]);
        expect(without.queues).toEqual(m.queues);
      } finally {
        clock.mockRestore();
        control.close();
        await responder.stop();
      }
    });
  });

  describe('acl: the autoscaler under its own user can do what it does, and nothing else', () => {
    const PASSWORD = "it's a secret";
    test('set up by the runbook line through a shell, it measures, inspects and drains; it cannot take or add a task, nor listen to events', async () => {
      const url = urlOf(server, 3);
      const config = configWith({ url, globalKeyprefix: 'pfx[1]:', controlTimeoutMs: 2000 }, { web: ['q1', 'q2'] });
      await exec('sh', ['-c', `redis-cli -p ${server.port} ${aclSetuserCommand(config, 'test', 'autoscaler', PASSWORD)}`]);
      const restrictedUrl = url.replace('redis://', `redis://autoscaler:${encodeURIComponent(PASSWORD)}@`);
      const restricted = connect(restrictedUrl, config.broker);
      const b = { ...config.broker, db: 3 };
      const admin3 = await ready(url, config.broker);
      await publishTasks(admin3, b, 'q1', [{ task: 't' }, { task: 't', priority: 9 }]);
      await admin3.hset('pfx[1]:unacked', 'tag', 'm');
      const responder = await PidboxResponder.start({ brokerUrl: url, globalKeyprefix: 'pfx[1]:', workers: [{ node: 'w@acl', queues: ['q1', 'q2'] }] });
      const control = new CeleryControl(restricted, b);
      try {
        expect(await readQueueDepths(restricted, b, ['q1', 'q2'])).toEqual({ pending: { q1: 2, q2: 0 }, unacked: 1 });
        const i = await inspectNodes(control);
        expect(i.nodes.map((n) => [n.node, n.queues])).toEqual([['w@acl', ['q1', 'q2']]]);
        expect(await control.cancelConsumers(['q1'], ['w@acl'])).toEqual({ confirmed: ['w@acl'], unconfirmed: [] });
        expect(await restricted.set('celery-autoscaler:test:lock', '1')).toBe('OK');
        expect(await admin.call('ACL', 'LOG')).toEqual([]);

        const nokey = 'NOPERM this user has no permissions to access one of the keys used as arguments';
        expect(await failure(publishTasks(restricted, b, 'q1', [{ task: 't' }]))).toEqual({ name: 'ReplyError', message: "NOPERM this user has no permissions to run the 'lpush' command" });
        expect((await failure(restricted.rpop('pfx[1]:q1'))).message).toBe(nokey);
        expect((await failure(restricted.llen('pfx1:q1'))).message).toBe(nokey);
        expect((await failure(restricted.set('celery-autoscaler:prod:lock', '1'))).message).toBe(nokey);
        const before = await restrictedConnections();
        expect(await failure(listenToEvents(restricted, b, () => undefined)))
          .toEqual({ name: 'BrokerUnavailableError', message: "subscribing to Celery events: NOPERM this user has no permissions to run the 'psubscribe' command" });
        // The subscriber connection it opened is closed again.
        await waitFor('the subscriber gone', async () => (await restrictedConnections()) === before, 3000, 10);
      } finally {
        control.close();
        await responder.stop();
      }
    });

    async function restrictedConnections(): Promise<number> {
      return ((await admin.client('LIST')) as string).split('\n').filter((l) => l.includes(' user=autoscaler ')).length;
    }
  });
});
