import type { Inspection, NodeSnapshot } from '../celery/inspect';
import { resolveCycleSettings, type AutoscalerConfig } from '../config';
import { taskForNode, type EcsTask } from '../ecs';
import type { EcsObservation, NodeObservation, ServiceObservation } from '../observation';
import type { DrainRecord } from '../state/store';
import type { Measurement } from './payloads';
import { all, attempt, call, together, type Attempt, type Env, type Step } from './ports';
import { recoverLeftovers } from './recover';

export interface EcsRead {
  ecs: EcsObservation | null;
  tasks: EcsTask[];
  error?: string;
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
  measurement: Measurement;
  /** Nodes given back a queue they had lost (a metric counts them). */
  queuesRestored: number;
}

/**
 * MeasureQueues: validates the execution input (a bad override fails here, before anything is
 * read or scaled), undoes what a dead cycle left behind (recover.ts), reads the broker and every
 * service's ECS state, and gives every worker outside a drain the queues it lacks (a drain
 * record lost with a broker's data must not leave a paid worker consuming nothing).
 * The broker being unreadable fails the step (BrokerUnavailableError, retried).
 */
export function* measureQueues(env: Env, rawInput: unknown, execution: string): Step<MeasureResult> {
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
  // Read after the inspection: a drain records its nodes before it cancels them, so any cancel the
  // inspection saw has its record here, and a node being drained is never given its queues back.
  const drains = yield* call(env.history.drainRecords(names));
  const ecs: Record<string, EcsRead> = {};
  names.forEach((n, i) => {
    const read = ecsReads[i];
    const cfg = env.config.services[n];
    ecs[n] = read.ok ? { ecs: read.value[0], tasks: read.value[1] } : { ecs: null, tasks: [], error: `ECS ${cfg.cluster}/${cfg.service}: ${read.error.name}: ${read.error.message}` };
  });
  const { services, missingQueues } = decide(env.config, { inspection, depths, ecs, drains });
  let queuesRestored = 0;
  if (settings.dryRun) {
    for (const m of missingQueues) recovered.push(`${m.service}: would give ${m.queues.join(', ')} back to ${m.node}, which lacks them outside any drain`);
  } else if (missingQueues.length > 0) {
    // One add_consumer per distinct queue, addressed to every node lacking it, all at once: a
    // call per node waited up to the control timeout each, which at a fleet's size outlasts the step.
    const lacking = new Map<string, string[]>();
    for (const m of missingQueues) for (const q of m.queues) lacking.set(q, [...(lacking.get(q) ?? []), m.node]);
    const repairs = [...lacking];
    const given = yield* all(repairs.map(([q, nodes]) => env.workers.add([q], nodes)));
    const confirmedFor = new Map(repairs.map(([q], i) => [q, new Set(given[i].confirmed)]));
    for (const m of missingQueues) {
      // A node is restored when it confirmed every queue it lacked.
      const confirmed = m.queues.every((q) => confirmedFor.get(q)?.has(m.node));
      if (confirmed) queuesRestored += 1;
      recovered.push(`${m.service}: gave ${m.queues.join(', ')} back to ${m.node}${confirmed ? '' : ' (no confirmation yet; next cycle checks again)'}: it lacked them outside any drain`);
    }
  }
  const measurement: Measurement = {
    cycle: { execution, at, dryRun: settings.dryRun, skipCooldown: settings.skipCooldown, ...(settings.note ? { note: settings.note } : {}) },
    input: rawInput ?? {},
    services,
    ...(recovered.length > 0 ? { recovered } : {}),
  };
  return { measurement, queuesRestored };
}
