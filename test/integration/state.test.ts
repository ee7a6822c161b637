import type Redis from 'ioredis';
import { StateStore } from '../../lib/state/store';
import { RedisServer } from '../support/redis-server';

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

  test('a corrupt history is dropped, not fatal', async () => {
    await redis.set('celery-autoscaler:test:history:bad', '{not json');
    expect(await store.loadHistories(['bad'])).toEqual({ bad: undefined });
  });
});
