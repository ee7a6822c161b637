import type { AutoscalerConfig } from '../config';
import type { Inspection } from '../celery/inspect';
import type { EcsTask } from '../ecs';
import type { EcsObservation, Observation } from '../observation';
import type { ServiceHistory } from '../planner';
import type { DrainRecord, Leftovers, ScaleTimes, Wanted } from '../state/store';

/**
 * A port call's result: a promise on the Lambda host (Redis, pidbox, the AWS SDK), a plain value
 * on the simulator's host (its discrete-event world answers at once). The cycle's steps are
 * written once, as generators (see `call`), and run on either.
 */
export type Maybe<T> = T | Promise<T>;

export interface Held {
  active: number;
  reserved: number;
  scheduled: number;
  /**
   * Of the queues asked about, those the node still consumes (its `active_queues`, read before its
   * tasks). A cancel_consumer replies before it takes effect: until it has, the node can still take
   * a message, so it is not empty whatever it holds. Absent: not asked.
   */
  consuming?: string[];
}

export interface Confirmations {
  confirmed: string[];
  unconfirmed: string[];
}

/** Celery workers, through remote control and the broker's queue lists. */
export interface WorkersPort {
  /** Every answering node's tasks, processed total, pool size (and queues with `withQueues`). */
  inspect(opts?: { withQueues?: boolean }): Maybe<Inspection>;
  /**
   * The tasks the named nodes hold; null for a node that did not answer (never assumed empty).
   * With `queues`: first which of them each node still consumes, then its tasks, so a message
   * taken before a cancel took effect is counted (docs/celery-facts.md).
   */
  held(nodes: string[], queues?: string[]): Maybe<Record<string, Held | null>>;
  /** `cancel_consumer` for every queue, to exactly these nodes; who confirmed all of them. */
  cancel(queues: string[], nodes: string[]): Maybe<Confirmations>;
  /** `add_consumer` for every queue, to exactly these nodes. */
  add(queues: string[], nodes: string[]): Maybe<Confirmations>;
  /** Pending messages per queue, over every priority sub-list. */
  pending(queues: string[]): Maybe<Record<string, number>>;
}

/** One ECS service per configured service name. */
export interface EcsPort {
  describe(service: string): Maybe<EcsObservation>;
  /** ListTasks and DescribeTasks of the whole service: ⌈N/100⌉ calls of each. */
  tasks(service: string): Maybe<EcsTask[]>;
  /** ListTasks only: the ARNs of the tasks ECS wants running, ⌈N/100⌉ calls. */
  taskArns(service: string): Maybe<string[]>;
  /** DescribeTasks on these tasks only (a task ECS no longer knows is left out). */
  describeTasks(service: string, taskArns: string[]): Maybe<EcsTask[]>;
  protect(service: string, taskArns: string[], expiresInMinutes: number): Maybe<void>;
  unprotect(service: string, taskArns: string[]): Maybe<void>;
  setDesired(service: string, desired: number): Maybe<void>;
  /**
   * Another autoscaler on the service's desired count (ECS Service Auto Scaling), said as the
   * reason to leave it alone, or null. Hosts that have none (the simulator) leave it out.
   */
  otherAutoscaling?(service: string): Maybe<string | null>;
}

/** One cycle at a time per service: a lease with the execution's name as its token. */
export interface LeasePort {
  acquireLock(service: string, token: string, ttlMs: number): Maybe<{ acquired: boolean; holder: string | null }>;
  extendLock(service: string, token: string, ttlMs: number): Maybe<boolean>;
  releaseLock(service: string, token: string): Maybe<boolean>;
  lockHolder(service: string): Maybe<string | null>;
}

/** What outlives a cycle: planner history, scale times, drain records, protection records. */
export interface HistoryPort {
  loadHistories<H = ServiceHistory>(services: string[]): Maybe<Record<string, H | undefined>>;
  saveHistories<H = ServiceHistory>(histories: Record<string, H>): Maybe<void>;
  scaleTimes(services: string[]): Maybe<Record<string, ScaleTimes>>;
  recordScale(service: string, direction: 'up' | 'down', at: number): Maybe<void>;
  saveDrain(service: string, record: DrainRecord): Maybe<void>;
  clearDrain(service: string): Maybe<void>;
  drainRecords(services: string[]): Maybe<Record<string, DrainRecord | null>>;
  leftovers(services: string[]): Maybe<Leftovers[]>;
  saveProtected(service: string, taskArns: string[], ttlMs: number): Maybe<void>;
  protectedTasks(service: string): Maybe<string[]>;
  clearProtected(service: string): Maybe<void>;
  /** One cycle's per-worker observation, from MeasureQueues to ComputePlan (kept out of the payload). */
  saveObservation(execution: string, observation: Observation, ttlMs: number): Maybe<void>;
  observation(execution: string): Maybe<Observation | null>;
  /** A scale-up held by a draining cycle leaves its target here; the drain gives way to it. */
  want(service: string, wanted: Wanted, ttlMs: number): Maybe<void>;
  wanted(service: string): Maybe<Wanted | null>;
}

/** Everything a step may touch: the config, a clock, and the four ports. Nothing else. */
export interface Env {
  config: AutoscalerConfig;
  now(): number;
  workers: WorkersPort;
  ecs: EcsPort;
  lease: LeasePort;
  history: HistoryPort;
}

/** One Task state's work: yields port calls, returns the state's output. */
export type Step<T> = Generator<unknown, T, unknown>;

/** `const x = yield* call(port.method(...))`: one port call, typed, on either host. */
export function* call<T>(value: Maybe<T>): Generator<Maybe<T>, T, unknown> {
  return (yield value) as T;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

/** Several port results as one: Promise.all on the Lambda host, the plain values on the simulator's. */
export function together<T extends readonly unknown[]>(values: { [K in keyof T]: Maybe<T[K]> }): Maybe<T> {
  const list = values as readonly unknown[];
  return (list.some(isThenable) ? Promise.all(list) : list) as Maybe<T>;
}

/** Port calls made side by side. */
export function* all<T extends readonly unknown[]>(values: { [K in keyof T]: Maybe<T[K]> }): Generator<unknown, T, unknown> {
  return (yield together<T>(values)) as T;
}

/** Runs a step on a host whose ports return promises (Lambda, the local stack). */
export async function runAsync<T>(step: Step<T>): Promise<T> {
  let next = step.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await next.value;
    } catch (e) {
      next = step.throw(e);
      continue;
    }
    next = step.next(value);
  }
  return next.value;
}

/** Runs a step on a host whose ports answer at once (the simulator). */
export function runSync<T>(step: Step<T>): T {
  let next = step.next();
  while (!next.done) {
    if (isThenable(next.value)) throw new Error('a port answered with a promise on a synchronous host');
    next = step.next(next.value);
  }
  return next.value;
}

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: Error };

/** A port call whose failure is a reading, not the step's failure (an ECS read per service). */
export function attempt<T>(fn: () => Maybe<T>): Maybe<Attempt<T>> {
  const fail = (e: unknown): Attempt<T> => ({ ok: false, error: e instanceof Error ? e : new Error(String(e)) });
  try {
    const v = fn();
    return isThenable(v) ? (v as Promise<T>).then((value): Attempt<T> => ({ ok: true, value }), fail) : { ok: true, value: v as T };
  } catch (e) {
    return fail(e);
  }
}
