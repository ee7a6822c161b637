import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import Redis from 'ioredis';
import { bindingSet, pidboxChannel, SEP } from '../lib/celery/keys';

/**
 * N emulated Celery 5 workers behind one Redis subscription: they read the pidbox broadcast
 * (kombu/pidbox.py Node.handle_message) and answer each command a real worker would answer,
 * byte for byte, as kombu publishes it (Mailbox._publish_reply over kombu/transport/redis.py).
 * What the autoscaler reads at 1,000 workers can so be run without 1,000 Python processes.
 *
 * Checked against real workers on Celery 5.2.6 and 5.6.3 by test/integration/pidbox-responder.test.ts.
 */

/** A task as celery/worker/request.py Request.info() reports it. */
export interface EmulatedTask {
  id: string;
  name: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** The queue it came from (delivery_info.routing_key). */
  queue: string;
  /** Epoch seconds it started (active tasks only). */
  timeStart?: number;
}

export interface EmulatedWorker {
  node: string;
  queues: string[];
  active?: EmulatedTask[];
  reserved?: EmulatedTask[];
  /** ETA tasks (celery/worker/control.py scheduled: eta ISO string, priority, request). */
  scheduled?: { eta: string; priority: number; task: EmulatedTask }[];
  /** stats → total: tasks accepted per task name. */
  totals?: Record<string, number>;
  pool?: 'solo' | 'prefork';
  concurrency?: number;
  /** stats → prefetch_count (concurrency × worker_prefetch_multiplier). */
  prefetchCount?: number;
  /** Still listening but never answering these commands (`*`: any), like a frozen worker. */
  silentTo?: string[];
  /** Answers this long after the command, like a solo worker that finishes its task first. */
  replyDelayMs?: number;
  /** A result to answer instead, by command: another shape than this Celery's, or a broken worker's. */
  results?: Record<string, unknown>;
}

export type CeleryFlavor = '5.2' | '5.6';

export interface ResponderOptions {
  brokerUrl: string;
  workers: EmulatedWorker[];
  /** Which Celery's stats and delivery_info to reproduce (5.2.6 Debian, or 5.6.3). */
  flavor?: CeleryFlavor;
  globalKeyprefix?: string;
  /** broker_transport_options the workers were configured with (stats → broker.transport_options). */
  transportOptions?: Record<string, unknown>;
  /**
   * One subscribed connection per worker, as real workers have (default): PUBLISH then counts
   * N listeners, which is how a broadcast knows how many answers to wait for. The extra ones
   * are bare sockets that only SUBSCRIBE; every command is read and answered on one connection.
   */
  listenerPerWorker?: boolean;
}

/** A Python float: json.dumps writes `120.0` where JavaScript would write `120`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Already serialized JSON, spliced in as is (a worker's unchanging parts are serialized once). */
class Raw {
  constructor(readonly text: string) {}
}

/** A string as Python's json.dumps writes it: ensure_ascii, every character outside space..~ escaped. */
const pyString = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Python's json.dumps with its default separators `, ` and `: ` (what kombu/utils/json.py emits). */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Raw) return v.text;
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyString(k)}: ${pyJson(x)}`).join(', ')}}`;
}

/** kombu/entity.py Queue.as_dict(recurse=True) of a queue Celery declared for `-Q name` (celery/app/amqp.py). */
const queueDict = (name: string): Record<string, unknown> => ({
  name,
  exchange: { name, type: 'direct', arguments: null, durable: true, passive: false, auto_delete: false, delivery_mode: null, no_declare: false },
  routing_key: name, queue_arguments: null, binding_arguments: null, consumer_arguments: null, durable: true, exclusive: false,
  auto_delete: false, no_ack: false, alias: null, bindings: [], no_declare: null, expires: null, message_ttl: null,
  max_length: null, max_length_bytes: null, max_priority: null,
});

interface Live {
  spec: EmulatedWorker;
  pid: number;
  processes: number[];
  queues: string[];
  clock: number;
  started: number;
  /** Serialized once: `total`, `active`, `reserved` and the queue list (until a consumer change). */
  totalJson: Raw;
  queuesJson: Raw | null;
  statsTail?: string;
}

/** One message the worker side replies with; counted for the benchmark. */
export interface ResponderStats {
  commands: number;
  replies: number;
  replyBytes: number;
}

export class PidboxResponder {
  private readonly live = new Map<string, Live>();
  private readonly sockets: Socket[] = [];
  private readonly late = new Set<NodeJS.Timeout>();
  readonly stats: ResponderStats = { commands: 0, replies: 0, replyBytes: 0 };
  private nextPid = 40_000;

  private constructor(private readonly o: ResponderOptions, private readonly sub: Redis, private readonly pub: Redis) {
    for (const w of o.workers) this.addWorker(w);
  }

  static async start(o: ResponderOptions): Promise<PidboxResponder> {
    const sub = new Redis(o.brokerUrl, { maxRetriesPerRequest: 1 });
    const pub = new Redis(o.brokerUrl, { maxRetriesPerRequest: 1 });
    const r = new PidboxResponder(o, sub, pub);
    const db = Number(new URL(o.brokerUrl).pathname.slice(1) || 0);
    const channel = pidboxChannel({ db, globalKeyprefix: o.globalKeyprefix ?? '' });
    sub.on('messageBuffer', (_ch: Buffer, msg: Buffer) => void r.onCommand(msg.toString('utf8')).catch(() => undefined));
    await sub.subscribe(channel);
    if (o.listenerPerWorker ?? true) await r.listeners(channel, o.workers.length - 1);
    return r;
  }

  private addWorker(w: EmulatedWorker): void {
    const concurrency = w.concurrency ?? 1;
    const pid = this.nextPid++;
    const processes = w.pool === 'prefork' ? Array.from({ length: concurrency }, () => this.nextPid++) : [pid];
    this.live.set(w.node, {
      spec: w, pid, processes, queues: [...w.queues], clock: 1, started: Date.now(),
      totalJson: new Raw(pyJson(w.totals ?? {})), queuesJson: null,
    });
  }

  /** Bare subscribers so PUBLISH counts one listener per emulated worker. */
  private async listeners(channel: string, n: number): Promise<void> {
    const u = new URL(this.o.brokerUrl);
    const auth = u.password ? (u.username ? ['AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password)] : ['AUTH', decodeURIComponent(u.password)]) : null;
    const cmd = (parts: string[]) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    for (let i = 0; i < n; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => new Promise<void>((resolve, reject) => {
        const s = connect(Number(u.port || 6379), u.hostname);
        this.sockets.push(s);
        s.once('error', reject);
        s.on('data', (d) => { if (d.includes('subscribe')) resolve(); });
        s.once('connect', () => s.write((auth ? cmd(auth) : '') + cmd(['SUBSCRIBE', channel])));
      })));
    }
  }

  /** kombu/pidbox.py Node.handle_message → dispatch → reply, for every emulated node addressed. */
  private async onCommand(raw: string): Promise<void> {
    const msg = JSON.parse(raw) as { body: string; headers?: { clock?: number }; properties?: { body_encoding?: string } };
    const body = JSON.parse(msg.properties?.body_encoding === 'base64' ? Buffer.from(msg.body, 'base64').toString('utf8') : msg.body) as {
      method: string; arguments?: Record<string, unknown>; destination?: string[] | null; ticket?: string; reply_to?: { exchange: string; routing_key: string };
    };
    this.stats.commands += 1;
    const targets = body.destination?.length ? body.destination.map((n) => this.live.get(n)).filter((w): w is Live => !!w) : [...this.live.values()];
    const incoming = Number(msg.headers?.clock ?? 0);
    const replies: string[] = [];
    const late = new Map<number, string[]>();
    for (const w of targets) {
      if (w.spec.silentTo?.some((m) => m === '*' || m === body.method)) continue;
      w.clock = Math.max(w.clock, incoming) + 1; // kombu/clocks.py LamportClock.adjust
      const result = this.handle(w, body.method, body.arguments ?? {});
      if (!body.reply_to) continue;
      const reply = this.envelope(w, `{${pyString(w.spec.node)}: ${result}}`, body.reply_to, body.ticket ?? '');
      const delay = w.spec.replyDelayMs ?? 0;
      if (delay > 0) late.set(delay, [...(late.get(delay) ?? []), reply]);
      else replies.push(reply);
    }
    if (!body.reply_to) return;
    const replyTo = body.reply_to;
    for (const [delay, r] of late) {
      const t = setTimeout(() => {
        this.late.delete(t);
        void this.deliver(replyTo, r).catch(() => undefined);
      }, delay);
      this.late.add(t);
    }
    await this.deliver(replyTo, replies);
  }

  private async deliver(replyTo: { exchange: string; routing_key: string }, replies: string[]): Promise<void> {
    if (replies.length === 0) return;
    // kombu/transport/redis.py: a direct exchange's table is its binding set; no binding, no delivery.
    const prefix = this.o.globalKeyprefix ?? '';
    const members = await this.pub.smembers(`${prefix}${bindingSet(replyTo.exchange)}`);
    const routing = replyTo.routing_key;
    const lists = members.map((m) => m.split(SEP)).filter(([rk]) => rk === routing).map(([, , queue]) => `${prefix}${queue}`);
    if (lists.length === 0) return;
    const p = this.pub.pipeline();
    for (const list of lists) for (const r of replies) p.lpush(list, r);
    await p.exec();
    this.stats.replies += replies.length;
    this.stats.replyBytes += replies.reduce((a, r) => a + Buffer.byteLength(r), 0);
  }

  /**
   * kombu/transport/virtual/base.py Channel.prepare_message, as Mailbox._publish_reply sends it
   * (pyJson of the same object; written out because the base64 body, the bulk of a reply, needs no escaping).
   */
  private envelope(w: Live, bodyJson: string, replyTo: { exchange: string; routing_key: string }, ticket: string): string {
    w.clock += 1; // Mailbox._publish_reply: clock.forward()
    const b64 = Buffer.from(bodyJson, 'utf8').toString('base64');
    return `{"body": "${b64}", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"ticket": ${pyString(ticket)}, "clock": ${w.clock}}, `
      + `"properties": {"delivery_mode": 1, "delivery_info": {"exchange": ${pyString(replyTo.exchange)}, "routing_key": ${pyString(replyTo.routing_key)}}, "priority": 0, "body_encoding": "base64", "delivery_tag": "${randomUUID()}"}}`;
  }

  /** celery/worker/control.py: each command's result, serialized. */
  private handle(w: Live, method: string, args: Record<string, unknown>): string {
    if (w.spec.results && method in w.spec.results) return pyJson(w.spec.results[method]);
    switch (method) {
      case 'ping': return pyJson({ ok: 'pong' });
      case 'active': return pyJson((w.spec.active ?? []).map((t) => this.info(w, t, true)));
      case 'reserved': return pyJson((w.spec.reserved ?? []).map((t) => this.info(w, t, false)));
      case 'scheduled': return pyJson((w.spec.scheduled ?? []).map((s) => ({ eta: s.eta, priority: s.priority, request: this.info(w, s.task, false) })));
      case 'stats': return this.statsOf(w);
      case 'active_queues': return (w.queuesJson ??= new Raw(pyJson(w.queues.map(queueDict)))).text;
      case 'add_consumer': {
        const q = String(args.queue);
        // Applied on the worker's next loop turn (consumer.call_soon); confirmed at once either way.
        if (!w.queues.includes(q)) setImmediate(() => { w.queues.push(q); w.queuesJson = null; });
        return pyJson({ ok: `add consumer ${q}` });
      }
      case 'cancel_consumer': {
        const q = String(args.queue);
        setImmediate(() => { w.queues = w.queues.filter((x) => x !== q); w.queuesJson = null; });
        return pyJson({ ok: `no longer consuming from ${q}` });
      }
      default: return pyJson({ error: `KeyError('${method}')` });
    }
  }

  private info(w: Live, t: EmulatedTask, active: boolean): Record<string, unknown> {
    return {
      id: t.id, name: t.name, args: t.args ?? [], kwargs: t.kwargs ?? {}, type: t.name, hostname: w.spec.node,
      time_start: active ? new PyFloat(t.timeStart ?? Date.now() / 1000) : null, acknowledged: active,
      // kombu 5.2's Redis transport leaves `redelivered` unset (null); 5.6 reports false.
      delivery_info: { exchange: '', routing_key: t.queue, priority: 0, redelivered: this.o.flavor === '5.6' ? false : null },
      worker_pid: active ? w.processes[0] : null,
    };
  }

  /** celery/worker/control.py stats → Consumer.info / WorkController.stats, field order kept. */
  private statsOf(w: Live): string {
    // Only the clock and the uptime change between two calls: the rest is serialized once.
    const uptime = Math.floor((Date.now() - w.started) / 1000);
    w.statsTail ??= this.statsTail(w);
    return `{"total": ${w.totalJson.text}, "pid": ${w.pid}, "clock": "${w.clock}", "uptime": ${uptime}, ${w.statsTail}`;
  }

  private statsTail(w: Live): string {
    const v56 = this.o.flavor === '5.6';
    const c = w.spec.concurrency ?? 1;
    const accepted = Object.values(w.spec.totals ?? {}).reduce((a, b) => a + b, 0);
    const pool: Record<string, unknown> = w.spec.pool === 'prefork'
      ? {
        ...(v56 ? { implementation: 'celery.concurrency.prefork:TaskPool' } : {}),
        'max-concurrency': c, processes: w.processes, 'max-tasks-per-child': 'N/A', 'put-guarded-by-semaphore': false, timeouts: [0, 0],
        // celery/concurrency/asynpool.py human_write_stats (the fair strategy spreads writes evenly).
        writes: writesOf(accepted, c),
      }
      : { ...(v56 ? { implementation: 'celery.concurrency.solo:TaskPool' } : {}), 'max-concurrency': c, processes: w.processes, 'max-tasks-per-child': null, 'put-guarded-by-semaphore': true, timeouts: [] };
    const u = new URL(this.o.brokerUrl);
    const broker = {
      hostname: u.hostname, userid: u.username ? decodeURIComponent(u.username) : null, virtual_host: u.pathname.slice(1) || '0', port: Number(u.port || 6379),
      insist: false, ssl: false, transport: 'redis', connect_timeout: 4, transport_options: this.o.transportOptions ?? {}, login_method: null, uri_prefix: null,
      heartbeat: new PyFloat(120), failover_strategy: 'round-robin', alternates: [], ...(v56 ? { credential_provider: null } : {}),
    };
    return pyJson({
      pool, broker, prefetch_count: w.spec.prefetchCount ?? c,
      rusage: { utime: new PyFloat(0.25), stime: new PyFloat(0.05), maxrss: 45000, ixrss: 0, idrss: 0, isrss: 0, minflt: 9000, majflt: 0, nswap: 0, inblock: 0, oublock: 0, msgsnd: 0, msgrcv: 0, nsignals: 0, nvcsw: 100, nivcsw: 10 },
    }).slice(1);
  }

  async stop(): Promise<void> {
    for (const t of this.late) clearTimeout(t);
    this.late.clear();
    for (const s of this.sockets) s.destroy();
    this.sub.disconnect();
    this.pub.disconnect();
  }
}

function writesOf(total: number, processes: number): Record<string, unknown> {
  const vals = Array.from({ length: processes }, (_, i) => Math.floor(total / processes) + (i < total % processes ? 1 : 0));
  const per = (v: number) => (v ? v / total : 0).toFixed(2);
  return {
    total, avg: per(total ? total / processes : 0), all: vals.map(per).join(', '), raw: vals.map(String).join(', '), strategy: 'fair',
    inqueues: { total: processes, active: 0 },
  };
}
