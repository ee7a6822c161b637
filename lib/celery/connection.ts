import Redis from 'ioredis';
import { brokerForUrl, redactUrl } from '../broker-url';
import type { BrokerConfig } from '../config';
import { BrokerUnavailableError } from '../errors';

/**
 * A client for the Celery broker. Fails fast rather than queueing: with no offline queue a
 * command on a down broker errors at once, and a connect attempt gives up after
 * connectTimeoutMs, so a cycle fails in seconds instead of hanging until the Lambda timeout.
 * It keeps reconnecting in the background, so the next cycle finds the broker again.
 */
export function connectBroker(broker: BrokerConfig, url: string): Redis {
  const u = new URL(url);
  return new Redis(url, {
    db: brokerForUrl(broker, url).db,
    connectTimeout: broker.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
  }).on('error', () => {
    /* reported through the failing command; an unhandled 'error' event would crash the process */
  });
}

/** Waits until the client is ready, or fails within the connect timeout with a typed error. */
export async function ensureReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  // Callers waiting at once share one wait: a listener set each would pile up past Node's limit of 10.
  let waiting = readyWaits.get(redis);
  if (!waiting) {
    waiting = waitReady(redis, timeoutMs).finally(() => readyWaits.delete(redis));
    readyWaits.set(redis, waiting);
  }
  await waiting;
}

const readyWaits = new WeakMap<Redis, Promise<void>>();

function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // The last connection error says why (WRONGPASS, a TLS certificate, ECONNREFUSED): keep it.
    let lastError = '';
    const timer = setTimeout(() => finish(new BrokerUnavailableError(`broker not reachable within ${timeoutMs} ms (${redis.status}${lastError ? `: ${lastError}` : ''})`)), timeoutMs);
    const onReady = () => finish();
    const onEnd = () => finish(new BrokerUnavailableError('broker connection closed'));
    const onError = (e: Error) => {
      lastError = redactUrl(e.message);
      // Retrying a refused password cannot succeed: say so now, not at the timeout.
      if (isAuthError(lastError)) finish(authFailed(lastError));
    };
    function finish(err?: Error) {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      redis.off('error', onError);
      if (err) reject(err);
      else resolve();
    }
    redis.once('ready', onReady);
    redis.once('end', onEnd);
    redis.on('error', onError);
  });
}

const isAuthError = (msg: string): boolean => /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(msg);
const authFailed = (msg: string): BrokerUnavailableError =>
  new BrokerUnavailableError(`broker authentication failed: check the user and password in the broker URL (${msg})`);

/** Turns whatever ioredis threw into a BrokerUnavailableError that names no secret. */
export function brokerError(e: unknown, doing: string): BrokerUnavailableError {
  if (e instanceof BrokerUnavailableError) return e;
  const msg = redactUrl(String((e as Error)?.message ?? e));
  return isAuthError(msg) ? authFailed(msg) : new BrokerUnavailableError(`${doing}: ${msg}`);
}
