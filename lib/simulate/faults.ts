import type { Env } from '../cycle/ports';
import { AutoscalerError } from '../errors';

/**
 * Fault injection at the cycle's ports: a step's Lambda dies after (or before) its k-th port
 * call, or a step runs twice. Host-neutral: ports may answer with plain values (the simulator)
 * or promises (the local stack, Lambda).
 */

/** The Lambda running a step died (crashed, timed out, ran out of memory). */
export class CrashError extends AutoscalerError {}

export const PORTS = ['workers', 'ecs', 'lease', 'history'] as const;
export type PortName = (typeof PORTS)[number];

/** One port call, as `port.method` (e.g. `ecs.setDesired`). */
export type PortCall = `${PortName}.${string}`;

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

export interface Interceptor {
  /** Before the call is made; throwing means it is never made. */
  before?(call: PortCall, args: unknown[]): void;
  /** Once the call has completed (its promise resolved); throwing turns its answer into that error. */
  after?(call: PortCall): void;
}

/** The same env, every port method call seen by `i`. Calls a port makes to itself are not counted. */
export function interceptPorts(env: Env, i: Interceptor): Env {
  const wrap = <P extends object>(port: P, name: PortName): P => new Proxy(port, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const call = `${name}.${prop}` as PortCall;
      return (...args: unknown[]) => {
        i.before?.(call, args);
        const result: unknown = value.apply(target, args);
        if (!i.after) return result;
        if (isThenable(result)) return Promise.resolve(result).then((v) => (i.after?.(call), v));
        i.after(call);
        return result;
      };
    },
  });
  return { ...env, workers: wrap(env.workers, 'workers'), ecs: wrap(env.ecs, 'ecs'), lease: wrap(env.lease, 'lease'), history: wrap(env.history, 'history') };
}

/** Where a step dies: right after its k-th port call completed, or just before it was made. */
export interface CrashPoint {
  k: number;
  when: 'after' | 'before';
}

export interface CountedEnv {
  env: Env;
  /** The calls made through `env` so far, in order. */
  calls: PortCall[];
  /** The crash point was reached: the step is dead, whatever it returns. */
  crashed(): boolean;
}

/**
 * An env that counts its port calls and, with a crash point, dies there: the crashing call
 * throws CrashError and so does every call after it (a dead Lambda does nothing more, even if
 * the step catches the error and goes on). The host must treat the step as failed when
 * `crashed()` (see `attemptStep`), since a step may swallow the error.
 */
export function countingEnv(env: Env, point?: CrashPoint, onCall?: (call: PortCall, args: unknown[]) => void): CountedEnv {
  const calls: PortCall[] = [];
  let dead = false;
  const die = (call: PortCall): never => {
    dead = true;
    throw new CrashError(`crashed ${point?.when} port call ${point?.k} (${call})`);
  };
  const counted = interceptPorts(env, {
    before(call, args) {
      if (dead) throw new CrashError(`port call ${call} after the crash`);
      calls.push(call);
      if (point?.when === 'before' && calls.length === point.k) {
        calls.pop();
        die(call);
      }
      onCall?.(call, args);
    },
    after(call) {
      if (point?.when === 'after' && calls.length === point.k && !dead) die(call);
    },
  });
  return { env: counted, calls, crashed: () => dead };
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` and hands its outcome, sync or async, to `then`. */
function settle<T, R>(fn: () => T, then: (o: Outcome<Awaited<T>>) => R): R {
  let value: T;
  try {
    value = fn();
  } catch (error) {
    return then({ ok: false, error });
  }
  if (isThenable(value)) {
    return Promise.resolve(value).then((v) => then({ ok: true, value: v as Awaited<T> }), (error: unknown) => then({ ok: false, error })) as R;
  }
  return then({ ok: true, value: value as Awaited<T> });
}

/** One attempt of a step on a counting (maybe crashing) env; a crash fails it even if swallowed. */
export function attemptStep<T>(env: Env, attempt: (env: Env) => T, point?: CrashPoint, onCall?: (call: PortCall, args: unknown[]) => void): { counted: CountedEnv; run: <R>(then: (o: Outcome<Awaited<T>>) => R) => R } {
  const counted = countingEnv(env, point, onCall);
  return {
    counted,
    run: (then) => settle(() => attempt(counted.env), (o) => {
      if (!counted.crashed()) return then(o);
      const error = !o.ok && o.error instanceof CrashError ? o.error : new CrashError(`crashed ${point?.when} port call ${point?.k}`);
      return then({ ok: false, error });
    }),
  };
}

/**
 * One fault for one run of one Task state:
 * - `catch`: the step dies at the crash point and Step Functions' Catch takes over
 *   (ReleaseAfterError, or the cycle fails for MeasureQueues / ComputePlan);
 * - `retry`: the step dies at the crash point and its Retry runs it again with the same input;
 * - `twice`: the step completes, its output is lost, and it runs again with the same input.
 * `run` counts the state's runs from 1, over every execution in the world.
 */
export type Fault =
  | { state: string; run: number; mode: 'catch' | 'retry'; point: CrashPoint }
  | { state: string; run: number; mode: 'twice' };

/** What happened in one run of a step. */
export interface StepRun<T = unknown> {
  state: string;
  run: number;
  /** When it ran: the env's clock, epoch ms. */
  at: number;
  /** The port calls of its last (or only) attempt. */
  calls: PortCall[];
  /** Port calls of the attempt the fault hit (a crashed or discarded first attempt). */
  faulted?: PortCall[];
  fault?: Fault['mode'];
  /** Its output, or the error it failed with. */
  outcome: Outcome<T>;
}

export interface StepWatch {
  /** Each step run as it ends (invariant checks). */
  onStep?(r: StepRun): void;
  /** Each port call as it is made, with its arguments (a crashing call included). */
  onCall?(call: PortCall, args: unknown[]): void;
}

/**
 * The simulator host's `runStep` hook with some faults (or none): records every step run (the
 * calls it made, its output), so a fault-free run tells which crash points a scenario has.
 */
export class StepFaults {
  readonly runs: StepRun[] = [];
  /** The runs the faults hit, in order. */
  readonly hits: StepRun[] = [];
  /** The host's own env, as the first step received it (the simulator's world and store). */
  env: Env | null = null;
  private readonly count = new Map<string, number>();

  constructor(readonly faults: Fault[] = [], private readonly watch: StepWatch = {}) {}

  readonly runStep = <T>(state: string, env: Env, attempt: (env: Env) => T): T => {
    this.env ??= env;
    const run = (this.count.get(state) ?? 0) + 1;
    this.count.set(state, run);
    const f = this.faults.find((x) => x.state === state && x.run === run) ?? null;
    const at = env.now();
    const onCall = this.watch.onCall?.bind(this.watch);
    const plain = (faulted?: PortCall[]): unknown => {
      const a = attemptStep(env, attempt, undefined, onCall);
      return a.run((o) => this.end({ state, run, at, calls: a.counted.calls, outcome: o, ...(f && faulted ? { faulted, fault: f.mode } : {}) }));
    };
    if (f === null) return plain() as T;
    const first = attemptStep(env, attempt, f.mode === 'twice' ? undefined : f.point, onCall);
    return first.run((o) => {
      const calls = first.counted.calls;
      // A first attempt that failed on its own is the step's failure; one with fewer calls than k is not hit.
      if (f.mode === 'twice' ? !o.ok : !first.counted.crashed()) return this.end({ state, run, at, calls, outcome: o });
      if (f.mode === 'twice') return plain(calls);
      if (f.mode === 'retry') return plain(calls);
      return this.end({ state, run, at, calls, faulted: calls, fault: f.mode, outcome: o });
    }) as T;
  };

  private end(r: StepRun): unknown {
    this.runs.push(r);
    if (r.fault) this.hits.push(r);
    this.watch.onStep?.(r);
    if (!r.outcome.ok) throw r.outcome.error;
    return r.outcome.value;
  }
}
