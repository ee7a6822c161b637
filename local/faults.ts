import { mulberry32 } from '../lib/simulate/trace';
import type { CeleryWorker } from './celery/worker';
import type { LocalStack } from './local-stack';
import type { RabbitMqServer } from './rabbitmq-server';
import type { BrokerStop } from './invariants';
import { waitFor } from './processes';
import type { LocalCycleOptions } from './run-cycle';

type Handler = (input: unknown) => Promise<unknown>;
export type Wrap = NonNullable<LocalCycleOptions['wrap']>;


/** What a fault may do to the running stack. */
export interface FaultEnv {
  stack: LocalStack;
  /** Task key → the broker fault that destroyed it (a wiped broker's messages, one popped across a restart). */
  lostToFault: Map<string, string>;
  /**
   * Node → the fault that killed it. What a killed worker destroyed is decided at the end of the run
   * from the fixture's `received` record (local/invariants.ts `destroyedByFaults`): the tasks it was the
   * last worker to take and that never completed nor wait in `unacked`.
   */
  killed: Map<string, string>;
  /** Task key → the fault whose worker stopped while the key left the queues (see `strike`). */
  popped: Map<string, string>;
  /**
   * Task key → the fault that destroyed it if it never started (a RabbitMQ queue deleted under its
   * workers: its ready messages, and those a worker held unstarted when the broker cancelled its consumer).
   */
  destroyedUnlessStarted: Map<string, string>;
  /** Task key → the queue the soak published it to. */
  queueOf: ReadonlyMap<string, string>;
  /** Every broker stop, when it began and when the broker answered again (local/invariants.ts `destroyedByFaults`). */
  brokerStops: BrokerStop[];
  /** Workers frozen by SIGSTOP, resumed (SIGCONT) before the stack stops. */
  frozen: Set<CeleryWorker>;
  /** Runs `fn` after `ms` unless the soak ends first. */
  later: (ms: number, fn: () => Promise<void> | void) => void;
  /** Extra executions started at the next tick, beside the scheduled one. */
  overlap: (n: number) => void;
  /** A handler wrapper for the executions started from now on; it calls `landed` when it fires. */
  arm: (wrap: Wrap) => void;
  /** A deferred fault fired: counted as landed, with what it did. */
  landed: (kind: string, detail: string) => void;
  log: (line: string) => void;
  cycleSeconds: number;
  /**
   * Runs `fn` with no task published meanwhile: what a broker fault destroys is read before it
   * strikes, and a wave published in between would be destroyed without being counted.
   */
  withoutPublishing: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * One kind of fault. `inject` gets a number in [0, 1) drawn from the seed, to choose its target
 * and size, and says what it did (null: nothing to act on now). New kinds (a step aborted
 * after its k-th port call) are one more entry in FAULT_KINDS.
 */
export interface FaultKind {
  name: string;
  /** One line for the report. */
  title: string;
  inject: (env: FaultEnv, pick: number) => Promise<string | null>;
  /** It lands later (a step crash waits for an execution to reach the step) and says so through `env.landed`. */
  deferred?: boolean;
}

/** The pick-th of the live workers, ordered by task id so the choice depends only on the seed and the fleet. */
function pickWorker(env: FaultEnv, pick: number, except: Set<CeleryWorker> = env.frozen): { taskId: string; worker: CeleryWorker } | null {
  // Only workers ECS still wants running: one already being stopped is not a fault worth injecting.
  const wanted = new Set(Object.keys(env.stack.config.services).flatMap((s) => env.stack.ecs.liveTasks('local', s).map((t) => t.taskId)));
  const live = [...env.stack.workers.entries()].filter(([id, w]) => wanted.has(id) && !w.exited && !except.has(w)).sort(([a], [b]) => a.localeCompare(b));
  if (live.length === 0) return null;
  const [taskId, worker] = live[Math.floor(pick * live.length)];
  return { taskId, worker };
}

/**
 * Task keys in the broker's queue lists: messages no worker has taken yet. Empty on RabbitMQ, where
 * nothing falls between a queue and a worker: a message delivered and not acknowledged goes back to
 * its queue when the worker's channel closes, so a stopped worker leaves no message in neither.
 */
async function queuedKeys(stack: LocalStack): Promise<Set<string>> {
  if (stack.rabbit) return new Set();
  const c = stack.client;
  const lists: string[] = [];
  for (const k of await c.keys('*')) if ((await c.type(k)) === 'list') lists.push(k);
  const m = c.multi();
  for (const k of lists) m.lrange(k, 0, -1);
  const res = (await m.exec()) ?? [];
  return taskKeysIn(res.flatMap(([, v]) => (v as string[]) ?? []));
}

/**
 * Sends SIGKILL or SIGSTOP to a worker and its pool, waits until it has landed (the main process
 * exited; every process stopped), and returns the task keys that left the broker's queues in
 * between. kombu takes a message with BRPOP and records it in `unacked` with a second command
 * (kombu/transport/redis.py `Channel._brpop_read`, then `QoS.append`): a worker stopped between
 * the two holds the only copy, found nowhere afterwards. A live worker that took one of these keys
 * meanwhile records it as received, so only a key no worker ever received is the fault's.
 */
async function strike(env: FaultEnv, worker: CeleryWorker, signal: 'SIGKILL' | 'SIGSTOP'): Promise<Set<string>> {
  // A broker down (another fault) leaves nothing to compare: the strike still lands.
  const before = await queuedKeys(env.stack).catch(() => new Set<string>());
  worker.signal(signal);
  if (signal === 'SIGKILL') await worker.whenExited();
  else await waitFor(`${worker.node} to be stopped`, () => worker.isFrozen(), 5000, 5);
  const after = await queuedKeys(env.stack).catch(() => new Set<string>());
  return new Set([...before].filter((k) => !after.has(k)));
}

/**
 * SIGKILL to a worker and its pool (with `popped`: a frozen worker, whose freeze was the strike).
 * The fault destroyed what the worker had taken and acknowledged (acks on start), decided at the
 * end of the run; read now, once it is dead, the fixture's records say what it had started and
 * taken: a task that started after the kill cannot be among them.
 */
async function killWorker(env: FaultEnv, worker: CeleryWorker, fault: string, popped?: Set<string>): Promise<string> {
  const inBracket = popped ?? (await strike(env, worker, 'SIGKILL'));
  if (popped) {
    worker.signal('SIGKILL');
    await worker.whenExited();
  }
  env.killed.set(worker.node, fault);
  for (const k of inBracket) if (!env.popped.has(k)) env.popped.set(k, fault);
  const [running, received, done] = await Promise.all([env.stack.results.hgetall('fixture:running'), env.stack.results.hgetall('fixture:received'), env.stack.completed()]);
  const on = (h: Record<string, string>) => Object.entries(h).filter(([k, host]) => host === worker.node && !(done[k] >= 1)).map(([k]) => k);
  const started = on(running);
  const taken = on(received).filter((k) => !started.includes(k));
  return [started.length ? `running ${started.join(', ')}` : '', taken.length ? `holding ${taken.join(', ')} not started` : ''].filter(Boolean).join('; ');
}

/** The soak's task keys: `w<wave>-<queue>-<i>`. */
export const SOAK_KEYS = /\b(w\d+-\w+-\d+)\b/g;

/** Task keys (the soak's, or `pattern`'s first group) in raw Celery messages, whose bodies are base64 JSON. */
export function taskKeysIn(raw: string[], pattern: RegExp = SOAK_KEYS): Set<string> {
  const keys = new Set<string>();
  for (const r of raw) {
    const text = [r, ...[...r.matchAll(/"body": ?"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'))].join('\n');
    for (const m of text.matchAll(pattern)) keys.add(m[1]);
  }
  return keys;
}

/** SIGSTOP to a worker and its pool; after `ms`, unless the soak ended first, `then` resumes or kills it. */
async function freeze(env: FaultEnv, pick: number, ms: number, ending: string, then: (w: CeleryWorker, popped: Set<string>) => Promise<void>): Promise<string | null> {
  const t = pickWorker(env, pick);
  if (!t) return null;
  const popped = await strike(env, t.worker, 'SIGSTOP');
  env.frozen.add(t.worker);
  env.later(ms, async () => {
    if (env.frozen.delete(t.worker)) await then(t.worker, popped);
  });
  return `SIGSTOP ${t.worker.node}, ${ending} after ${Math.round(ms / 1000)} s`;
}

/** Every task key in the broker's queue lists and kombu's `unacked`: what a broker wiped of its data destroys. Redis only: RabbitMQ lists no message bodies. */
export async function tasksInBroker(stack: LocalStack, pattern: RegExp = SOAK_KEYS): Promise<string[]> {
  if (stack.rabbit) throw new Error('tasksInBroker reads Redis lists: RabbitMQ lists no message bodies');
  const c = stack.client;
  const lists: string[] = [];
  for (const k of await c.keys('*')) if ((await c.type(k)) === 'list') lists.push(k);
  // One transaction: a message a worker moves from a list to `unacked` meanwhile is seen in one or the other.
  const m = c.multi().hvals('unacked');
  for (const k of lists) m.lrange(k, 0, -1);
  const res = (await m.exec()) ?? [];
  return [...taskKeysIn(res.flatMap(([, v]) => (v as string[]) ?? []), pattern)];
}

/** A state crashes once in the next execution that reaches it: before its work (the Lambda died) or after it (the result was lost). */
function crashStep(kind: string, when: 'before' | 'after'): FaultKind['inject'] {
  const STATES = ['MeasureQueues', 'ComputePlan', 'CheckCooldown', 'ScaleUp', 'DrainWorkers', 'CheckDrain', 'RestoreConsumers', 'ScaleDown', 'ReleaseProtection'];
  return async (env, pick) => {
    const target = STATES[Math.floor(pick * STATES.length)];
    let landed = false;
    env.arm((state: string, h: Handler): Handler => async (input) => {
      if (state !== target || landed) return h(input);
      landed = true;
      env.landed(kind, `${target} crashed ${when} its work`);
      // States.Timeout is what Step Functions reports for a Lambda that died or timed out; the Retry covers it.
      const crash = Object.assign(new Error(`injected: ${target} crashed ${when} its work`), { name: 'States.Timeout' });
      if (when === 'before') throw crash;
      await h(input);
      throw crash;
    });
    return `${target} will crash ${when} its work in the next execution that reaches it`;
  };
}

const WORKER_FAULTS: FaultKind[] = [
  {
    name: 'worker-sigkill',
    title: 'a worker SIGKILLed (with its pool)',
    inject: async (env, pick) => {
      const t = pickWorker(env, pick);
      if (!t) return null;
      const held = await killWorker(env, t.worker, 'worker-sigkill');
      return `SIGKILL ${t.worker.node}${held ? `: ${held}` : ''}`;
    },
  },
  {
    name: 'worker-sigstop-resumed',
    title: 'a worker frozen (SIGSTOP), resumed after 2–12 cycles',
    inject: (env, pick) => freeze(env, pick, (2 + Math.floor(pick * 11)) * env.cycleSeconds * 1000, 'resumed', async (w) => {
      w.signal('SIGCONT');
      env.log(`  fault ends: SIGCONT ${w.node}`);
    }),
  },
  {
    name: 'worker-sigstop-forever',
    title: 'a worker frozen for good (SIGSTOP), killed 30 s later by its ECS health check',
    // A frozen worker never answers, which holds every scale-down: a container health check is what ends it.
    inject: (env, pick) => freeze(env, pick, 30_000, 'killed by its health check', async (w, popped) => {
      const held = await killWorker(env, w, 'worker-sigstop-forever', popped);
      env.log(`  fault: health check kills frozen ${w.node}${held ? ` (${held})` : ''}`);
    }),
  },
];

/** Faults of the Redis broker. */
const REDIS_FAULTS: FaultKind[] = [
  {
    name: 'redis-restart',
    title: 'Redis stopped and restarted with its data (1–4 s down)',
    inject: async (env, pick) => {
      const downMs = 1000 + Math.floor(pick * 3000);
      // kombu BRPOPs a message, then records it in `unacked` with a second command: one popped
      // just before the stop is in neither afterwards, and no worker has it (docs/celery-facts.md).
      const before = await env.withoutPublishing(async () => {
        const inBroker = new Set(await tasksInBroker(env.stack));
        const stop: BrokerStop = { fault: 'redis-restart', at: Date.now(), upAt: Number.POSITIVE_INFINITY, wiped: false };
        env.brokerStops.push(stop);
        await env.stack.redis.stop();
        return { inBroker, stop };
      });
      env.later(downMs, async () => {
        await env.stack.redis.restart();
        before.stop.upAt = Date.now();
        const after = new Set(await tasksInBroker(env.stack));
        for (const k of before.inBroker) if (!after.has(k) && !env.lostToFault.has(k)) env.lostToFault.set(k, 'redis-restart');
      });
      return `redis-server down for ${downMs} ms, data kept`;
    },
  },
  {
    name: 'redis-wiped',
    title: 'Redis restarted without its data (a failover that lost writes, a replaced node): at once, or in the middle of the next drain',
    deferred: true,
    inject: async (env, pick) => {
      const wipe = async (when: string) => env.withoutPublishing(async () => {
        const destroyed = await tasksInBroker(env.stack);
        for (const k of destroyed) if (!env.lostToFault.has(k)) env.lostToFault.set(k, 'redis-wiped');
        const stop: BrokerStop = { fault: 'redis-wiped', at: Date.now(), upAt: Number.POSITIVE_INFINITY, wiped: true };
        env.brokerStops.push(stop);
        await env.stack.redis.restartWithoutData();
        stop.upAt = Date.now();
        env.landed('redis-wiped', `restarted empty ${when}: ${destroyed.length} queued or prefetched task(s), drain records, locks and history gone`);
      });
      if (pick < 0.5) {
        await wipe('at once');
        return 'redis-server restarted empty';
      }
      // During a drain is the known gap: cancelled workers, and no record of them left.
      let fired = false;
      env.arm((state: string, h: Handler): Handler => async (input) => {
        if (state === 'CheckDrain' && !fired) {
          fired = true;
          await wipe('during a drain (before CheckDrain)');
        }
        return h(input);
      });
      return 'redis-server will restart empty when the next drain is checked';
    },
  },
];

/** Faults of the RabbitMQ broker (on the stack's own node: local/rabbitmq-server.ts). */
const RABBITMQ_FAULTS: FaultKind[] = [
  {
    name: 'rabbitmq-restart',
    title: 'the RabbitMQ node stopped cleanly and started again on its data (down 1–4 s beyond its shutdown and boot)',
    inject: async (env, pick) => {
      const rabbit = rabbitOf(env);
      if (!rabbit.isUp) return null;
      const downMs = 1000 + Math.floor(pick * 3000);
      // Durable queues keep their persistent messages, and a worker's unacknowledged ones go back to
      // their queue when its connection drops: a restart destroys no task, so none is excused.
      await env.withoutPublishing(() => rabbit.shutdown());
      env.later(downMs, () => rabbit.startAgain());
      return `RabbitMQ node stopped, started again ${downMs} ms later`;
    },
  },
  {
    name: 'rabbitmq-connections-closed',
    title: "connections closed by the broker: the autoscaler's, the workers' (and the app's), or every one",
    inject: async (env, pick) => {
      const rabbit = rabbitOf(env);
      if (!rabbit.isUp) return null;
      const autoscaler = decodeURIComponent(new URL(env.stack.brokerUrl).username);
      const reason = 'soak fault: connection closed by the broker';
      if (pick < 1 / 3) {
        await rabbit.ctl('close_all_user_connections', autoscaler, reason);
        return `closed the connections of ${autoscaler} (the autoscaler)`;
      }
      // The workers connect as guest, as the soak's publisher does: no publish is cut in half.
      return env.withoutPublishing(async () => {
        if (pick < 2 / 3) {
          await rabbit.ctl('close_all_user_connections', 'guest', reason);
          return "closed the workers' and the app's connections";
        }
        await rabbit.ctl('close_all_connections', '--global', reason);
        return 'closed every connection';
      });
    },
  },
  {
    name: 'rabbitmq-queue-deleted',
    title: 'a task queue deleted under its workers (`rabbitmqctl delete_queue`): its waiting messages go with it',
    inject: async (env, pick) => {
      const rabbit = rabbitOf(env);
      if (!rabbit.isUp) return null;
      const queues = Object.values(env.stack.config.services).flatMap((c) => c.queues).sort();
      const queue = queues[Math.floor(pick * queues.length)];
      return env.withoutPublishing(async () => {
        // Destroyed: the queue's ready messages, and those a worker held unstarted when the broker
        // cancelled its consumer (it reconnects and drops them, docs/celery-facts.md). What had
        // started runs on. Read before the delete, so a superset: one that starts after is not excused.
        const [running, done] = await Promise.all([env.stack.results.hgetall('fixture:running'), env.stack.completed()]);
        const unstarted = [...env.queueOf].filter(([k, q]) => q === queue && !(k in running) && !(done[k] >= 1)).map(([k]) => k);
        const out = await rabbit.ctl('delete_queue', queue);
        for (const k of unstarted) if (!env.destroyedUnlessStarted.has(k)) env.destroyedUnlessStarted.set(k, 'rabbitmq-queue-deleted');
        const ready = /with (\d+) ready messages/.exec(out)?.[1] ?? '?';
        return `deleted ${queue} with ${ready} ready message(s); ${unstarted.length} task(s) of it had not started`;
      });
    },
  },
];

function rabbitOf(env: FaultEnv): RabbitMqServer {
  if (!env.stack.rabbit) throw new Error('a RabbitMQ fault needs the stack on RabbitMQ');
  return env.stack.rabbit;
}

const OTHER_FAULTS: FaultKind[] = [
  {
    name: 'ecs-throttle',
    title: 'ECS throttling (2–8 calls refused)',
    inject: async (env, pick) => {
      const count = 2 + Math.floor(pick * 7);
      env.stack.ecs.injectFaults({ kind: 'throttle', count });
      return `next ${count} ECS calls throttled`;
    },
  },
  {
    name: 'ecs-5xx',
    title: 'ECS 5xx errors (1–5 calls)',
    inject: async (env, pick) => {
      const count = 1 + Math.floor(pick * 5);
      env.stack.ecs.injectFaults({ kind: '5xx', count });
      return `next ${count} ECS calls answer 500`;
    },
  },
  {
    name: 'ecs-task-will-not-stop',
    title: 'a task that will not stop (DEACTIVATING for 10–30 s)',
    inject: async (env, pick) => {
      const ms = 10_000 + Math.floor(pick * 20_000);
      env.stack.ecs.holdNextStops(1, ms);
      return `the next task ECS stops hangs ${Math.round(ms / 1000)} s before stopping`;
    },
  },
  { name: 'step-crash-before', title: 'a step that crashes before its work (the Lambda died)', inject: crashStep('step-crash-before', 'before'), deferred: true },
  { name: 'step-crash-after', title: 'a step that crashes after its work (result lost, Step Functions runs it again)', inject: crashStep('step-crash-after', 'after'), deferred: true },
  {
    name: 'overlapping-executions',
    title: 'overlapping executions (2–3 more at one tick)',
    inject: async (env, pick) => {
      const n = 2 + Math.floor(pick * 2);
      env.overlap(n);
      return `${n} more executions at the next tick`;
    },
  },
  {
    name: 'drain-timeout',
    title: 'long tasks (2× the drain timeout) on every worker, so a drain times out',
    inject: async (env, pick) => {
      const svc = Object.keys(env.stack.config.services).sort()[Math.floor(pick * Object.keys(env.stack.config.services).length)];
      const cfg = env.stack.config.services[svc];
      const count = Math.max(1, env.stack.liveWorkers(svc).length);
      const tag = `w${Date.now() % 100000}-long${svc}-`;
      await env.stack.publishRecorded(cfg.queues[0], Array.from({ length: count }, (_, i) => `${tag}${i}`), cfg.drainTimeoutSeconds * 2);
      // The fault lasts while its tasks run: the return to the minimum fleet is timed from their
      // end, not from their publication (they are not the soak's waves, whose ends it tracks).
      env.later(cfg.drainTimeoutSeconds * 2 * 1000, () => undefined);
      return `${count} task(s) of ${cfg.drainTimeoutSeconds * 2} s on ${cfg.queues[0]}`;
    },
  },
];

/** Every fault kind of a soak on Redis, in the order seeds were drawn with (a seed replays its schedule). */
export const FAULT_KINDS: FaultKind[] = [...WORKER_FAULTS, ...REDIS_FAULTS, ...OTHER_FAULTS];
/** On RabbitMQ: the same, the Redis faults replaced by RabbitMQ's own. */
export const RABBITMQ_FAULT_KINDS: FaultKind[] = [...WORKER_FAULTS, ...RABBITMQ_FAULTS, ...OTHER_FAULTS];
export const faultKindsFor = (broker: 'redis' | 'rabbitmq'): FaultKind[] => (broker === 'rabbitmq' ? RABBITMQ_FAULT_KINDS : FAULT_KINDS);


/** Fisher–Yates with the seeded generator. */
export function shuffled<T>(xs: T[], r: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface ScheduledFault {
  /** Seconds after the start. */
  at: number;
  kind: string;
  pick: number;
}

/**
 * The fault schedule of a seed: over the load phase, a fault every `meanGapSeconds` on average,
 * the kinds in a seeded order that uses each once before any repeats.
 */
export function faultSchedule(seed: number, loadSeconds: number, meanGapSeconds: number, kinds: FaultKind[] = FAULT_KINDS): ScheduledFault[] {
  const r = mulberry32(seed ^ 0x5eed);
  const out: ScheduledFault[] = [];
  let deck: string[] = [];
  for (let at = 5 + r() * meanGapSeconds; at < loadSeconds; at += meanGapSeconds * (0.5 + r())) {
    if (deck.length === 0) deck = shuffled(kinds.map((k) => k.name), r);
    out.push({ at: Math.round(at * 10) / 10, kind: deck.pop() as string, pick: r() });
  }
  return out;
}
