import type { Inspection, NodeSnapshot } from '../celery/inspect';
import { resolveCycleSettings, type AutoscalerConfig } from '../config';
import { taskForNode, type EcsTask } from '../ecs';
import { inFlightTotal, pendingTotal, type EcsObservation, type NodeObservation, type Observation, type ServiceObservation } from '../observation';
import type { DrainRecord } from '../state/store';
import { RECOVERED_LINES, type Measurement, type ServiceMeasurement } from './payloads';
import { clip, named, NAMES_SHOWN } from './sizes';
import { all, attempt, call, together, type Attempt, type Env, type Step } from './ports';
import { recoverLeftovers } from './recover';

export interface EcsRead {
  ecs: EcsObservation | null;
  tasks: EcsTask[];
  error?: string;
  /** ECS Service Auto Scaling on the service (ports.ts, otherAutoscaling), when found. */
  otherAutoscaling?: string;
}

export interface MeasureReadings {
  inspection: Inspection;
  /** Pending per queue, every configured queue. */
  depths: Record<string, number>;
  ecs: Record<string, EcsRead>;
  /** Drain records still present after the repair: live drains (their nodes are left alone). */
  drains: Record<string, DrainRecord | null>;
}

/** A node that consumes fewer queues than its service's, outside any drain: it gets them back. */
export interface MissingQueues {
  service: string;
  node: string;
  queues: string[];
}

interface Owner {
  service: string;
  task: EcsTask;
}

/**
 * The measurement and the repairs it calls for. A node belongs to the service whose ECS task it
 * runs in; a node that maps to no task belongs to the service whose queues it consumes (it is
 * measured, but never chosen for a drain). A running task with no answering node is reported
 * missing: its worker may be busy or broken. An ECS read that failed is recorded in the
 * service's `errors`, which forbids a scale-down of that service.
 */
export function decide(config: AutoscalerConfig, r: MeasureReadings): { services: Record<string, ServiceObservation>; missingQueues: MissingQueues[] } {
  const allTasks: Owner[] = Object.entries(r.ecs).flatMap(([service, read]) => read.tasks.map((task) => ({ service, task })));
  const ownerOf = new Map<string, Owner | null>();
  for (const node of [...r.inspection.nodes.map((n) => n.node), ...r.inspection.missing]) {
    ownerOf.set(node, allTasks.find((t) => taskForNode(node, [t.task]) !== null) ?? null);
  }
  const draining = new Set(Object.values(r.drains).flatMap((d) => d?.nodes.map((n) => n.node) ?? []));
  const services: Record<string, ServiceObservation> = {};
  const missingQueues: MissingQueues[] = [];
  for (const [name, cfg] of Object.entries(config.services)) {
    const read = r.ecs[name];
    const mine: NodeSnapshot[] = r.inspection.nodes.filter((n) => {
      const owner = ownerOf.get(n.node);
      return owner ? owner.service === name : n.queues.some((q) => cfg.queues.includes(q));
    });
    for (const n of mine) {
      const lacking = cfg.queues.filter((q) => !n.queues.includes(q));
      // A worker ECS is stopping (a drain's released one, after its record went) must not take new work.
      const task = ownerOf.get(n.node)?.task;
      const live = task !== undefined && task.desiredStatus !== 'STOPPED' && task.lastStatus !== 'STOPPED';
      if (lacking.length > 0 && !draining.has(n.node) && live) missingQueues.push({ service: name, node: n.node, queues: lacking });
    }
    services[name] = {
      queues: Object.fromEntries(cfg.queues.map((q) => [q, r.depths[q] ?? 0])),
      nodes: mine.map(({ queues: _consumed, ...n }): NodeObservation => ({ ...n, taskId: ownerOf.get(n.node)?.task.taskId ?? null })),
      missingNodes: missingOf(name, read, mine, r.inspection.missing, ownerOf),
      ecs: read.ecs,
      errors: read.error ? [read.error] : [],
      ...(read.otherAutoscaling ? { otherAutoscaling: read.otherAutoscaling } : {}),
    };
  }
  return { services, missingQueues };
}

function missingOf(service: string, read: EcsRead, mine: NodeSnapshot[], brokerMissing: string[], ownerOf: Map<string, Owner | null>): string[] {
  const missing = brokerMissing.filter((node) => ownerOf.get(node)?.service === service);
  const answered = new Set(mine.map((n) => ownerOf.get(n.node)?.task.taskId).filter((id): id is string => id !== undefined));
  for (const t of read.tasks) {
    if (t.lastStatus === 'RUNNING' && !answered.has(t.taskId) && !missing.some((m) => taskForNode(m, [t]) !== null)) {
      missing.push(`task ${t.taskId} (no worker answered)`);
    }
  }
  return missing;
}

export interface MeasureResult {
  /** The state's output: every service in numbers, a few names at most. */
  measurement: Measurement;
  /** What the planner reads: every worker's tasks and per-task-name counts. */
  observation: Observation;
  /** Nodes given back a queue they had lost (a metric counts them). */
  queuesRestored: number;
}

/** How long a cycle's observation waits in the store for its ComputePlan (retries included). */
export const OBSERVATION_TTL_MS = 15 * 60 * 1000;

/** A service's observation as the console reads it: numbers and a few names. */
export function summarize(obs: ServiceObservation): ServiceMeasurement {
  return {
    queues: obs.queues,
    pending: pendingTotal(obs),
    inFlight: inFlightTotal(obs),
    scheduled: obs.nodes.reduce((a, n) => a + n.scheduled, 0),
    workers: obs.nodes.length,
    missing: obs.missingNodes.length,
    missingNodes: obs.missingNodes.slice(0, NAMES_SHOWN).map((n) => clip(n)),
    ecs: obs.ecs,
    errors: obs.errors.slice(0, NAMES_SHOWN).map((e) => clip(e)),
  };
}

/**
 * Measures without keeping anything (the `plan` command: a dry run writes nothing). Validates
 * the execution input (a bad override fails here, before anything is read or scaled), undoes
 * what a dead cycle left behind (recover.ts), reads the broker and every service's ECS state,
 * and gives every worker outside a drain the queues it lacks (a drain record lost with a
 * broker's data must not leave a paid worker consuming nothing): one `add_consumer` per set of
 * missing queues, to every node that lacks it. The broker being unreadable fails the step
 * (BrokerUnavailableError, retried).
 */
export function* measure(env: Env, rawInput: unknown, execution: string): Step<MeasureResult> {
  const settings = resolveCycleSettings(env.config, rawInput);
  // Repair first, so this cycle measures the fleet as it will really work.
  const recovered = yield* recoverLeftovers(env, settings.dryRun, execution);
  const at = env.now();
  const names = Object.keys(env.config.services);
  const queues = [...new Set(names.flatMap((n) => env.config.services[n].queues))];
  const reads = yield* all<[Inspection, Record<string, number>, ...Attempt<[EcsObservation, EcsTask[]]>[]]>([
    env.workers.inspect({ withQueues: true }),
    env.workers.pending(queues),
    ...names.map((n) => attempt(() => together<[EcsObservation, EcsTask[]]>([env.ecs.describe(n), env.ecs.tasks(n)]))),
  ]);
  const [inspection, depths, ...ecsReads] = reads;
  // Another autoscaler on a service (the runtime caches the answer for minutes): one read per service not allowed one.
  const others = yield* all<Attempt<string | null>[]>(names.map((n) => attempt(() => (env.config.services[n].allowOtherAutoscaling || !env.ecs.otherAutoscaling ? null : env.ecs.otherAutoscaling(n)))));
  // Read after the inspection: a drain records its nodes before it cancels them, so any cancel the
  // inspection saw has its record here, and a node being drained is never given its queues back.
  const drains = yield* call(env.history.drainRecords(names));
  const ecs: Record<string, EcsRead> = {};
  names.forEach((n, i) => {
    const read = ecsReads[i];
    const cfg = env.config.services[n];
    ecs[n] = read.ok ? { ecs: read.value[0], tasks: read.value[1] } : { ecs: null, tasks: [], error: `ECS ${cfg.cluster}/${cfg.service}: ${read.error.name}: ${read.error.message}` };
    const other = others[i];
    if (other.ok && other.value) ecs[n].otherAutoscaling = other.value;
    // Unread is not absent: an error, so no scale-down on it, as for an ECS read that failed.
    if (!other.ok) ecs[n] = { ...ecs[n], error: [ecs[n].error, `${other.error.name}: ${other.error.message}`].filter(Boolean).join('; ') };
  });
  const { services, missingQueues } = decide(env.config, { inspection, depths, ecs, drains });
  let queuesRestored = 0;
  for (const group of groupRepairs(missingQueues)) {
    const { service, queues: lacking } = group[0];
    const nodes = group.map((m) => m.node);
    if (settings.dryRun) {
      recovered.push(clip(`${service}: would give ${lacking.join(', ')} back to ${nodes.length} worker(s) that lack them outside any drain: ${named(nodes)}`));
      continue;
    }
    const given = yield* call(env.workers.add(lacking, nodes));
    queuesRestored += given.confirmed.length;
    const silent = given.unconfirmed.length > 0 ? `; no confirmation yet from ${named(given.unconfirmed)} (next cycle checks again)` : '';
    recovered.push(clip(`${service}: gave ${lacking.join(', ')} back to ${given.confirmed.length} of ${nodes.length} worker(s) that lacked them outside any drain: ${named(nodes)}${silent}`));
  }
  const cycle = { execution, at, dryRun: settings.dryRun, skipCooldown: settings.skipCooldown, ...(settings.note ? { note: settings.note } : {}) };
  const measurement: Measurement = {
    cycle,
    input: rawInput ?? {},
    services: Object.fromEntries(Object.entries(services).map(([n, o]) => [n, summarize(o)])),
    ...(recovered.length > 0 ? { recovered: recovered.slice(0, RECOVERED_LINES) } : {}),
  };
  return { measurement, observation: { at, services }, queuesRestored };
}

/** Repairs grouped by service and the queues missing: one broadcast per group, not one wait per node. */
function groupRepairs(missing: MissingQueues[]): MissingQueues[][] {
  const groups = new Map<string, MissingQueues[]>();
  for (const m of missing) {
    const key = [m.service, ...m.queues].join('\n');
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()];
}

/**
 * MeasureQueues: measures (above), then keeps the per-worker observation in the state store under
 * the execution's name for ComputePlan, and passes on the numbers alone.
 */
export function* measureQueues(env: Env, rawInput: unknown, execution: string): Step<MeasureResult> {
  const result = yield* measure(env, rawInput, execution);
  yield* call(env.history.saveObservation(execution, result.observation, OBSERVATION_TTL_MS));
  return result;
}
