import type Redis from 'ioredis';

/** Compare-and-delete: only the holder's token releases the lock (a late cycle can't free a newer one). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** History and scale times outlive many cycles but not an abandoned stage. */
const STATE_TTL_MS = 7 * 24 * 3600 * 1000;

export interface ScaleTimes {
  lastScaleUpAt?: number;
  lastScaleDownAt?: number;
}

/**
 * The autoscaler's own state in Redis, all under one prefix per stage
 * (`celery-autoscaler:<stage>:`), every key with a TTL so nothing outlives its use.
 */
export class StateStore {
  constructor(private readonly redis: Redis, readonly prefix: string) {}

  private key(kind: string, service: string): string {
    return `${this.prefix}${kind}:${service}`;
  }

  /** One cycle at a time per service: SET NX PX, token = execution name. */
  async acquireLock(service: string, token: string, ttlMs: number): Promise<{ acquired: boolean; holder: string | null }> {
    const k = this.key('lock', service);
    const ok = await this.redis.set(k, token, 'PX', Math.ceil(ttlMs), 'NX');
    if (ok === 'OK') return { acquired: true, holder: token };
    const holder = await this.redis.get(k);
    // Re-entrant for the same execution: a retried CheckCooldown must not lock itself out.
    if (holder === token) {
      await this.redis.pexpire(k, Math.ceil(ttlMs));
      return { acquired: true, holder };
    }
    return { acquired: false, holder };
  }

  async releaseLock(service: string, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.key('lock', service), token)) === 1;
  }

  async extendLock(service: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, this.key('lock', service), token, String(Math.ceil(ttlMs)))) === 1;
  }

  async lockHolder(service: string): Promise<string | null> {
    return this.redis.get(this.key('lock', service));
  }

  async scaleTimes(services: string[]): Promise<Record<string, ScaleTimes>> {
    const out: Record<string, ScaleTimes> = {};
    if (services.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const s of services) pipe.hgetall(this.key('scaled', s));
    const res = await pipe.exec();
    services.forEach((s, i) => {
      const [err, h] = res?.[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      const hash = (h ?? {}) as Record<string, string>;
      out[s] = {
        ...(hash.up ? { lastScaleUpAt: Number(hash.up) } : {}),
        ...(hash.down ? { lastScaleDownAt: Number(hash.down) } : {}),
      };
    });
    return out;
  }

  async recordScale(service: string, direction: 'up' | 'down', at: number): Promise<void> {
    const k = this.key('scaled', service);
    await this.redis.multi().hset(k, direction, String(at)).pexpire(k, STATE_TTL_MS).exec();
  }

  /** Task ARNs a scale-down protected, so any exit path (even a failed one) can clear them. */
  async saveProtected(service: string, taskArns: string[], ttlMs: number): Promise<void> {
    const k = this.key('protected', service);
    const m = this.redis.multi().del(k);
    if (taskArns.length > 0) m.sadd(k, ...taskArns).pexpire(k, Math.ceil(ttlMs));
    await m.exec();
  }

  async protectedTasks(service: string): Promise<string[]> {
    return this.redis.smembers(this.key('protected', service));
  }

  async clearProtected(service: string): Promise<void> {
    await this.redis.del(this.key('protected', service));
  }

  async loadHistories<H>(services: string[]): Promise<Record<string, H | undefined>> {
    const out: Record<string, H | undefined> = {};
    if (services.length === 0) return out;
    const raw = await this.redis.mget(services.map((s) => this.key('history', s)));
    services.forEach((s, i) => {
      const text = raw[i];
      if (text === null || text === undefined) return;
      try {
        out[s] = JSON.parse(text) as H;
      } catch {
        // A corrupt history only costs the EWMAs: start over rather than fail every cycle.
        out[s] = undefined;
      }
    });
    return out;
  }

  async saveHistories<H>(histories: Record<string, H>): Promise<void> {
    const entries = Object.entries(histories);
    if (entries.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const [s, h] of entries) pipe.set(this.key('history', s), JSON.stringify(h), 'PX', STATE_TTL_MS);
    const res = await pipe.exec();
    const failed = res?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}

export const statePrefix = (stage: string): string => `celery-autoscaler:${stage}:`;
