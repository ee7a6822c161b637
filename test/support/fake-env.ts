import type { Inspection, NodeSnapshot } from '../../lib/celery/inspect';
import { configSchema, serviceSchema, type AutoscalerConfig, type ServiceConfig } from '../../lib/config';
import type { ChangeItem, CooldownOutput, Cycle, Drain, DrainNode } from '../../lib/cycle/payloads';
import type { EcsPort, Env, HistoryPort, Held, LeasePort, WorkersPort } from '../../lib/cycle/ports';
import type { EcsTask } from '../../lib/ecs';
import type { EcsObservation } from '../../lib/observation';
import { MemoryStore } from '../../lib/simulate/memory-store';

/**
 * In-memory ports for the cycle's steps: a MemoryStore for the lease and history, and recording
 * fakes for the workers and ECS that answer from a plain `World`. Every port call (store ones
 * too) is recorded in order, so a test asserts what a step did, not only what it returned.
 */

export const T0 = 1_700_000_000_000;
export const EXEC = 'exec-1';
export const OTHER = 'exec-other';
export const SERVICE = 'web';
export const QUEUES = ['q1', 'q2'];

export const serviceConfig = (over: Partial<ServiceConfig> = {}): ServiceConfig =>
  serviceSchema.parse({ cluster: 'c', service: 'web-svc', queues: QUEUES, maxWorkers: 10, tasksPerWorkerPerMinute: 60, targetMinutes: 5, ...over });

export const configOf = (services: Record<string, ServiceConfig> = { [SERVICE]: serviceConfig() }): AutoscalerConfig =>
  configSchema.parse({ broker: { url: 'redis://localhost:6379' }, services });

/** Task `i`'s id, long enough for taskForNode to match it inside a node name, and none inside another (up to 9999). */
export const taskId = (i: number): string => `task${String(i).padStart(4, '0')}`;
export const arn = (i: number): string => `arn:task/${taskId(i)}`;
/** Node `i` runs in task `i`. */
export const nodeName = (i: number): string => `celery@${taskId(i)}`;

export const task = (i: number, lastStatus = 'RUNNING', over: Partial<EcsTask> = {}): EcsTask => ({
  taskId: taskId(i), taskArn: arn(i), lastStatus, desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING', privateIp: null, startedAt: T0 - i * 1000, ...over,
});

export const node = (i: number | string, held: Partial<Held> = {}, queues: string[] = QUEUES): NodeSnapshot => ({
  node: typeof i === 'number' ? nodeName(i) : i, active: 0, reserved: 0, scheduled: 0, processed: 0, queues, longestActiveSeconds: 0, concurrency: 1, activeByTask: {}, taskQueues: {}, ...held,
});

export const drainNode = (i: number): DrainNode => ({ node: nodeName(i), taskId: taskId(i) });

export const ecsObs = (desired: number, over: Partial<EcsObservation> = {}): EcsObservation => ({ desired, running: desired, pending: 0, deploymentInProgress: false, ...over });

export const cycle = (over: Partial<Cycle> = {}): Cycle => ({ execution: EXEC, at: T0, dryRun: false, skipCooldown: false, ...over });

export const changeItem = (over: Partial<ChangeItem> = {}): ChangeItem => ({
  service: SERVICE, from: 4, to: 2, direction: 'down', reason: 'idle', cycle: cycle(), skipCooldown: false, branches: 1, ...over,
});

export const cooldownOutput = (over: Partial<CooldownOutput> = {}): CooldownOutput => ({ ...changeItem(), allowed: true, ...over });

export const drain = (over: Partial<Drain> = {}): Drain => ({
  cycle: cycle(), service: SERVICE, from: 4, to: 2, reason: 'idle', status: 'draining',
  draining: [], empty: [], released: [], restored: [],
  startedAt: T0, deadline: T0 + 600_000, pollSeconds: 5, result: '', ...over,
});

/** What the fake workers and ECS answer. Mutable: a test moves the world between steps. */
export interface World {
  /** What `inspect` answers. */
  nodes: NodeSnapshot[];
  missing: string[];
  /** `held` answers; a node not listed answers from `nodes`, or null (no reply) when absent there too. */
  held: Record<string, Held | null>;
  pending: Record<string, number>;
  ecs: Record<string, EcsObservation>;
  tasks: Record<string, EcsTask[]>;
  /** Nodes that never confirm cancel_consumer / add_consumer. */
  silent: string[];
  /** Services ECS Service Auto Scaling also scales: what `ecs.otherAutoscaling` says about them. */
  otherAutoscaling: Record<string, string>;
}

export interface Call {
  port: string;
  method: string;
  args: unknown[];
}

export interface FakeEnv extends Env {
  world: World;
  store: MemoryStore;
  clock: { now: number };
  recorded: Call[];
  /** The recorded calls as `port.method arg arg`, optionally of some ports or methods only. */
  calls(...only: string[]): string[];
  /** Makes `port.method` throw `error` from now on. */
  fail(method: string, error?: Error): void;
  /** Makes `port.method` answer with `fn` from now on (the store's real answer is bypassed). */
  answer(method: string, fn: (...args: never[]) => unknown): void;
  /** `holder` now holds the service's lock, whoever held it before (this cycle's lease lost). */
  lockTakenBy(holder: string, service?: string): void;
}

const fmt = (v: unknown): string => (Array.isArray(v) ? `[${v.map(fmt).join(',')}]` : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** `holding`: this cycle (EXEC) holds the service's lock, as every step after CheckCooldown expects. */
export function fakeEnv(opts: { config?: AutoscalerConfig; world?: Partial<World>; now?: number; holding?: boolean } = {}): FakeEnv {
  const clock = { now: opts.now ?? T0 };
  const store = new MemoryStore(() => clock.now);
  const world: World = { nodes: [], missing: [], held: {}, pending: {}, ecs: {}, tasks: {}, silent: [], otherAutoscaling: {}, ...opts.world };
  const recorded: Call[] = [];
  const failures = new Map<string, Error>();
  const answers = new Map<string, (...args: never[]) => unknown>();

  /** A command reaches every node but the silent ones, which then consume `queuesOf` their old queues. */
  const send = (nodes: string[], queuesOf: (had: string[]) => string[]) => {
    const confirmed = nodes.filter((n) => !world.silent.includes(n));
    for (const s of world.nodes) if (confirmed.includes(s.node)) s.queues = queuesOf(s.queues);
    return { confirmed, unconfirmed: nodes.filter((n) => world.silent.includes(n)) };
  };
  const workers: WorkersPort = {
    inspect: (): Inspection => ({ nodes: world.nodes.map((n) => ({ ...n })), missing: [...world.missing], unanswered: 0 }),
    held: (nodes) => Object.fromEntries(nodes.map((n) => {
      if (n in world.held) return [n, world.held[n]];
      const s = world.nodes.find((x) => x.node === n);
      return [n, s ? { active: s.active, reserved: s.reserved, scheduled: s.scheduled } : null];
    })),
    cancel: (queues, nodes) => send(nodes, (had) => had.filter((q) => !queues.includes(q))),
    add: (queues, nodes) => send(nodes, (had) => [...new Set([...had, ...queues])]),
    pending: (queues) => Object.fromEntries(queues.map((q) => [q, world.pending[q] ?? 0])),
  };
  const ecs: EcsPort = {
    describe: (service) => ({ ...(world.ecs[service] ?? ecsObs(0)) }),
    tasks: (service) => (world.tasks[service] ?? []).map((t) => ({ ...t })),
    taskArns: (service) => (world.tasks[service] ?? []).filter((t) => t.desiredStatus !== 'STOPPED').map((t) => t.taskArn),
    // ECS takes task ARNs or ids alike.
    describeTasks: (service, arns) => (world.tasks[service] ?? []).filter((t) => arns.includes(t.taskArn) || arns.includes(t.taskId)).map((t) => ({ ...t })),
    protect: () => undefined,
    unprotect: () => undefined,
    setDesired: (service, desired) => {
      world.ecs[service] = { ...(world.ecs[service] ?? ecsObs(0)), desired };
    },
    otherAutoscaling: (service) => world.otherAutoscaling[service] ?? null,
  };

  /** Records each call, then throws a configured failure or answers (overridden, or the real one). */
  const recording = <P extends object>(port: string, target: P): P =>
    new Proxy(target, {
      get(t, method: string) {
        const real = (t as Record<string, unknown>)[method];
        if (typeof real !== 'function') return real;
        return (...args: unknown[]) => {
          const name = `${port}.${method}`;
          recorded.push({ port, method, args });
          const failure = failures.get(name);
          if (failure) throw failure;
          const answer = answers.get(name);
          return answer ? (answer as (...a: unknown[]) => unknown)(...args) : (real as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });

  const lockTakenBy = (holder: string, service = SERVICE) => {
    const before = store.lockHolder(service);
    if (before !== null) store.releaseLock(service, before);
    store.acquireLock(service, holder, 60_000);
  };
  if (opts.holding) lockTakenBy(EXEC);

  return {
    config: opts.config ?? configOf(),
    now: () => clock.now,
    workers: recording('workers', workers),
    ecs: recording('ecs', ecs),
    lease: recording<LeasePort>('lease', store),
    history: recording<HistoryPort>('history', store),
    world,
    store,
    clock,
    recorded,
    calls: (...only) => recorded
      .filter((c) => only.length === 0 || only.some((o) => o === c.port || o === `${c.port}.${c.method}`))
      .map((c) => [`${c.port}.${c.method}`, ...c.args.map(fmt)].join(' ')),
    fail: (method, error = new Error(`${method} failed`)) => failures.set(method, error),
    answer: (method, fn) => answers.set(method, fn),
    lockTakenBy,
  };
}

/** The same ports, answering with promises: the Lambda host's shape over the same fakes. */
export function promised(env: Env): Env {
  const wrap = <P extends object>(port: P): P =>
    new Proxy(port, {
      get(t, method: string) {
        const fn = (t as Record<string, unknown>)[method];
        if (typeof fn !== 'function') return fn;
        return (...args: unknown[]) => {
          try {
            return Promise.resolve((fn as (...a: unknown[]) => unknown)(...args));
          } catch (e) {
            return Promise.reject(e);
          }
        };
      },
    });
  return { ...env, workers: wrap(env.workers), ecs: wrap(env.ecs), lease: wrap(env.lease), history: wrap(env.history) };
}
