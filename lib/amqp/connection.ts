import { isIP } from 'node:net';
import { connect, type ChannelModel, type Options, type SocketOptions } from 'amqplib';
import { redactUrl } from '../broker-url';
import { BrokerUnavailableError } from '../errors';

export interface AmqpConnectOptions {
  /** The whole connect, TCP + TLS + AMQP handshake, within this long, or a BrokerUnavailableError. */
  connectTimeoutMs: number;
  /** AMQP heartbeat in seconds (0 = none); default 30, RabbitMQ closes a silent peer after two. */
  heartbeatSeconds?: number;
  /** Extra CAs to trust for amqps:// (besides Node's, and NODE_EXTRA_CA_CERTS). */
  ca?: string | Buffer;
}

/** Celery's URL schemes for RabbitMQ, and what they speak. */
const SCHEMES: Record<string, { tls: boolean; port: number }> = {
  'amqp:': { tls: false, port: 5672 },
  'pyamqp:': { tls: false, port: 5672 },
  'amqps:': { tls: true, port: 5671 },
  'pyamqps:': { tls: true, port: 5671 },
};

/**
 * A Celery broker URL as amqplib's options. The vhost is the path after its first `/`, as kombu
 * reads it (kombu/utils/url.py `url_to_parts`): `amqp://h//` and `amqp://h/` are both `/`,
 * `amqp://h/app` is `app`, `%2F` is a `/`.
 */
export function amqpOptions(url: string, heartbeatSeconds = 30): { connect: Options.Connect; tls: boolean } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BrokerUnavailableError(`not a broker URL: ${redactUrl(url)}`);
  }
  const scheme = SCHEMES[u.protocol];
  if (!scheme) throw new BrokerUnavailableError(`not an AMQP URL (amqp://, amqps://, pyamqp://): ${redactUrl(url)}`);
  const path = u.pathname.slice(1);
  return {
    tls: scheme.tls,
    connect: {
      protocol: scheme.tls ? 'amqps' : 'amqp',
      hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port ? Number(u.port) : scheme.port,
      username: u.username ? decodeURIComponent(u.username) : 'guest',
      password: u.password ? decodeURIComponent(u.password) : 'guest',
      vhost: path === '' ? '/' : decodeURIComponent(path),
      heartbeat: heartbeatSeconds,
    },
  };
}

const isAuthError = (msg: string): boolean => /ACCESS[-_]REFUSED|403|authentication|PLAIN login refused|Login was refused/i.test(msg);

/** Whatever amqplib threw, as a BrokerUnavailableError that names no secret. */
export function amqpError(e: unknown, doing: string, password?: string): BrokerUnavailableError {
  if (e instanceof BrokerUnavailableError) return e;
  let msg = redactUrl(String((e as Error)?.message ?? e));
  if (password) msg = msg.split(password).join('***');
  if (isAuthError(msg)) return new BrokerUnavailableError(`broker authentication failed: check the user, password and vhost in the broker URL (${msg})`);
  return new BrokerUnavailableError(`${doing}: ${msg}`);
}

/**
 * One AMQP connection to RabbitMQ, opened on first use and again after it closed (the next call
 * after a broker restart finds it back, as ioredis reconnects). Errors are BrokerUnavailableErrors
 * that never carry the password; an `error` event never crashes the process.
 */
export class AmqpConnection {
  private model: ChannelModel | null = null;
  private opening: Promise<ChannelModel> | null = null;
  private closed = false;

  constructor(private readonly url: string, private readonly opts: AmqpConnectOptions) {}

  /** The URL without its password, for messages. */
  get redacted(): string {
    return redactUrl(this.url);
  }

  async get(): Promise<ChannelModel> {
    if (this.closed) throw new BrokerUnavailableError('AMQP connection closed');
    if (this.model) return this.model;
    this.opening ??= this.open().finally(() => { this.opening = null; });
    return this.opening;
  }

  private async open(): Promise<ChannelModel> {
    const { connect: options, tls } = amqpOptions(this.url, this.opts.heartbeatSeconds);
    const socket: SocketOptions = { timeout: this.opts.connectTimeoutMs };
    if (tls && !isIP(options.hostname ?? '')) socket.servername = options.hostname;
    if (tls && this.opts.ca) socket.ca = this.opts.ca;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const attempt = connect(options, socket);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new BrokerUnavailableError(`broker not reachable: no AMQP connection to ${options.hostname}:${options.port} after ${((Date.now() - started) / 1000).toFixed(1)} s (connectTimeoutMs ${this.opts.connectTimeoutMs}${tls ? '; amqps:// — does the server speak TLS on this port?' : ''})`));
      }, this.opts.connectTimeoutMs);
    });
    // A connect that succeeds after the timeout is closed, not leaked.
    attempt.then((m) => { if (timedOut || this.closed) void m.close().catch(() => undefined); }, () => undefined);
    let model: ChannelModel;
    try {
      model = await Promise.race([attempt, timeout]);
    } catch (e) {
      throw amqpError(e, `connecting to ${options.hostname}:${options.port}`, options.password);
    } finally {
      clearTimeout(timer);
    }
    model.on('error', () => undefined);
    model.on('close', () => { if (this.model === model) this.model = null; });
    if (this.closed) {
      await model.close().catch(() => undefined);
      throw new BrokerUnavailableError('AMQP connection closed');
    }
    this.model = model;
    return model;
  }

  async close(): Promise<void> {
    this.closed = true;
    const m = this.model ?? (await this.opening?.catch(() => null)) ?? null;
    this.model = null;
    if (m) await m.close().catch(() => undefined);
  }
}
