import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { BrokerConfig } from '../config';
import { PidboxCommands, type CallOptions, type CeleryControl, type ControlResult } from '../celery/control';
import { BrokerUnavailableError } from '../errors';
import { amqpError, type AmqpConnection } from './connection';
import { amqpTable } from './table';

/** kombu/pidbox.py Mailbox: `exchange_fmt` / `reply_exchange_fmt` with Celery's namespace `celery`. */
export const PIDBOX_EXCHANGE = 'celery.pidbox';
export const REPLY_EXCHANGE = 'reply.celery.pidbox';
/** kombu/pidbox.py Mailbox.get_reply_queue: `<oid>.reply.celery.pidbox`, bound with routing key = oid. */
export const replyQueue = (oid: string): string => `${oid}.${REPLY_EXCHANGE}`;
/** kombu/pidbox.py Mailbox.get_queue: each worker's `<node>.celery.pidbox`, bound to the fanout. */
export const nodeQueue = (node: string): string => `${node}.celery.pidbox`;

/**
 * kombu/pidbox.py Mailbox._get_exchange / _get_reply_exchange: Exchange(durable=False), auto_delete
 * left at kombu's default False. Declaring either with other flags than the worker did makes
 * RabbitMQ close the channel with 406 PRECONDITION_FAILED.
 */
const EXCHANGE_FLAGS = { durable: false, autoDelete: false } as const;
/**
 * Celery's control_queue_expires (10 s) and control_queue_ttl (300 s), in ms as kombu's Queue
 * sends them (x-expires, x-message-ttl): the arguments kombu gives the reply queue.
 */
const REPLY_QUEUE_EXPIRES_MS = 10_000;
const REPLY_QUEUE_TTL_MS = 300_000;

interface PendingCall {
  expected: number;
  destination: string[] | null;
  replies: Record<string, unknown>;
  done: (err?: Error) => void;
}

/** The methods the cycle uses, the same on both brokers (a compile-time check below). */
export type ControlMethods = Pick<CeleryControl, 'call' | 'ping' | 'active' | 'reserved' | 'scheduled' | 'stats' | 'activeQueues' | 'cancelConsumer' | 'addConsumer' | 'cancelConsumers' | 'addConsumers' | 'close' | 'oid'>;

/**
 * Celery's remote control (kombu pidbox) over AMQP 0-9-1, as kombu's Mailbox does it: a command
 * is published to the `celery.pidbox` fanout (every worker's `<node>.celery.pidbox` queue is bound
 * to it; a worker drops a command whose `destination` does not name it); replies come to this
 * instance's own queue `<oid>.reply.celery.pidbox`, bound to the `reply.celery.pidbox` direct
 * exchange with routing key = oid, and reach the waiting call by their `ticket` header.
 *
 * One channel and one reply queue per instance (exclusive: it goes with the channel's connection,
 * auto-delete: with its consumer). A closed channel (the broker restarted, a declare refused) fails
 * the calls waiting on it; the next call opens a new one. The connection belongs to the caller.
 *
 * Unlike Redis, AMQP does not say how many queues a fanout reached: a broadcast (no destination)
 * waits the whole timeout, as kombu's does without a `limit`, and `expected` is how many answered.
 */
export class AmqpControl extends PidboxCommands implements ControlMethods {
  readonly oid = randomUUID();
  private readonly pending = new Map<string, PendingCall>();
  private channel: Promise<ConfirmChannel> | null = null;
  private clock = 1;
  /** Bumped by close(): a channel opened for an earlier generation is closed, not used. */
  private generation = 0;

  constructor(private readonly connection: AmqpConnection, private readonly broker: Pick<BrokerConfig, 'controlTimeoutMs' | 'connectTimeoutMs'>) {
    super();
  }

  async call<T>(method: string, args: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<ControlResult<T>> {
    const timeoutMs = opts.timeoutMs ?? this.broker.controlTimeoutMs;
    const destination = opts.destination ? [...new Set(opts.destination)] : null;
    if (destination && destination.length === 0) return { replies: {}, missing: [], expected: 0 };
    const ticket = randomUUID();
    // kombu/pidbox.py Mailbox._publish: the body a worker's Node.dispatch reads.
    const body = {
      method, arguments: args, destination, pattern: null, matcher: null, ticket,
      reply_to: { exchange: REPLY_EXCHANGE, routing_key: this.oid },
    };
    const call: PendingCall = { expected: destination?.length ?? 0, destination, replies: {}, done: () => undefined };
    let timer: NodeJS.Timeout | undefined;
    const finished = new Promise<void>((resolve, reject) => {
      call.done = (err) => {
        clearTimeout(timer);
        this.pending.delete(ticket);
        if (err) reject(err);
        else resolve();
      };
    });
    // Settled before it is awaited when close() or a channel error ends the call early: not unhandled.
    finished.catch(() => undefined);
    this.pending.set(ticket, call);
    try {
      // Bounded: a broker that accepts the TCP connection but not the work (a memory alarm blocks
      // publishers) is an error within the connect timeout, never a hang.
      const ch = await within(this.ready(), this.broker.connectTimeoutMs, 'opening the remote-control channel');
      // kombu/pidbox.py Mailbox._publish: headers clock and expires (epoch seconds; only kombu's
      // reply collector reads it, a worker does not), JSON as Celery's default serializer. A command
      // no worker takes dies with the worker's queue (auto-delete) or after its x-message-ttl (300 s).
      await within(new Promise<void>((resolve, reject) => {
        ch.publish(PIDBOX_EXCHANGE, '', Buffer.from(JSON.stringify(body)), {
          contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 1,
          headers: amqpTable({ clock: this.clock++, expires: Date.now() / 1000 + timeoutMs / 1000 }) as Record<string, unknown>,
        }, (err) => (err ? reject(new Error(`broker refused the command (nack): ${String(err)}`)) : resolve()));
      }), this.broker.connectTimeoutMs, 'the broker confirming the command');
      // The wait starts once the broker has the command (publisher confirm): a slow broker is an
      // error or a late start, never an empty answer with the command sent after the timeout.
      if (this.isComplete(call)) call.done();
      else if (this.pending.has(ticket)) timer = setTimeout(() => call.done(), timeoutMs);
    } catch (e) {
      call.done(amqpError(e, `remote control ${method}`));
    }
    await finished;
    if (!destination) call.expected = Object.keys(call.replies).length;
    const missing = destination ? destination.filter((n) => !(n in call.replies)) : [];
    return { replies: call.replies as Record<string, T>, missing, expected: call.expected };
  }

  /**
   * Fails waiting calls and closes the channel (its consumer goes, so the reply queue is deleted).
   * The connection belongs to the caller; a later call opens a channel again, as CeleryControl's does.
   */
  close(): void {
    this.generation += 1;
    this.failAll(new BrokerUnavailableError('control client closed'));
    const ch = this.channel;
    this.channel = null;
    void ch?.then((c) => c.close()).catch(() => undefined);
  }

  private failAll(err: Error): void {
    for (const c of [...this.pending.values()]) c.done(err);
  }

  private isComplete(call: PendingCall): boolean {
    return call.destination !== null && call.destination.every((n) => n in call.replies);
  }

  /** The channel with the exchanges declared and the reply queue consumed; opened again after a close. */
  private ready(): Promise<ConfirmChannel> {
    if (!this.channel) {
      const opening = this.open();
      this.channel = opening;
      opening.catch(() => { if (this.channel === opening) this.channel = null; });
    }
    return this.channel;
  }

  private async open(): Promise<ConfirmChannel> {
    const generation = this.generation;
    const model = await this.connection.get();
    const ch = await model.createConfirmChannel();
    const mine = this.channel;
    ch.on('error', () => undefined);
    ch.on('close', () => {
      if (this.channel !== mine) return; // close() already failed its calls
      this.channel = null;
      this.failAll(new BrokerUnavailableError('AMQP channel closed while waiting for remote-control replies'));
    });
    try {
      await ch.assertExchange(PIDBOX_EXCHANGE, 'fanout', EXCHANGE_FLAGS);
      await ch.assertExchange(REPLY_EXCHANGE, 'direct', EXCHANGE_FLAGS);
      const q = replyQueue(this.oid);
      await ch.assertQueue(q, { durable: false, autoDelete: true, exclusive: true, expires: REPLY_QUEUE_EXPIRES_MS, messageTtl: REPLY_QUEUE_TTL_MS });
      await ch.bindQueue(q, REPLY_EXCHANGE, this.oid);
      await ch.consume(q, (m) => { if (m) this.dispatch(m); }, { noAck: true });
    } catch (e) {
      await ch.close().catch(() => undefined);
      throw e;
    }
    if (generation !== this.generation) {
      await ch.close().catch(() => undefined);
      throw new BrokerUnavailableError('control client closed');
    }
    return ch;
  }

  /** kombu/pidbox.py Mailbox._publish_reply: body `{node: result}`, header `ticket`. */
  private dispatch(m: ConsumeMessage): void {
    const headers = (m.properties.headers ?? {}) as { ticket?: unknown };
    const ticket = typeof headers.ticket === 'string' ? headers.ticket : undefined;
    const call = ticket ? this.pending.get(ticket) : undefined;
    if (!call) return; // a reply to another (finished) call
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(m.content.toString('utf8')) as Record<string, unknown>;
    } catch {
      return; // not a reply we can read: ignore rather than fail every waiting call
    }
    if (!answer || typeof answer !== 'object') return;
    for (const [node, result] of Object.entries(answer)) {
      if (!call.destination || call.destination.includes(node)) call.replies[node] = result;
    }
    if (this.isComplete(call)) call.done();
  }
}

/** The promise, or a BrokerUnavailableError once `ms` passed (the promise is left to settle unobserved). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerUnavailableError(`broker not answering: ${what} took more than ${ms} ms`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
