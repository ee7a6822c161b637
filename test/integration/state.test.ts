import type Redis from 'ioredis';
import { connectBroker, ensureReady } from '../../lib/celery/connection';
import type { BrokerConfig } from '../../lib/config';
import { StateStore } from '../../lib/state/store';
import { RedisServer } from '../../local/redis-server';

describe('state store (real redis)', () => {
  let server: RedisServer;
  let redis: Redis;
  let store: StateStore;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    store = new StateStore(redis, 'celery-autoscaler:test:');
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  test('only one execution holds a service lock; only its token releases it', async () => {
    expect(await store.acquireLock('web', 'exec-1', 10_000)).toEqual({ acquired: true, holder: 'exec-1' });
    expect(await store.acquireLock('web', 'exec-2', 10_000)).toEqual({ acquired: false, holder: 'exec-1' });
    expect(await store.acquireLock('web', 'exec-1', 10_000)).toEqual({ acquired: true, holder: 'exec-1' });
    expect(await store.releaseLock('web', 'exec-2')).toBe(false);
    expect(await store.lockHolder('web')).toBe('exec-1');
    expect(await store.releaseLock('web', 'exec-1')).toBe(true);
    expect(await store.acquireLock('web', 'exec-2', 10_000)).toMatchObject({ acquired: true });
    await store.releaseLock('web', 'exec-2');
  });

  test('a lock expires on its own', async () => {
    await store.acquireLock('api', 'dead-cycle', 50);
    const ttl = await redis.pttl('celery-autoscaler:test:lock:api');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50);
  });

  test('scale times and histories round-trip, every key with a TTL', async () => {
    await store.recordScale('web', 'up', 1000);
    await store.recordScale('web', 'down', 2000);
    expect(await store.scaleTimes(['web', 'none'])).toEqual({ web: { lastScaleUpAt: 1000, lastScaleDownAt: 2000 }, none: {} });
    await store.saveHistories({ web: { samples: [1, 2] } });
    expect(await store.loadHistories(['web', 'none'])).toEqual({ web: { samples: [1, 2] }, none: undefined });
    for (const k of await redis.keys('celery-autoscaler:test:*')) expect(await redis.pttl(k)).toBeGreaterThan(0);
  });

  test('a dead cycle\'s drain record and protection are leftovers only once no cycle holds the service', async () => {
    const record = { execution: 'dead-1', nodes: [{ node: 'w@t1', taskId: 't1' }], queues: ['q1'], at: 1 };
    await store.saveDrain('svc-a', record);
    await store.saveProtected('svc-b', ['arn:task/b1', 'arn:task/b2'], 60_000);
    await store.acquireLock('svc-a', 'dead-1', 60_000);
    expect(await store.leftovers(['svc-a', 'svc-b', 'svc-c'])).toEqual([{ service: 'svc-b', drain: null, protectedTasks: 2 }]);
    await store.releaseLock('svc-a', 'dead-1');
    expect(await store.leftovers(['svc-a'])).toEqual([{ service: 'svc-a', drain: record, protectedTasks: 0 }]);
    expect(await redis.pttl('celery-autoscaler:test:draining:svc-a')).toBeGreaterThan(0);
    await store.clearDrain('svc-a');
    await store.clearProtected('svc-b');
    expect(await store.leftovers(['svc-a', 'svc-b'])).toEqual([]);
  });

  test('a corrupt history is dropped, not fatal', async () => {
    await redis.set('celery-autoscaler:test:history:bad', '{not json');
    expect(await store.loadHistories(['bad'])).toEqual({ bad: undefined });
  });
});

describe('state store with the broker down', () => {
  test('every call fails as BrokerUnavailableError, which the state machine retries', async () => {
    const server = await RedisServer.start();
    // The production client: no offline queue, so a down broker fails at once.
    const redis = connectBroker({ db: 0, connectTimeoutMs: 1000 } as BrokerConfig, server.url);
    await ensureReady(redis, 5000);
    const store = new StateStore(redis, 'celery-autoscaler:test:');
    await server.stop();
    try {
      for (const call of [() => store.acquireLock('s', 'e', 1000), () => store.extendLock('s', 'e', 1000), () => store.leftovers(['s']), () => store.saveHistories({ s: {} })]) {
        await expect(call()).rejects.toMatchObject({ name: 'BrokerUnavailableError', message: expect.stringMatching(/^autoscaler state: /) });
      }
    } finally {
      redis.disconnect();
    }
  });
});
