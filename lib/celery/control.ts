import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { BrokerConfig } from '../config';
import { BrokerUnavailableError } from '../errors';
import { brokerError, ensureReady } from './connection';
import { bindingMember, bindingSet, pidboxChannel, PIDBOX_EXCHANGE, prefixed, queueLists, REPLY_EXCHANGE, replyQueue } from './keys';

export interface ControlResult<T> {
  /** node name → what it answered. */
  replies: Record<string, T>;
  /** Named destination nodes that did not answer in time. */
  missing: string[];
  /** How many answers were awaited: listeners for a broadcast (PUBLISH's count), else the nodes named. */
  expected: number;
}

export interface CallOptions {
  /** Node names (`name@host`) to address; omitted = every worker. */
  destination?: string[];
  timeoutMs?: number;
}

interface PendingCall {
  expected: number;
  destination: string[] | null;
  replies: Record<string, unknown>;
  done: (err?: Error) => void;
}

/**
 * What the cycle asks of Celery's remote control, on any broker: CeleryControl over Redis here,
 * the same calls over AMQP for RabbitMQ (lib/amqp).
 */
export type RemoteControl = Pick<CeleryControl, 'ping' | 'active' | 'reserved' | 'scheduled' | 'stats' | 'activeQueues' | 'cancelConsumers' | 'addConsumers' | 'close'>;

/** Celery's priority steps for the reply queue: the worker LPUSHes replies with priority 0. */
const REPLY_STEPS = [0, 3, 6, 9];

/**
 * Celery's remote-control commands over a transport's `call` (kombu's Mailbox on Redis here, on
 * AMQP in lib/amqp/control.ts): each command, and cancel/add for every queue with who confirmed.
 */
export abstract class PidboxCommands {
  abstract call<T>(method: string, args?: Record<string, unknown>, opts?: CallOptions): Promise<ControlResult<T>>;

  ping(o?: CallOptions) { return this.call<{ ok: string }>('ping', {}, o); }
  active(o?: CallOptions) { return this.call<unknown[]>('active', {}, o); }
  reserved(o?: CallOptions) { return this.call<unknown[]>('reserved', {}, o); }
  scheduled(o?: CallOptions) { return this.call<unknown[]>('scheduled', {}, o); }
  stats(o?: CallOptions) { return this.call<Record<string, unknown>>('stats', {}, o); }
  activeQueues(o?: CallOptions) { return this.call<{ name: string }[]>('active_queues', {}, o); }
  cancelConsumer(queue: string, o?: CallOptions) { return this.call<{ ok?: string; error?: string }>('cancel_consumer', { queue }, o); }
  addConsumer(queue: string, o?: CallOptions) { return this.call<{ ok?: string; error?: string }>('add_consumer', { queue }, o); }

  /** cancel_consumer for every queue, concurrently, to the named nodes: which confirmed them all. */
  cancelConsumers(queues: string[], destination: string[]) { return this.forEveryQueue('cancel_consumer', queues, destination); }
  /** add_consumer for every queue, concurrently, to the named nodes: which confirmed them all. */
  addConsumers(queues: string[], destination: string[]) { return this.forEveryQueue('add_consumer', queues, destination); }

  private async forEveryQueue(method: 'cancel_consumer' | 'add_consumer', queues: string[], destination: string[]): Promise<{ confirmed: string[]; unconfirmed: string[] }> {
    if (destination.length === 0) return { confirmed: [], unconfirmed: [] };
    const replies = await Promise.all(queues.map((queue) => this.call(method, { queue }, { destination })));
    const confirmed = destination.filter((node) => replies.every((r) => node in r.replies));
    return { confirmed, unconfirmed: destination.filter((node) => !confirmed.includes(node)) };
  }
}

/**
 * Celery's remote control (kombu pidbox) over Redis. One client id (`oid`) per instance, as
 * kombu's Mailbox has: one reply queue, one blocking reader, replies routed to the waiting
 * call by `ticket`. The reply binding and lists are removed whenever no call is waiting.
 */
export class CeleryControl extends PidboxCommands {
  readonly oid = randomUUID();
  private readonly pending = new Map<string, PendingCall>();
  private reader: Redis | null = null;
  /** The reader a loop runs on: one loop per reader, and a closed reader's loop ends without a new one. */
  private readingOn: Redis | null = null;
  private clock = 1;

  constructor(private readonly redis: Redis, private readonly broker: Pick<BrokerConfig, 'db' | 'globalKeyprefix' | 'controlTimeoutMs' | 'connectTimeoutMs'>) {
    super();
  }

  private get replyLists(): string[] {
    return queueLists(replyQueue(this.oid), REPLY_STEPS).map((l) => prefixed(this.broker, l));
  }

  private get binding(): [string, string] {
    return [prefixed(this.broker, bindingSet(REPLY_EXCHANGE)), bindingMember(this.oid, '', replyQueue(this.oid))];
  }

  async call<T>(method: string, args: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<ControlResult<T>> {
    const timeoutMs = opts.timeoutMs ?? this.broker.controlTimeoutMs;
    const destination = opts.destination ? [...new Set(opts.destination)] : null;
    if (destination && destination.length === 0) return { replies: {}, missing: [], expected: 0 };
    const ticket = randomUUID();
    // pidbox.py Mailbox._publish: the body a worker's Node.dispatch reads.
    const body = {
      method, arguments: args, destination, pattern: null, matcher: null, ticket,
      reply_to: { exchange: REPLY_EXCHANGE, routing_key: this.oid },
    };
    // transport/virtual/base.py Channel.prepare_message + redis _put: the envelope on the wire.
    const envelope = {
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: { clock: this.clock++, expires: Date.now() / 1000 + timeoutMs / 1000 },
      properties: {
        delivery_mode: 2, delivery_info: { exchange: PIDBOX_EXCHANGE, routing_key: '' },
        priority: 0, body_encoding: 'base64', delivery_tag: randomUUID(),
      },
    };
    const call: PendingCall = { expected: destination?.length ?? 0, destination, replies: {}, done: () => undefined };
    let timer: NodeJS.Timeout | undefined;
    const finished = new Promise<void>((resolve, reject) => {
      call.done = (err) => {
        clearTimeout(timer);
        this.pending.delete(ticket);
        if (this.pending.size === 0) void this.cleanup();
        if (err) reject(err);
        else resolve();
      };
    });
    // Settled before it is awaited when close() or a reader error ends the call early: not unhandled.
    finished.catch(() => undefined);
    this.pending.set(ticket, call);
    try {
      await ensureReady(this.redis, this.broker.connectTimeoutMs);
      // Without this binding the worker's reply has no route and is dropped silently.
      await this.redis.sadd(...this.binding);
      await this.ensureReader();
      const listeners = await this.redis.publish(pidboxChannel(this.broker), JSON.stringify(envelope));
      if (!destination) call.expected = listeners;
      if (listeners === 0 || this.isComplete(call)) call.done();
      // The wait for replies starts once the command is out: a broker slower to reach than the
      // timeout is an error from ensureReady, never an empty answer with the command sent after it.
      else if (this.pending.has(ticket)) timer = setTimeout(() => call.done(), timeoutMs);
    } catch (e) {
      call.done(brokerError(e, `remote control ${method}`));
    }
    await finished;
    const missing = destination ? destination.filter((n) => !(n in call.replies)) : [];
    return { replies: call.replies as Record<string, T>, missing, expected: call.expected };
  }

  /** Closes the blocking reader; the command connection belongs to the caller. */
  close(): void {
    for (const c of [...this.pending.values()]) c.done(new BrokerUnavailableError('control client closed'));
    this.reader?.disconnect();
    this.reader = null;
  }

  private isComplete(call: PendingCall): boolean {
    if (call.destination) return call.destination.every((n) => n in call.replies);
    return call.expected > 0 && Object.keys(call.replies).length >= call.expected;
  }

  private async ensureReader(): Promise<void> {
    if (!this.reader) {
      this.reader = this.redis.duplicate();
      this.reader.on('error', () => undefined);
    }
    const reader = this.reader;
    await ensureReady(reader, this.broker.connectTimeoutMs);
    if (this.readingOn !== reader && this.reader === reader) void this.readLoop(reader);
  }

  /** BRPOP over the reply lists while any call waits; each reply goes to its ticket's call. */
  private async readLoop(reader: Redis): Promise<void> {
    this.readingOn = reader;
    try {
      while (this.pending.size > 0 && this.reader === reader) {
        // A short block keeps the loop responsive to calls finishing; replies arrive in ms.
        const got = await reader.brpop(...this.replyLists, 0.1);
        if (!got) continue;
        this.dispatch(got[1]);
        // Replies arrive in bursts (a broadcast answered by every worker): take the rest in one round trip.
        const more = (await reader.rpop(got[0], 100)) as string[] | null;
        for (const raw of more ?? []) this.dispatch(raw);
      }
    } catch (e) {
      // A reader close() ended fails nothing: its calls ended there, later calls read on a new reader.
      if (this.reader === reader) {
        const err = brokerError(e, 'reading remote-control replies');
        for (const c of [...this.pending.values()]) c.done(err);
      }
    } finally {
      if (this.readingOn === reader) this.readingOn = null;
    }
    // A call may have arrived between the last check and now.
    if (this.pending.size > 0 && this.reader === reader) void this.readLoop(reader);
  }

  private dispatch(raw: string): void {
    let ticket: string | undefined;
    let answer: Record<string, unknown> | undefined;
    try {
      const msg = JSON.parse(raw) as { body: string; headers?: { ticket?: string }; properties?: { body_encoding?: string } };
      ticket = msg.headers?.ticket;
      const text = msg.properties?.body_encoding === 'base64' ? Buffer.from(msg.body, 'base64').toString('utf8') : msg.body;
      answer = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return; // not a reply we can read: ignore rather than fail every waiting call
    }
    const call = ticket ? this.pending.get(ticket) : undefined;
    if (!call || !answer) return; // a reply to another (finished) call
    for (const [node, result] of Object.entries(answer)) {
      if (!call.destination || call.destination.includes(node)) call.replies[node] = result;
    }
    if (this.isComplete(call)) call.done();
  }

  private async cleanup(): Promise<void> {
    try {
      await this.redis.multi().srem(...this.binding).del(...this.replyLists).exec();
    } catch {
      /* broker gone: nothing to clean, and the binding holds no data */
    }
  }
}
