import { gunzipSync, gzipSync } from 'node:zlib';
import type Redis from 'ioredis';
import { redactUrl } from '../broker-url';
import { ensureReady } from '../celery/connection';
import { BrokerUnavailableError } from '../errors';
import type { Observation } from '../observation';

/** Compare-and-delete: only the holder's token releases the lock (a late cycle can't free a newer one). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** History and scale times outlive many cycles but not an abandoned stage. */
const STATE_TTL_MS = 7 * 24 * 3600 * 1000;
/** Longer than any drain: a record must outlive its cycle to be found after the cycle died. */
const DRAIN_RECORD_TTL_MS = 24 * 3600 * 1000;

export interface ScaleTimes {
  lastScaleUpAt?: number;
  lastScaleDownAt?: number;
}

/** What a drain changed on the workers, kept until its cycle ends so a dead cycle can be undone. */
export interface DrainRecord {
  execution: string;
  nodes: { node: string; taskId: string }[];
  queues: string[];
  at: number;
}

/** A scale-up that found the service held: its target, and when (epoch ms) it asked. */
export interface Wanted {
  to: number;
  at: number;
}

/** What a cycle that ended without cleaning up left on a service that no cycle holds now. */
export interface Leftovers {
  service: string;
  drain: DrainRecord | null;
  protectedTasks: number;
}

/**
 * The autoscaler's own state in Redis, all under one prefix per stage
 * (`celery-autoscaler:<stage>:`), every key with a TTL so nothing outlives its use.
 * Every failure is a BrokerUnavailableError, which the state machine retries.
 */
export class StateStore {
  constructor(private readonly redis: Redis, readonly prefix: string, private readonly connectTimeoutMs = 2000) {}

  private key(kind: string, service: string): string {
    return `${this.prefix}${kind}:${service}`;
  }

  private async run<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      // A connection still coming up is waited for; one that cannot says why (WRONGPASS, refused).
      await ensureReady(this.redis, this.connectTimeoutMs);
      return await fn();
    } catch (e) {
      throw new BrokerUnavailableError(`autoscaler state: ${doing}: ${redactUrl(String((e as Error)?.message ?? e))}`);
    }
  }

  private async exec(pipe: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
    const res = await pipe.exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('no reply to pipeline');
    return res.map(([, v]) => v);
  }

  /** One cycle at a time per service: SET NX PX, token = execution name. */
  acquireLock(service: string, token: string, ttlMs: number): Promise<{ acquired: boolean; holder: string | null }> {
    return this.run(`locking ${service}`, async () => {
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
    });
  }

  releaseLock(service: string, token: string): Promise<boolean> {
    return this.run(`unlocking ${service}`, async () => (await this.redis.eval(RELEASE, 1, this.key('lock', service), token)) === 1);
  }

  /** Renews the holder's lease; false when the lock is no longer this token's. */
  extendLock(service: string, token: string, ttlMs: number): Promise<boolean> {
    return this.run(`renewing the lock of ${service}`, async () => (await this.redis.eval(EXTEND, 1, this.key('lock', service), token, String(Math.ceil(ttlMs)))) === 1);
  }

  lockHolder(service: string): Promise<string | null> {
    return this.run(`reading the lock of ${service}`, () => this.redis.get(this.key('lock', service)));
  }

  scaleTimes(services: string[]): Promise<Record<string, ScaleTimes>> {
    return this.run('reading scale times', async () => {
      const out: Record<string, ScaleTimes> = {};
      if (services.length === 0) return out;
      const pipe = this.redis.pipeline();
      for (const s of services) pipe.hgetall(this.key('scaled', s));
      const res = await this.exec(pipe);
      services.forEach((s, i) => {
        const hash = (res[i] ?? {}) as Record<string, string>;
        out[s] = {
          ...(hash.up ? { lastScaleUpAt: Number(hash.up) } : {}),
          ...(hash.down ? { lastScaleDownAt: Number(hash.down) } : {}),
        };
      });
      return out;
    });
  }

  recordScale(service: string, direction: 'up' | 'down', at: number): Promise<void> {
    return this.run(`recording the scale-${direction} of ${service}`, async () => {
      const k = this.key('scaled', service);
      await this.redis.multi().hset(k, direction, String(at)).pexpire(k, STATE_TTL_MS).exec();
    });
  }

  /** Task ARNs a scale-down protected, so any exit path (even a failed one) can clear them. */
  saveProtected(service: string, taskArns: string[], ttlMs: number): Promise<void> {
    return this.run(`recording the protected tasks of ${service}`, async () => {
      const k = this.key('protected', service);
      const m = this.redis.multi().del(k);
      if (taskArns.length > 0) m.sadd(k, ...taskArns).pexpire(k, Math.ceil(ttlMs));
      await m.exec();
    });
  }

  protectedTasks(service: string): Promise<string[]> {
    return this.run(`reading the protected tasks of ${service}`, () => this.redis.smembers(this.key('protected', service)));
  }

  clearProtected(service: string): Promise<void> {
    return this.run(`forgetting the protected tasks of ${service}`, async () => {
      await this.redis.del(this.key('protected', service));
    });
  }

  /** Written before the first cancel_consumer, removed when the cycle is done with the service. */
  saveDrain(service: string, record: DrainRecord): Promise<void> {
    return this.run(`recording the drain of ${service}`, async () => {
      await this.redis.set(this.key('draining', service), JSON.stringify(record), 'PX', DRAIN_RECORD_TTL_MS);
    });
  }

  clearDrain(service: string): Promise<void> {
    return this.run(`forgetting the drain of ${service}`, async () => {
      await this.redis.del(this.key('draining', service));
    });
  }

  /** Every service's drain record (null where there is none), one round trip. */
  drainRecords(services: string[]): Promise<Record<string, DrainRecord | null>> {
    return this.run('reading drain records', async () => {
      if (services.length === 0) return {};
      const raw = await this.redis.mget(services.map((s) => this.key('draining', s)));
      return Object.fromEntries(services.map((s, i) => [s, parseDrain(raw[i] ?? null)]));
    });
  }

  /**
   * A cycle's observation, from MeasureQueues to its ComputePlan: per-worker detail grows with
   * the fleet, so it travels here, not in the state machine's payload.
   */
  saveObservation(execution: string, observation: Observation, ttlMs: number): Promise<void> {
    return this.run('keeping the measurement for ComputePlan', async () => {
      await this.redis.set(this.key('observation', execution), pack(observation), 'PX', Math.ceil(ttlMs));
    });
  }

  observation(execution: string): Promise<Observation | null> {
    return this.run('reading the measurement', async () => {
      const raw = await this.redis.getBuffer(this.key('observation', execution));
      return raw === null ? null : unpack<Observation>(raw);
    });
  }

  /** A scale-up that found the service held by a drain: the drain gives its busy workers back. */
  want(service: string, wanted: Wanted, ttlMs: number): Promise<void> {
    return this.run(`asking for ${wanted.to} workers of ${service}`, async () => {
      await this.redis.set(this.key('wanted', service), JSON.stringify(wanted), 'PX', Math.ceil(ttlMs));
    });
  }

  wanted(service: string): Promise<Wanted | null> {
    return this.run(`reading what ${service} is wanted at`, async () => {
      const v = await this.redis.get(this.key('wanted', service));
      try {
        const w = v === null ? null : (JSON.parse(v) as Wanted);
        return w && typeof w.to === 'number' && typeof w.at === 'number' ? w : null;
      } catch {
        return null;
      }
    });
  }

  /**
   * Services that no cycle holds but that still carry a drain record or protected tasks: a
   * cycle died before cleaning up. One round trip for all services.
   */
  leftovers(services: string[]): Promise<Leftovers[]> {
    return this.run('looking for leftovers of dead cycles', async () => {
      if (services.length === 0) return [];
      const pipe = this.redis.pipeline();
      for (const s of services) pipe.get(this.key('lock', s)).get(this.key('draining', s)).scard(this.key('protected', s));
      const res = await this.exec(pipe);
      const out: Leftovers[] = [];
      services.forEach((service, i) => {
        const [lock, drain, protectedTasks] = res.slice(i * 3, i * 3 + 3) as [string | null, string | null, number];
        if (lock !== null || (drain === null && protectedTasks === 0)) return;
        out.push({ service, drain: parseDrain(drain), protectedTasks });
      });
      return out;
    });
  }

  loadHistories<H>(services: string[]): Promise<Record<string, H | undefined>> {
    return this.run('reading planner history', async () => {
      const out: Record<string, H | undefined> = {};
      if (services.length === 0) return out;
      const raw = await this.redis.mgetBuffer(services.map((s) => this.key('history', s)));
      services.forEach((s, i) => {
        const value = raw[i];
        if (value === null || value === undefined) return;
        try {
          out[s] = unpack<H>(value);
        } catch {
          // A corrupt history only costs the rates: start over rather than fail every cycle.
          out[s] = undefined;
        }
      });
      return out;
    });
  }

  saveHistories<H>(histories: Record<string, H>): Promise<void> {
    return this.run('saving planner history', async () => {
      const entries = Object.entries(histories);
      if (entries.length === 0) return;
      const pipe = this.redis.pipeline();
      for (const [s, h] of entries) pipe.set(this.key('history', s), pack(h), 'PX', STATE_TTL_MS);
      await this.exec(pipe);
    });
  }
}

/**
 * History and observations hold a count per worker and task name: 1,000 workers × 200 names is
 * about 14 MB of JSON, and gzip (level 1, ~80 ms) makes it about 300 KB, since the same names
 * repeat on every worker. Values written before compression (plain JSON) still read.
 */
function pack(value: unknown): Buffer {
  return gzipSync(JSON.stringify(value), { level: 1 });
}

function unpack<T>(raw: Buffer): T {
  const gzipped = raw.length > 1 && raw[0] === 0x1f && raw[1] === 0x8b;
  return JSON.parse((gzipped ? gunzipSync(raw) : raw).toString('utf8')) as T;
}

function parseDrain(text: string | null): DrainRecord | null {
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as DrainRecord;
    return Array.isArray(r.nodes) && Array.isArray(r.queues) ? r : null;
  } catch {
    return null; // unreadable: there is nothing we could give back
  }
}

export const statePrefix = (stage: string): string => `celery-autoscaler:${stage}:`;
