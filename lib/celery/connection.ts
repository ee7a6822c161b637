import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
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
    // A socket that does not close after disconnect() (a reset TLS handshake) is destroyed after
    // this long, not ioredis's 2 s: a failed command ends when its error is said.
    disconnectTimeout: 200,
    // SNI only for a name: Node warns on stderr for an IP (RFC 6066).
    ...(u.protocol === 'rediss:' ? { tls: isIP(u.hostname) ? {} : { servername: u.hostname } } : {}),
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
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    // The last connection error says why (WRONGPASS, a TLS certificate, ECONNREFUSED): keep it.
    let lastError = '';
    const timer = setTimeout(() => {
      // The time really waited, and when TLS is on one side only, that (a mismatch looks like a timeout or a reset).
      const waited = `${((Date.now() - started) / 1000).toFixed(1)} s`;
      void tlsMismatch(redis).then((tls) => finish(new BrokerUnavailableError(tls ?? `broker not reachable: no connection after ${waited} (connectTimeoutMs ${timeoutMs}; ${redis.status}${lastError ? `: ${lastError}` : ''})`)));
    }, timeoutMs);
    const onReady = () => finish();
    const onEnd = () => finish(new BrokerUnavailableError('broker connection closed'));
    const onError = (e: Error) => {
      lastError = redactUrl(e.message);
      // Retrying a refused password cannot succeed: say so now, not at the timeout.
      if (isAuthError(lastError)) finish(authFailed(lastError));
    };
    let done = false;
    function finish(err?: Error) {
      if (done) return;
      done = true;
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

/** Resolves true when `talk` gets a Redis reply over the socket `open` makes, false otherwise, within `ms`. */
function answers(open: () => Socket, ready: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = open();
    const end = (ok: boolean) => { clearTimeout(t); sock.destroy(); resolve(ok); };
    const t = setTimeout(() => end(false), ms);
    sock.once(ready, () => sock.write('PING\r\n'));
    // +PONG, or -NOAUTH / -ERR from a server that wants a password: either way a Redis on this side.
    sock.once('data', (d: Buffer) => end(/^[+-]/.test(d.toString('latin1'))));
    sock.once('error', () => end(false));
    sock.once('close', () => end(false));
  });
}

/**
 * When a connection never became ready: does the server speak the other protocol? A rediss://
 * URL to a plain Redis hangs in the TLS handshake until the timeout; a redis:// URL to a TLS
 * Redis is reset on every try. One PING over the other protocol tells, and the message says TLS.
 */
export async function tlsMismatch(redis: Redis, ms = 1000): Promise<string | null> {
  const o = redis.options as { host?: string; port?: number; tls?: unknown };
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 6379;
  if (o.tls) {
    const plain = await answers(() => connectTcp(port, host), 'connect', ms);
    return plain ? `broker not reachable: the URL is rediss:// (TLS) but ${host}:${port} speaks plain Redis without TLS: use redis://` : null;
  }
  const tls = await answers(() => connectTls({ port, host, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false }), 'secureConnect', ms);
  return tls ? `broker not reachable: the URL is redis:// (no TLS) but ${host}:${port} expects TLS: use rediss://` : null;
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
