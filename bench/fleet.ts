import type { Inspection, NodeSnapshot } from '../lib/celery/inspect';
import { parseConfig, type AutoscalerConfig } from '../lib/config';
import { checkCooldown } from '../lib/cycle/check-cooldown';
import { checkDrain } from '../lib/cycle/check-drain';
import { computePlan } from '../lib/cycle/compute-plan';
import { drainWorkers } from '../lib/cycle/drain-workers';
import { BRANCH_FLOW, type BranchState } from '../lib/cycle/flow';
import { measureQueues } from '../lib/cycle/measure-queues';
import type { ChangeItem, PlanOutput } from '../lib/cycle/payloads';
import { runSync, type Env, type Held, type Step } from '../lib/cycle/ports';
import { releaseAfterError } from '../lib/cycle/release-after-error';
import { releaseProtection } from '../lib/cycle/release-protection';
import { restoreConsumers } from '../lib/cycle/restore-consumers';
import { scaleDown } from '../lib/cycle/scale-down';
import { scaleUp } from '../lib/cycle/scale-up';
import { bytesOf } from '../lib/cycle/sizes';
import { summarize } from '../lib/cycle/summarize';
import type { EcsTask } from '../lib/ecs';
import { MemoryStore } from '../lib/simulate/memory-store';
import { executionHistoryEvents, stateHistoryEvents, type StateKind } from '../lib/sfn-limits';

/**
 * A fleet at the sizes users run, for the real steps of the cycle: synthetic Celery workers and
 * ECS tasks behind the cycle's ports (no process, no network), so every Task state runs as it
 * does on Lambda and its input and output can be weighed. `npm test` asserts the sizes, the
 * bench writes them to docs/benchmarks.md.
 */
export interface FleetShape {
  services: number;
  workersPerService: number;
  /** Queues per service. */
  queuesPerService: number;
  /** Task names each worker has run (Celery's `stats().total` keeps every one since it started). */
  taskNames: number;
  /** Characters in a task name, as a Django monolith's `app.module.tasks.name` can have. */
  nameLength: number;
  drainTimeoutSeconds?: number;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const taskIdOf = (s: number, w: number): string => `${hex(s, 8)}${hex(w, 24)}`;
const nodeOf = (s: number, w: number): string => `celery@${taskIdOf(s, w)}`;
const taskName = (i: number, length: number): string => `app.tasks.${'x'.repeat(Math.max(0, length - 16))}.${hex(i, 5)}`.slice(0, length);

/** The world behind the ports: who answers, what each node holds, what ECS runs. */
export class Fleet {
  readonly config: AutoscalerConfig;
  readonly store: MemoryStore;
  /** Nodes that hold nothing now (a drain empties them one by one). */
  readonly emptied = new Set<string>();
  /** ECS calls by action, as the ECS port sees them. */
  readonly ecsCalls: Record<string, number> = {};
  readonly tasks = new Map<string, EcsTask[]>();
  private readonly desired = new Map<string, number>();
  private readonly nodes: NodeSnapshot[] = [];
  private clock = Date.UTC(2026, 0, 1);

  constructor(readonly shape: FleetShape) {
    const services: Record<string, unknown> = {};
    const names = Array.from({ length: shape.taskNames }, (_, i) => taskName(i, shape.nameLength));
    for (let s = 0; s < shape.services; s += 1) {
      const name = `svc${s}`;
      const queues = Array.from({ length: shape.queuesPerService }, (_, q) => `${name}-queue-${q}`);
      services[name] = { cluster: 'fleet', service: name, queues, minWorkers: 0, maxWorkers: shape.workersPerService, tasksPerWorkerPerMinute: 30, targetMinutes: 5, drainTimeoutSeconds: shape.drainTimeoutSeconds ?? 600 };
      const tasks: EcsTask[] = [];
      for (let w = 0; w < shape.workersPerService; w += 1) {
        const taskId = taskIdOf(s, w);
        tasks.push({ taskId, taskArn: `arn:aws:ecs:us-east-1:123456789012:task/fleet/${taskId}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', privateIp: null, startedAt: this.clock - 3600_000 });
        const running = names[w % names.length];
        this.nodes.push({
          node: nodeOf(s, w), active: 1, reserved: 1, scheduled: 0, processed: 500 * shape.taskNames, queues, longestActiveSeconds: 30, concurrency: 4,
          totals: Object.fromEntries(names.map((n) => [n, 500])), activeByTask: { [running]: 1 }, taskQueues: { [running]: queues[0] },
        });
      }
      this.tasks.set(name, tasks);
      this.desired.set(name, shape.workersPerService);
    }
    this.config = parseConfig({ broker: { url: 'redis://127.0.0.1:6379/0' }, hardMaxWorkers: Math.max(50, shape.workersPerService), services });
    this.store = new MemoryStore(() => this.clock);
  }

  now(): number {
    return this.clock;
  }

  advance(ms: number): void {
    this.clock += ms;
  }

  private held(node: string): Held {
    const n = this.nodes.find((x) => x.node === node);
    return this.emptied.has(node) || !n ? { active: 0, reserved: 0, scheduled: 0 } : { active: n.active, reserved: n.reserved, scheduled: n.scheduled };
  }

  /** One action of `items` things in batches of `batch` (ECS's limits: 100 per page or describe, 10 per protection call). */
  private ecs(action: string, items = 1, batch = 1): void {
    this.ecsCalls[action] = (this.ecsCalls[action] ?? 0) + Math.max(1, Math.ceil(items / batch));
  }

  private live(service: string): EcsTask[] {
    return (this.tasks.get(service) ?? []).filter((t) => t.desiredStatus === 'RUNNING');
  }

  env(): Env {
    const queuesOf = (nodes: string[]) => ({ confirmed: nodes, unconfirmed: [] });
    return {
      config: this.config,
      now: () => this.clock,
      workers: {
        inspect: (): Inspection => ({
          nodes: this.nodes.filter((n) => this.isUp(n.node)).map((n) => ({ ...n, ...this.held(n.node) })),
          missing: [],
          unanswered: 0,
        }),
        held: (nodes) => Object.fromEntries(nodes.map((n) => [n, this.held(n)])),
        cancel: (_queues, nodes) => queuesOf(nodes),
        add: (_queues, nodes) => queuesOf(nodes),
        pending: (queues) => Object.fromEntries(queues.map((q) => [q, 0])),
      },
      ecs: {
        describe: (service) => {
          this.ecs('DescribeServices');
          const n = this.desired.get(service) ?? 0;
          return { desired: n, running: this.live(service).length, pending: 0, deploymentInProgress: false };
        },
        tasks: (service) => {
          this.ecs('ListTasks', this.live(service).length, 100);
          this.ecs('DescribeTasks', this.live(service).length, 100);
          return this.live(service).map((t) => ({ ...t }));
        },
        taskArns: (service) => {
          this.ecs('ListTasks', this.live(service).length, 100);
          return this.live(service).map((t) => t.taskArn);
        },
        describeTasks: (service, refs) => {
          this.ecs('DescribeTasks', refs.length, 100);
          const ids = new Set(refs.map((r) => r.slice(r.lastIndexOf('/') + 1)));
          return (this.tasks.get(service) ?? []).filter((t) => ids.has(t.taskId)).map((t) => ({ ...t }));
        },
        protect: (_service, arns) => this.ecs('UpdateTaskProtection', arns.length, 10),
        unprotect: (_service, arns) => this.ecs('UpdateTaskProtection', arns.length, 10),
        setDesired: (service, n) => {
          this.ecs('UpdateService');
          this.desired.set(service, n);
          // ECS stops the unprotected tasks: here, the emptied ones (the cycle protected the rest).
          for (const t of this.live(service)) if (this.emptied.has(`celery@${t.taskId}`) && this.live(service).length > n) t.desiredStatus = 'STOPPED';
        },
      },
      lease: this.store,
      history: this.store,
    };
  }

  private isUp(node: string): boolean {
    const id = node.slice(node.indexOf('@') + 1);
    return [...this.tasks.values()].some((ts) => ts.some((t) => t.taskId === id && t.lastStatus !== 'STOPPED'));
  }
}

/** The largest input and output each state saw, in bytes, and how often it ran. */
export type Sizes = Record<string, { input: number; output: number; runs: number }>;

const STEPS: Record<string, (env: Env, input: never) => Step<unknown>> = {
  CheckCooldown: checkCooldown, ScaleUp: scaleUp, DrainWorkers: drainWorkers, CheckDrain: checkDrain, ScaleDown: scaleDown,
  RestoreConsumers: restoreConsumers, ReleaseProtection: releaseProtection, ReleaseAfterError: releaseAfterError,
};

export interface FleetCycle {
  sizes: Sizes;
  /** The execution's history events, counted as Step Functions writes them for this path. */
  historyEvents: number;
  plan: PlanOutput;
  summary: unknown;
  /** Per service: the states its branch went through. */
  paths: Record<string, string[]>;
}

/**
 * One cycle through the real steps, as statemachines/autoscaler.asl.json shapes the data between
 * them (the Map's ItemSelector, the branch ends' Pass, the Map's results under `results`).
 * `empty(service, poll, draining, elapsedMs)` says which nodes hold nothing at a drain's n-th poll,
 * `elapsedMs` into its branch (the branches run one after another here, each on its own timeline,
 * as Step Functions runs them side by side).
 */
export function runFleetCycle(fleet: Fleet, input: Record<string, unknown>, empty: (service: string, poll: number, draining: string[], elapsedMs: number) => string[] = (_s, _p, d) => d): FleetCycle {
  const env = fleet.env();
  const sizes: Sizes = {};
  const weigh = (state: string, i: unknown, o: unknown) => {
    const s = (sizes[state] ??= { input: 0, output: 0, runs: 0 });
    s.input = Math.max(s.input, bytesOf(i));
    s.output = Math.max(s.output, bytesOf(o));
    s.runs += 1;
  };
  const execution = `fleet-${fleet.now()}`;
  const measureInput = { input, execution };
  const { measurement } = runSync(measureQueues(env, input, execution));
  weigh('MeasureQueues', measureInput, measurement);
  const plan = runSync(computePlan(env, measurement));
  weigh('ComputePlan', measurement, plan);
  const results: unknown[] = [];
  const paths: Record<string, string[]> = {};
  for (const change of plan.changes) {
    const item: ChangeItem = { cycle: plan.cycle, skipCooldown: plan.skipCooldown, branches: plan.changes.length, ...change };
    weigh('ApplyChanges (item)', plan, item);
    let state: string = 'CheckCooldown';
    let payload: unknown = item;
    const path: string[] = [];
    let polls = 0;
    const branchStart = fleet.now();
    while (state in STEPS || state.startsWith('Wait')) {
      path.push(state);
      if (state.startsWith('Wait')) {
        fleet.advance((payload as { pollSeconds: number }).pollSeconds * 1000);
        if (state === 'WaitForDrain') {
          polls += 1;
          const d = payload as { draining: { node: string }[] };
          for (const n of empty(change.service, polls, d.draining.map((x) => x.node), fleet.now() - branchStart)) fleet.emptied.add(n);
        }
        state = (BRANCH_FLOW[state as BranchState] as (o: unknown) => string)(payload);
        continue;
      }
      const out = runSync(STEPS[state](env, payload as never));
      weigh(state, payload, out);
      // A failure at this point would reach ReleaseAfterError with this input and a Cause.
      if (state === 'CheckDrain') weigh('ReleaseAfterError (input)', { ...(payload as object), error: { Error: 'EcsTransientError', Cause: 'x'.repeat(2000) } }, {});
      payload = out;
      state = (BRANCH_FLOW[state as BranchState] as (o: unknown) => string)(payload);
    }
    path.push(state);
    paths[change.service] = path;
    const end = payload as { service: string; result?: string };
    // HeldByCooldown and ScaledDown are Pass states that keep the service and its result.
    const result = state === 'End' || state === 'NothingToDrain' ? end : { service: end.service, result: end.result };
    weigh(`${state} (branch result)`, payload, result);
    results.push(result);
  }
  const summarizeInput = { ...plan, results };
  const summary = summarize(summarizeInput as never);
  weigh('Summarize', summarizeInput, summary);
  const branchEvents = Object.values(paths).reduce((a, p) => a + eventsOf(p), 0);
  const historyEvents = branchEvents + executionHistoryEvents(['Task', 'Task', 'Choice', { kind: 'Map', run: { iterations: plan.changes.length } }, 'Task', 'Choice', 'Succeed']);
  return { sizes, historyEvents, plan, summary, paths };
}

/** The Task states a Choice follows in the ASL (RestoreConsumers and ScaleUp go straight on). */
const CHOICE_AFTER = new Set(['CheckCooldown', 'DrainWorkers', 'CheckDrain', 'ScaleDown', 'ReleaseProtection']);

/** History events of a branch's path (lib/sfn-limits.ts: a Lambda Task 5, a Wait, Choice or Pass 2). */
export function eventsOf(path: string[]): number {
  const kinds: StateKind[] = path.flatMap((state): StateKind[] => (state in STEPS ? ['Task', ...(CHOICE_AFTER.has(state) ? ['Choice' as const] : [])] : state === 'End' ? [] : state.startsWith('Wait') ? ['Wait'] : ['Pass']));
  return kinds.reduce((a, k) => a + stateHistoryEvents(k), 0);
}

/** The fleets the product is sized for. */
export const FLEETS: Record<string, FleetShape> = {
  'one service of 1,000 workers': { services: 1, workersPerService: 1000, queuesPerService: 100, taskNames: 200, nameLength: 60 },
  '50 services of 20 workers': { services: 50, workersPerService: 20, queuesPerService: 2, taskNames: 200, nameLength: 60 },
};

/** Every service drains `k` of its workers, which empty one per poll. */
export function drainOneByOne(fleet: Fleet, k: number): FleetCycle {
  const services = Object.fromEntries(Object.keys(fleet.config.services).map((s) => [s, { desired: fleet.shape.workersPerService - k }]));
  return runFleetCycle(fleet, { services, skipCooldown: true }, (_s, _poll, draining) => draining.slice(0, 1));
}
