import type { AutoscalerConfig, ServiceConfig } from '../config';
import type { NodeSnapshot } from '../celery/inspect';
import { checkCooldown } from '../cycle/check-cooldown';
import { checkDrain } from '../cycle/check-drain';
import { computePlan } from '../cycle/compute-plan';
import { drainWorkers } from '../cycle/drain-workers';
import { BRANCH_FLOW, type BranchState } from '../cycle/flow';
import { measureQueues } from '../cycle/measure-queues';
import type { Change, ChangeItem, Cycle, Drain, FailedBranch } from '../cycle/payloads';
import { runSync, type Env, type Step } from '../cycle/ports';
import { releaseAfterError } from '../cycle/release-after-error';
import { releaseProtection } from '../cycle/release-protection';
import { restoreConsumers } from '../cycle/restore-consumers';
import { scaleDown } from '../cycle/scale-down';
import { scaleUp } from '../cycle/scale-up';
import type { Observation } from '../observation';
import type { ScaleTimes } from '../state/store';
import { MemoryStore } from './memory-store';
import type { Cloud } from './model';


export interface CycleChange {
  service: string;
  to: number;
  direction: 'up' | 'down';
  /** The throughput the plan used; a drain checks its target against new work with it. */
  perWorkerPerMinute?: number;
}

/** A baseline's ComputePlan: from one measurement to the changes it asks for. */
export type Decide = (observation: Observation, nowMs: number, times: Record<string, ScaleTimes>) => CycleChange[];

export interface CycleHooks {
  /** Every measurement, as ComputePlan receives it. */
  onObservation?: (o: Observation) => void;
  /** Wraps the ports of each step: fault injection (crash after the k-th port call). */
  wrapEnv?: (env: Env, state: string) => Env;
  /**
   * Runs a step: `attempt` runs it once, with its input, on the env given. Fault injection may
   * run it twice (a retry of an attempt that did its work) or fail it after a port call.
   */
  runStep?: <T>(state: string, env: Env, attempt: (env: Env) => T) => T;
}

/** The world's ports, as the Lambdas' are over Redis, pidbox and ECS. */
export function simEnv(cloud: Cloud, services: Record<string, ServiceConfig>, store: MemoryStore): Env {
  const config = { services, hardMaxWorkers: Infinity } as unknown as AutoscalerConfig;
  // Which nodes have their queues cancelled: the world consumes every queue of a node or none.
  const cancelled = new Set<string>();
  const queuesOf = (service: string) => services[service].queues;
  const arn = (id: string) => `arn:aws:ecs:sim:0:task/sim/${id}`;
  const idOf = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);
  const confirm = (nodes: string[]) => {
    const alive = nodes.filter((n) => cloud.inspect(n) !== null);
    return { confirmed: alive, unconfirmed: nodes.filter((n) => !alive.includes(n)) };
  };
  return {
    config,
    now: () => cloud.nowMs,
    workers: {
      inspect: () => {
        const o = cloud.observe();
        const nodes: NodeSnapshot[] = Object.entries(o.services).flatMap(([service, s]) => s.nodes.map(({ taskId: _task, ...n }) => ({
          ...n, queues: cancelled.has(n.node) ? [] : queuesOf(service), longestActiveSeconds: n.longestActiveSeconds ?? 0, concurrency: n.concurrency ?? null,
          activeByTask: n.activeByTask ?? {}, taskQueues: n.taskQueues ?? {},
        })));
        return { nodes, missing: [], unanswered: 0 };
      },
      held: (nodes) => Object.fromEntries(nodes.map((n) => [n, cloud.inspect(n)])),
      cancel: (_queues, nodes) => {
        const sent = confirm(nodes);
        cloud.cancelConsumer(sent.confirmed);
        for (const n of sent.confirmed) cancelled.add(n);
        return sent;
      },
      add: (_queues, nodes) => {
        const sent = confirm(nodes);
        cloud.addConsumer(sent.confirmed);
        for (const n of sent.confirmed) cancelled.delete(n);
        return sent;
      },
      pending: (queues) => {
        const all: Record<string, number> = {};
        for (const s of Object.values(cloud.observe().services)) Object.assign(all, s.queues);
        return Object.fromEntries(queues.map((q) => [q, all[q] ?? 0]));
      },
    },
    ecs: {
      describe: (service) => cloud.observe().services[service].ecs ?? { desired: cloud.desired(service), running: 0, pending: 0, deploymentInProgress: false },
      tasks: (service) => cloud.ecsTasks(service).map((t) => ({ ...t, taskArn: arn(t.taskId) })),
      taskArns: (service) => cloud.ecsTasks(service).filter((t) => t.desiredStatus === 'RUNNING').map((t) => arn(t.taskId)),
      describeTasks: (service, arns) => {
        const ids = new Set(arns.map(idOf));
        return cloud.ecsTasks(service).filter((t) => ids.has(t.taskId)).map((t) => ({ ...t, taskArn: arn(t.taskId) }));
      },
      protect: (service, arns) => cloud.protect(service, arns.map(idOf), true),
      unprotect: (service, arns) => cloud.protect(service, arns.map(idOf), false),
      setDesired: (service, n) => cloud.setDesired(service, n),
    },
    lease: store,
    history: store,
  };
}

/**
 * One execution of statemachines/autoscaler.asl.json every `cycleSeconds`, on the world: the
 * very steps the Lambdas run (lib/cycle), over the world's ports, routed as the ASL's Choice
 * states route them (lib/cycle/flow.ts), Wait states as world time. Executions overlap as the
 * schedule makes them; the lease keeps them apart. `decide` replaces ComputePlan for a
 * baseline; without it, the product's planner runs.
 */
export function startCycles(cloud: Cloud, services: Record<string, ServiceConfig>, cycleSeconds: number, decide?: Decide, hooks: CycleHooks = {}): void {
  const store = new MemoryStore(() => cloud.nowMs);
  const base = simEnv(cloud, services, store);
  const envFor = (state: string) => (hooks.wrapEnv ? hooks.wrapEnv(base, state) : base);
  const run = <T>(state: string, step: (env: Env) => Step<T>): T => {
    const attempt = (env: Env): T => runSync(step(env));
    return hooks.runStep ? hooks.runStep(state, envFor(state), attempt) : attempt(envFor(state));
  };
  let executions = 0;

  const branch = (item: ChangeItem) => {
    let payload: unknown = item;
    const advance = (state: BranchState | string): void => {
      for (;;) {
        if (state === 'WaitForDrain' || state === 'WaitForTasksToStop') {
          const wait = (payload as Drain).pollSeconds;
          cloud.after(Math.max(1, wait), () => advance(BRANCH_FLOW[state as 'WaitForDrain']()));
          return;
        }
        if (!(state in STEPS)) return; // a Succeed state or the end of the branch
        try {
          const step = STEPS[state as keyof typeof STEPS] as (env: Env, input: unknown) => Step<unknown>;
          payload = run(state, (env) => step(env, payload));
        } catch (e) {
          const err = e as Error;
          // The ASL's Catch: the failed state's input, plus the error, to ReleaseAfterError.
          const failed = { ...(payload as FailedBranch), error: { Error: err.name, Cause: err.message } };
          try {
            run('ReleaseAfterError', (env) => releaseAfterError(env, failed));
          } catch {
            /* the lease runs out; the next cycle repairs */
          }
          return;
        }
        state = (BRANCH_FLOW[state as keyof typeof BRANCH_FLOW] as (o: unknown) => string)(payload);
      }
    };
    advance('CheckCooldown');
  };

  cloud.every(cycleSeconds, () => {
    executions += 1;
    const execution = `sim-${executions}`;
    let changes: Change[];
    let cycle: Cycle;
    try {
      const { measurement, observation } = run('MeasureQueues', (env) => measureQueues(env, {}, execution));
      hooks.onObservation?.(observation);
      cycle = measurement.cycle;
      if (decide) {
        const times = store.scaleTimes(Object.keys(services));
        changes = decide(observation, cloud.nowMs, times).map((c) => ({
          service: c.service, from: cloud.desired(c.service), to: c.to, direction: c.direction, reason: 'baseline',
          ...(c.perWorkerPerMinute ? { perWorkerPerMinute: c.perWorkerPerMinute } : {}),
        }));
      } else {
        changes = run('ComputePlan', (env) => computePlan(env, measurement)).changes;
      }
    } catch {
      return; // a failed cycle scales nothing
    }
    for (const c of changes) branch({ ...c, cycle, skipCooldown: false, branches: changes.length });
  });
}

/** The branch's Task states, as the ASL names them. */
const STEPS = {
  CheckCooldown: checkCooldown,
  ScaleUp: scaleUp,
  DrainWorkers: drainWorkers,
  CheckDrain: checkDrain,
  ScaleDown: scaleDown,
  RestoreConsumers: restoreConsumers,
  ReleaseProtection: releaseProtection,
} as const;
