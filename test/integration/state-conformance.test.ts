import type Redis from 'ioredis';
import { connectBroker, ensureReady } from '../../lib/celery/connection';
import type { BrokerConfig } from '../../lib/config';
import type { Observation } from '../../lib/observation';
import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DYNAMO_LIMITS, DynamoStateStore, PART_BYTES, STATE_TABLE, STATE_TABLE_ACTIONS, type StateStoreApi } from '../../lib/state/dynamo';
import { StateStore, type DrainRecord } from '../../lib/state/store';
import { createStateTable, DynamoLocal } from '../../local/dynalite';
import { RedisServer } from '../../local/redis-server';

/**
 * One behavioural suite, two stores: StateStore on a real redis-server and DynamoStateStore on a
 * real DynamoDB API (dynalite). Whatever the cycle can observe through the store is asserted the
 * same on both; only `stored` (is the key's data still physically there) differs, by design.
 */
interface Backend {
  /** A fresh store under its own prefix, so tests do not see each other's keys. */
  store(prefix: string): StateStoreApi;
  /** Whether the server still holds the key's data (Redis drops it at expiry, DynamoDB later). */
  stored(key: string): Promise<boolean>;
  stop(): Promise<void>;
}

interface Subject {
  name: string;
  /** Expired data stays stored until DynamoDB's TTL deletes it, days later. */
  keepsExpired: boolean;
  start(): Promise<Backend>;
  /** A store whose server is then stopped: every call must fail. */
  down(): Promise<{ store: StateStoreApi; close(): void }>;
}

const TABLE = 'celery-autoscaler-state';

const redisSubject: Subject = {
  name: 'redis',
  keepsExpired: false,
  async start() {
    const server = await RedisServer.start();
    const redis: Redis = server.client();
    return {
      store: (prefix) => new StateStore(redis, prefix),
      stored: async (key) => (await redis.exists(key)) === 1,
      async stop() {
        redis.disconnect();
        await server.stop();
      },
    };
  },
  async down() {
    const server = await RedisServer.start();
    // The production client: no offline queue, so a down broker fails at once.
    const redis = connectBroker({ db: 0, connectTimeoutMs: 1000 } as BrokerConfig, server.url);
    await ensureReady(redis, 5000);
    await server.stop();
    return { store: new StateStore(redis, 'celery-autoscaler:down:'), close: () => redis.disconnect() };
  },
};

const dynamoSubject: Subject = {
  name: 'dynamodb',
  keepsExpired: true,
  async start() {
    const local = await DynamoLocal.start();
    const client = local.client();
    await createStateTable(client, TABLE);
    return {
      store: (prefix) => new DynamoStateStore(client, TABLE, prefix),
      stored: async (key) => (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key } }, ConsistentRead: true }))).Item !== undefined,
      async stop() {
        client.destroy();
        await local.stop();
      },
    };
  },
  async down() {
    const local = await DynamoLocal.start();
    const client = local.client();
    await createStateTable(client, TABLE);
    await local.stop();
    return { store: new DynamoStateStore(client, TABLE, 'celery-autoscaler:down:'), close: () => client.destroy() };
  },
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: string[]): string[] => [...xs].sort();
/** Short enough to keep the suite fast, long enough for a few local round trips on a busy machine. */
const SHORT_TTL_MS = 600;
const PAST_SHORT_TTL_MS = 750;

let seq = 0;
const freshPrefix = (): string => `celery-autoscaler:t${++seq}:`;

const drainOf = (execution: string, n = 1): DrainRecord => ({
  execution,
  nodes: Array.from({ length: n }, (_, i) => ({ node: `celery@w${i}`, taskId: `task-${i}` })),
  queues: ['default', 'high'],
  at: 1_700_000_000_000,
});

const observationOf = (execution: string): Observation => ({ execution, workers: { 'celery@w1': { processed: { 'app.tasks.add': 3 } } } }) as unknown as Observation;

describe.each([redisSubject, dynamoSubject])('state store conformance: $name', (subject) => {
  let backend: Backend;
  let store: StateStoreApi;
  let prefix: string;

  beforeAll(async () => {
    backend = await subject.start();
  });
  afterAll(async () => {
    await backend?.stop();
  });
  beforeEach(() => {
    prefix = freshPrefix();
    store = backend.store(prefix);
  });

  describe('lease', () => {
    test('two tokens: only one holds the lock; the holder re-acquires; only its token releases it', async () => {
      expect(await store.lockHolder('web')).toBeNull();
      expect(await store.acquireLock('web', 'exec-1', 10_000)).toEqual({ acquired: true, holder: 'exec-1' });
      expect(await store.acquireLock('web', 'exec-2', 10_000)).toEqual({ acquired: false, holder: 'exec-1' });
      expect(await store.acquireLock('web', 'exec-1', 10_000)).toEqual({ acquired: true, holder: 'exec-1' });
      expect(await store.releaseLock('web', 'exec-2')).toBe(false);
      expect(await store.lockHolder('web')).toBe('exec-1');
      expect(await store.releaseLock('web', 'exec-1')).toBe(true);
      expect(await store.releaseLock('web', 'exec-1')).toBe(false);
      expect(await store.lockHolder('web')).toBeNull();
      expect(await store.acquireLock('web', 'exec-2', 10_000)).toEqual({ acquired: true, holder: 'exec-2' });
    });

    test('concurrent acquires of one service: exactly one winner, every loser names it', async () => {
      const tokens = Array.from({ length: 20 }, (_, i) => `exec-${i}`);
      const results = await Promise.all(tokens.map((t) => store.acquireLock('race', t, 10_000)));
      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const winner = winners[0].holder;
      expect(tokens).toContain(winner);
      for (const r of results.filter((x) => !x.acquired)) expect(r.holder).toBe(winner);
      expect(await store.lockHolder('race')).toBe(winner);
    });

    test('locks of different services are independent', async () => {
      expect(await store.acquireLock('a', 'exec-1', 10_000)).toMatchObject({ acquired: true });
      expect(await store.acquireLock('b', 'exec-2', 10_000)).toMatchObject({ acquired: true });
      expect(await store.lockHolder('a')).toBe('exec-1');
      expect(await store.lockHolder('b')).toBe('exec-2');
    });

    test('only the holder extends; an extended lease outlives its first term', async () => {
      await store.acquireLock('web', 'exec-1', SHORT_TTL_MS);
      expect(await store.extendLock('web', 'exec-2', 10_000)).toBe(false);
      expect(await store.extendLock('web', 'exec-1', 10_000)).toBe(true);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.lockHolder('web')).toBe('exec-1');
      expect(await store.acquireLock('web', 'exec-2', 10_000)).toEqual({ acquired: false, holder: 'exec-1' });
    });

    test('extending a lock nobody holds does not take it', async () => {
      expect(await store.extendLock('free', 'exec-1', 10_000)).toBe(false);
      expect(await store.lockHolder('free')).toBeNull();
    });

    test('an expired lease is free at once, though its data may still be stored', async () => {
      await store.acquireLock('web', 'dead-cycle', SHORT_TTL_MS);
      expect(await store.lockHolder('web')).toBe('dead-cycle');
      await sleep(PAST_SHORT_TTL_MS);
      expect(await backend.stored(`${prefix}lock:web`)).toBe(subject.keepsExpired);
      expect(await store.lockHolder('web')).toBeNull();
      expect(await store.extendLock('web', 'dead-cycle', 10_000)).toBe(false);
      expect(await store.releaseLock('web', 'dead-cycle')).toBe(false);
      expect(await store.acquireLock('web', 'next-cycle', 10_000)).toEqual({ acquired: true, holder: 'next-cycle' });
      expect(await store.releaseLock('web', 'dead-cycle')).toBe(false);
      expect(await store.lockHolder('web')).toBe('next-cycle');
    });

    test('a lease or record that would be dead when written is refused', async () => {
      await expect(store.acquireLock('web', 'exec-1', 0)).rejects.toMatchObject({ name: 'BrokerUnavailableError' });
      await expect(store.want('web', { to: 1, at: 1 }, 0)).rejects.toMatchObject({ name: 'BrokerUnavailableError' });
      await expect(store.saveObservation('exec-1', observationOf('exec-1'), 0)).rejects.toMatchObject({ name: 'BrokerUnavailableError' });
      expect(await store.lockHolder('web')).toBeNull();
    });

    test('an expired lease is re-acquired by its own token too', async () => {
      await store.acquireLock('web', 'exec-1', SHORT_TTL_MS);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.acquireLock('web', 'exec-1', 10_000)).toEqual({ acquired: true, holder: 'exec-1' });
      expect(await store.extendLock('web', 'exec-1', 10_000)).toBe(true);
    });
  });

  describe('history', () => {
    test('scale times: each direction kept, a service never scaled has none', async () => {
      expect(await store.scaleTimes([])).toEqual({});
      await store.recordScale('web', 'up', 1000);
      await store.recordScale('web', 'down', 2000);
      await store.recordScale('web', 'up', 3000);
      await store.recordScale('api', 'down', 500);
      expect(await store.scaleTimes(['web', 'api', 'none'])).toEqual({ web: { lastScaleUpAt: 3000, lastScaleDownAt: 2000 }, api: { lastScaleDownAt: 500 }, none: {} });
    });

    test('drain records: saved, read for several services, cleared', async () => {
      expect(await store.drainRecords([])).toEqual({});
      const a = drainOf('exec-a', 3);
      const b = drainOf('exec-b', 1);
      await store.saveDrain('svc-a', a);
      await store.saveDrain('svc-b', b);
      expect(await store.drainRecords(['svc-a', 'svc-b', 'svc-c'])).toEqual({ 'svc-a': a, 'svc-b': b, 'svc-c': null });
      const a2 = { ...drainOf('exec-a2', 2), queues: ['q'] };
      await store.saveDrain('svc-a', a2);
      expect(await store.drainRecords(['svc-a'])).toEqual({ 'svc-a': a2 });
      await store.clearDrain('svc-a');
      await store.clearDrain('svc-never');
      expect(await store.drainRecords(['svc-a', 'svc-b'])).toEqual({ 'svc-a': null, 'svc-b': b });
    });

    test('protected tasks: a set, replaced on save, emptied by an empty save or a clear', async () => {
      expect(await store.protectedTasks('web')).toEqual([]);
      await store.saveProtected('web', ['arn:task/1', 'arn:task/2', 'arn:task/1'], 60_000);
      expect(sorted(await store.protectedTasks('web'))).toEqual(['arn:task/1', 'arn:task/2']);
      await store.saveProtected('web', ['arn:task/3'], 60_000);
      expect(await store.protectedTasks('web')).toEqual(['arn:task/3']);
      await store.saveProtected('web', [], 60_000);
      expect(await store.protectedTasks('web')).toEqual([]);
      await store.saveProtected('web', ['arn:task/4'], 60_000);
      await store.clearProtected('web');
      expect(await store.protectedTasks('web')).toEqual([]);
      await store.clearProtected('never');
    });

    test('protected tasks expire with their TTL', async () => {
      await store.saveProtected('web', ['arn:task/1'], SHORT_TTL_MS);
      expect(await store.protectedTasks('web')).toEqual(['arn:task/1']);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await backend.stored(`${prefix}protected:web`)).toBe(subject.keepsExpired);
      expect(await store.protectedTasks('web')).toEqual([]);
      expect(await store.leftovers(['web'])).toEqual([]);
    });

    test('observation: kept per execution, gone after its TTL', async () => {
      expect(await store.observation('exec-1')).toBeNull();
      await store.saveObservation('exec-1', observationOf('exec-1'), SHORT_TTL_MS);
      await store.saveObservation('exec-2', observationOf('exec-2'), 60_000);
      expect(await store.observation('exec-1')).toEqual(observationOf('exec-1'));
      await sleep(PAST_SHORT_TTL_MS);
      expect(await backend.stored(`${prefix}observation:exec-1`)).toBe(subject.keepsExpired);
      expect(await store.observation('exec-1')).toBeNull();
      expect(await store.observation('exec-2')).toEqual(observationOf('exec-2'));
    });

    test('wanted: the latest marker, gone after its TTL', async () => {
      expect(await store.wanted('web')).toBeNull();
      await store.want('web', { to: 5, at: 1000 }, 60_000);
      await store.want('web', { to: 7, at: 2000 }, SHORT_TTL_MS);
      expect(await store.wanted('web')).toEqual({ to: 7, at: 2000 });
      await sleep(PAST_SHORT_TTL_MS);
      expect(await backend.stored(`${prefix}wanted:web`)).toBe(subject.keepsExpired);
      expect(await store.wanted('web')).toBeNull();
    });

    test('planner histories round-trip; absent ones are undefined', async () => {
      expect(await store.loadHistories([])).toEqual({});
      await store.saveHistories({});
      const web = { rates: { muSamples: 2, mu: 1.5 }, recs: [[1, 2], [3, 4]], idleSince: null };
      await store.saveHistories({ web, api: { rates: { muSamples: 0 }, recs: [], idleSince: 5 } });
      expect(await store.loadHistories(['web', 'api', 'none'])).toEqual({ web, api: { rates: { muSamples: 0 }, recs: [], idleSince: 5 }, none: undefined });
      await store.saveHistories({ web: { ...web, idleSince: 9 } });
      expect((await store.loadHistories<typeof web>(['web'])).web?.idleSince).toBe(9);
    });

    test('a history larger than a DynamoDB item (400 KB) after gzip round-trips', async () => {
      // Random hex compresses to about half: over 1 MB of JSON is well over one item gzipped.
      const { randomBytes } = await import('node:crypto');
      const big = { rates: { processed: Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`task.${i}.${randomBytes(12).toString('hex')}`, i])) }, recs: [], idleSince: null };
      await store.saveHistories({ big, small: { recs: [] } });
      const back = await store.loadHistories<typeof big>(['big', 'small']);
      expect(back.big).toEqual(big);
      expect(back.small).toEqual({ recs: [] });
      // Smaller again: read back whole, not mixed with the parts of the larger one.
      await store.saveHistories({ big: { recs: [[1, 1]] } });
      expect((await store.loadHistories(['big'])).big).toEqual({ recs: [[1, 1]] });
    });
  });

  describe('leftovers of dead cycles', () => {
    test('a drain record or protection with no lock behind it, and only then', async () => {
      expect(await store.leftovers([])).toEqual([]);
      const record = drainOf('dead-1', 2);
      await store.saveDrain('svc-a', record);
      await store.saveProtected('svc-b', ['arn:task/b1', 'arn:task/b2'], 60_000);
      await store.acquireLock('svc-a', 'dead-1', 60_000);
      await store.acquireLock('svc-c', 'live-1', 60_000);
      expect(await store.leftovers(['svc-a', 'svc-b', 'svc-c', 'svc-d'])).toEqual([{ service: 'svc-b', drain: null, protectedTasks: 2 }]);
      await store.releaseLock('svc-a', 'dead-1');
      await store.saveProtected('svc-a', ['arn:task/a1'], 60_000);
      expect(await store.leftovers(['svc-a', 'svc-b'])).toEqual([{ service: 'svc-a', drain: record, protectedTasks: 1 }, { service: 'svc-b', drain: null, protectedTasks: 2 }]);
      await store.clearDrain('svc-a');
      await store.clearProtected('svc-a');
      await store.clearProtected('svc-b');
      expect(await store.leftovers(['svc-a', 'svc-b', 'svc-c'])).toEqual([]);
    });

    test('a lock that expired no longer hides a leftover', async () => {
      const record = drainOf('dead-2');
      await store.saveDrain('svc', record);
      await store.acquireLock('svc', 'dead-2', SHORT_TTL_MS);
      expect(await store.leftovers(['svc'])).toEqual([]);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.leftovers(['svc'])).toEqual([{ service: 'svc', drain: record, protectedTasks: 0 }]);
    });
  });

  test('150 services at once: every batch read and write answers for all of them', async () => {
    const services = Array.from({ length: 150 }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
    const drained = services.filter((_, i) => i % 3 === 0);
    const protectedOnes = services.filter((_, i) => i % 5 === 0);
    const locked = services.filter((_, i) => i % 2 === 0);
    await Promise.all(drained.map((s) => store.saveDrain(s, drainOf(`exec-${s}`))));
    await Promise.all(protectedOnes.map((s) => store.saveProtected(s, [`arn:task/${s}/1`, `arn:task/${s}/2`], 60_000)));
    await Promise.all(locked.map((s) => store.acquireLock(s, `live-${s}`, 60_000)));
    await Promise.all(services.map((s, i) => store.recordScale(s, i % 2 ? 'up' : 'down', 1000 + i)));
    await store.saveHistories(Object.fromEntries(services.map((s, i) => [s, { recs: [[i, i]], idleSince: null }])));

    const drains = await store.drainRecords(services);
    expect(Object.keys(drains)).toHaveLength(150);
    for (const s of services) expect(drains[s]).toEqual(drained.includes(s) ? drainOf(`exec-${s}`) : null);

    const times = await store.scaleTimes(services);
    services.forEach((s, i) => expect(times[s]).toEqual(i % 2 ? { lastScaleUpAt: 1000 + i } : { lastScaleDownAt: 1000 + i }));

    const histories = await store.loadHistories(services);
    services.forEach((s, i) => expect(histories[s]).toEqual({ recs: [[i, i]], idleSince: null }));

    const expected = services
      .filter((s) => !locked.includes(s) && (drained.includes(s) || protectedOnes.includes(s)))
      .map((s) => ({ service: s, drain: drained.includes(s) ? drainOf(`exec-${s}`) : null, protectedTasks: protectedOnes.includes(s) ? 2 : 0 }));
    expect(expected.length).toBeGreaterThan(0);
    expect(await store.leftovers(services)).toEqual(expected);
  });
});

describe.each([redisSubject, dynamoSubject])('state store conformance, server down: $name', (subject) => {
  test('every call fails as BrokerUnavailableError naming what it was doing, never an empty answer', async () => {
    const { store, close } = await subject.down();
    const calls: [string, () => Promise<unknown>][] = [
      ['acquireLock', () => store.acquireLock('s', 'e', 1000)],
      ['extendLock', () => store.extendLock('s', 'e', 1000)],
      ['releaseLock', () => store.releaseLock('s', 'e')],
      ['lockHolder', () => store.lockHolder('s')],
      ['scaleTimes', () => store.scaleTimes(['s'])],
      ['recordScale', () => store.recordScale('s', 'up', 1)],
      ['saveProtected', () => store.saveProtected('s', ['t'], 1000)],
      ['protectedTasks', () => store.protectedTasks('s')],
      ['clearProtected', () => store.clearProtected('s')],
      ['saveDrain', () => store.saveDrain('s', drainOf('e'))],
      ['clearDrain', () => store.clearDrain('s')],
      ['drainRecords', () => store.drainRecords(['s'])],
      ['saveObservation', () => store.saveObservation('e', observationOf('e'), 1000)],
      ['observation', () => store.observation('e')],
      ['want', () => store.want('s', { to: 1, at: 1 }, 1000)],
      ['wanted', () => store.wanted('s')],
      ['leftovers', () => store.leftovers(['s'])],
      ['loadHistories', () => store.loadHistories(['s'])],
      ['saveHistories', () => store.saveHistories({ s: {} })],
    ];
    try {
      for (const [name, call] of calls) {
        const outcome = await call().then((v) => ({ resolved: name, v }), (e: Error) => ({ name: e.name, message: e.message }));
        expect(outcome).toMatchObject({ name: 'BrokerUnavailableError', message: expect.stringMatching(/^autoscaler state: \S/) });
      }
    } finally {
      close();
    }
  });
});

/** DynamoDB's own limits, which dynalite does not provoke: throttled batches and their sizes. */
describe('DynamoStateStore within DynamoDB limits', () => {
  let local: DynamoLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    local = await DynamoLocal.start();
    client = local.client();
    await createStateTable(client, TABLE);
  });
  afterAll(async () => {
    client.destroy();
    await local.stop();
  });

  /** The real client, with each BatchGetItem / BatchWriteItem counted and optionally cut short. */
  function throttled(opts: { leaveGets?: number; leaveWrites?: number; always?: boolean }) {
    const calls = { get: [] as number[], write: [] as number[] };
    let cutGets = 0;
    let cutWrites = 0;
    const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
    const wrapped = {
      send: async (command: unknown) => {
        if (command instanceof BatchGetItemCommand) {
          const req = command.input.RequestItems?.[TABLE];
          const keys = req?.Keys ?? [];
          calls.get.push(keys.length);
          const leave = opts.always ? keys.length : cutGets++ < 2 ? Math.min(opts.leaveGets ?? 0, keys.length) : 0;
          if (leave === 0) return send(command);
          const out = leave < keys.length ? ((await send(new BatchGetItemCommand({ RequestItems: { [TABLE]: { ...req, Keys: keys.slice(leave) } } }))) as object) : { Responses: {} };
          return { ...out, UnprocessedKeys: { [TABLE]: { ...req, Keys: keys.slice(0, leave) } } };
        }
        if (command instanceof BatchWriteItemCommand) {
          const items = command.input.RequestItems?.[TABLE] ?? [];
          calls.write.push(items.length);
          const leave = opts.always ? items.length : cutWrites++ < 2 ? Math.min(opts.leaveWrites ?? 0, items.length) : 0;
          if (leave === 0) return send(command);
          if (leave < items.length) await send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: items.slice(leave) } }));
          return { UnprocessedItems: { [TABLE]: items.slice(0, leave) } };
        }
        return send(command);
      },
    };
    return { client: wrapped as unknown as DynamoDBClient, calls };
  }

  test('batches stay within 100 keys and 25 writes; unprocessed keys and items are asked again', async () => {
    const { client: c, calls } = throttled({ leaveGets: 30, leaveWrites: 10 });
    const store = new DynamoStateStore(c, TABLE, freshPrefix(), { batchBackoffMs: 5 });
    const services = Array.from({ length: 130 }, (_, i) => `s${i}`);
    await store.saveHistories(Object.fromEntries(services.map((s) => [s, { n: s }])));
    expect(Math.max(...calls.write)).toBeLessThanOrEqual(DYNAMO_LIMITS.batchWriteItems);
    const back = await store.loadHistories<{ n: string }>(services);
    for (const s of services) expect(back[s]).toEqual({ n: s });
    expect(Math.max(...calls.get)).toBeLessThanOrEqual(DYNAMO_LIMITS.batchGetKeys);
    expect((await store.leftovers(services))).toEqual([]);
    // 3 keys a service, 130 services: over 100 keys, in more than one BatchGetItem.
    expect(calls.get.length).toBeGreaterThan(2);
  });

  test('keys DynamoDB keeps leaving unprocessed fail the read: never "no state"', async () => {
    const { client: c, calls } = throttled({ always: true });
    const store = new DynamoStateStore(c, TABLE, freshPrefix(), { batchAttempts: 3, batchBackoffMs: 5 });
    await expect(store.drainRecords(['a', 'b'])).rejects.toMatchObject({ name: 'BrokerUnavailableError', message: expect.stringMatching(/^autoscaler state: reading drain records: .*unprocessed/) });
    await expect(store.leftovers(['a'])).rejects.toMatchObject({ name: 'BrokerUnavailableError' });
    await expect(store.saveHistories({ a: {} })).rejects.toMatchObject({ name: 'BrokerUnavailableError', message: expect.stringMatching(/unwritten/) });
    expect(calls.get.length).toBeGreaterThanOrEqual(6);
  });

  test('every method calls only the IAM actions docs/state.md lists, and every item written carries both expiries', async () => {
    const used = new Set<string>();
    const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
    const recording = { send: (command: object) => { used.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`); return send(command); } } as unknown as DynamoDBClient;
    const prefix = freshPrefix();
    const store = new DynamoStateStore(recording, TABLE, prefix);
    await store.acquireLock('web', 'e1', 60_000);
    await store.acquireLock('web', 'e2', 60_000);
    await store.extendLock('web', 'e1', 60_000);
    await store.lockHolder('web');
    await store.recordScale('web', 'up', 1);
    await store.scaleTimes(['web']);
    await store.saveProtected('web', ['t1'], 60_000);
    await store.protectedTasks('web');
    await store.saveDrain('web', drainOf('e1'));
    await store.drainRecords(['web']);
    await store.saveObservation('e1', observationOf('e1'), 60_000);
    await store.observation('e1');
    await store.want('web', { to: 2, at: 1 }, 60_000);
    await store.wanted('web');
    await store.saveHistories({ web: { recs: [] } });
    await store.loadHistories(['web']);
    await store.leftovers(['web']);
    const items = (await client.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? [];
    const ours = items.filter((i) => i.pk?.S?.startsWith(prefix));
    expect(ours.length).toBeGreaterThanOrEqual(7);
    for (const item of ours) {
      const ms = Number(item.expiresAtMs?.N);
      expect(ms).toBeGreaterThan(Date.now());
      expect(Number(item[STATE_TABLE.TimeToLiveSpecification.AttributeName]?.N)).toBe(Math.ceil(ms / 1000));
    }
    await store.releaseLock('web', 'e1');
    await store.clearProtected('web');
    await store.clearDrain('web');
    await store.saveProtected('web', [], 60_000);
    expect([...used].sort()).toEqual([...STATE_TABLE_ACTIONS].sort());
  });

  test('a value over one item is split into parts under the item limit; a torn one reads as a corrupt history', async () => {
    const prefix = freshPrefix();
    const store = new DynamoStateStore(client, TABLE, prefix);
    const { randomBytes } = await import('node:crypto');
    const big = { blob: randomBytes(PART_BYTES * 2).toString('base64') };
    await store.saveHistories({ web: big });
    const head = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `${prefix}history:web` } }, ConsistentRead: true }))).Item;
    const parts = Number(head?.parts?.N);
    expect(parts).toBeGreaterThan(1);
    expect((await store.loadHistories(['web'])).web).toEqual(big);
    // A part overwritten by another write (another gen) and never followed by its head: torn.
    await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: { pk: { S: `${prefix}history:web#part:1` }, z: { B: Buffer.from('x') }, gen: { S: 'other' }, expiresAtMs: { N: String(Date.now() + 60_000) } } } }] } }));
    expect(await store.loadHistories(['web'])).toEqual({ web: undefined });
  });

  test('an observation of 1,000 workers × 200 task names of 60 characters, with counts that compress poorly, is split and round-trips', async () => {
    const prefix = freshPrefix();
    const store = new DynamoStateStore(client, TABLE, prefix);
    const names = Array.from({ length: 200 }, (_, i) => `app.tasks.module_${i}.some_task_name_that_is_long_${i}`.padEnd(60, 'x'));
    const workers = Object.fromEntries(Array.from({ length: 1000 }, (_, w) => [`celery@ip-10-0-${w}`, { processed: Object.fromEntries(names.map((n, i) => [n, (w * 7 + i * 13) % 997])) }]));
    const observation = { execution: 'big', workers } as unknown as Observation;
    await store.saveObservation('big', observation, 60_000);
    const head = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `${prefix}observation:big` } }, ConsistentRead: true }))).Item;
    expect(Number(head?.parts?.N)).toBeGreaterThan(1);
    expect(await store.observation('big')).toEqual(observation);
  });
});
