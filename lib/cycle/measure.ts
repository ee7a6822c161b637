import type { NodeSnapshot } from '../celery/inspect';
import { measureBroker } from '../celery/measure';
import { resolveCycleSettings } from '../config';
import { taskForNode, type EcsTask } from '../ecs';
import type { EcsObservation, NodeObservation, ServiceObservation } from '../observation';
import type { Runtime } from '../runtime';
import type { Measurement } from './payloads';
import { recoverLeftovers } from './recover';

interface Owner {
  service: string;
  task: EcsTask;
}

interface EcsRead {
  service: string;
  ecs: EcsObservation | null;
  tasks: EcsTask[];
  error?: string;
}

/**
 * MeasureQueues: validates the execution input (a bad override fails here, before anything is
 * read or scaled), undoes what a dead cycle left behind (recover.ts), then reads the broker
 * once and every service's ECS state.
 * The broker being unreadable fails the step (BrokerUnavailableError); an ECS read that fails
 * is recorded in the service's `errors`, which forbids a scale-down of that service.
 */
export async function measureCycle(rt: Runtime, rawInput: unknown, execution: string): Promise<Measurement> {
  const settings = resolveCycleSettings(rt.config, rawInput);
  // Repair first, so this cycle measures the fleet as it will really work.
  const recovered = await recoverLeftovers(rt, settings.dryRun, execution);
  const at = rt.now();
  const names = Object.keys(rt.config.services);
  const [broker, ecsReads] = await Promise.all([
    measureBroker(rt.redis, rt.config, rt.control, { withQueues: false }),
    Promise.all(names.map((name) => readEcs(rt, name))),
  ]);
  const allTasks = ecsReads.flatMap((r) => r.tasks.map((t) => ({ service: r.service, task: t })));
  // Which ECS task (and so which service) each node runs in, looked up once for every service.
  const ownerOf = new Map<string, Owner | null>([...broker.nodes.map((n) => n.node), ...broker.missing].map((node) => [node, allTasks.find((t) => taskForNode(node, [t.task]) !== null) ?? null]));
  // Only a node that maps to no ECS task is attributed by its queues: ask those nodes alone.
  const unmapped = broker.nodes.filter((n) => ownerOf.get(n.node) === null);
  if (unmapped.length > 0) {
    const queues = await rt.control.activeQueues({ destination: unmapped.map((n) => n.node) });
    for (const n of unmapped) n.queues = (queues.replies[n.node] ?? []).map((q) => q.name);
  }
  const services: Record<string, ServiceObservation> = {};
  for (const read of ecsReads) {
    services[read.service] = attribute(read, broker.nodes, broker.missing, ownerOf, rt.config.services[read.service].queues, broker.queues[read.service] ?? {});
  }
  return {
    cycle: { execution, at, dryRun: settings.dryRun, skipCooldown: settings.skipCooldown, ...(settings.note ? { note: settings.note } : {}) },
    input: rawInput ?? {},
    services,
    ...(recovered.length > 0 ? { recovered } : {}),
  };
}

async function readEcs(rt: Runtime, name: string): Promise<EcsRead> {
  const cfg = rt.config.services[name];
  const svc = rt.ecs(cfg.cluster, cfg.service);
  try {
    const [ecs, tasks] = await Promise.all([svc.describe(), svc.tasks()]);
    const { desired, running, pending, deploymentInProgress } = ecs;
    return { service: name, ecs: { desired, running, pending, deploymentInProgress }, tasks };
  } catch (e) {
    return { service: name, ecs: null, tasks: [], error: `ECS ${cfg.cluster}/${cfg.service}: ${(e as Error).name}: ${(e as Error).message}` };
  }
}

/**
 * A node belongs to the service whose ECS task it runs in; a node that maps to no task belongs
 * to the service whose queues it consumes (it is measured, but never chosen for a drain).
 * A running task with no answering node is reported missing: its worker may be busy or broken.
 */
function attribute(
  read: EcsRead,
  nodes: NodeSnapshot[],
  brokerMissing: string[],
  ownerOf: Map<string, Owner | null>,
  queues: string[],
  pending: Record<string, number>,
): ServiceObservation {
  const mine: NodeObservation[] = [];
  const answeredTasks = new Set<string>();
  for (const n of nodes) {
    const owner = ownerOf.get(n.node);
    const belongs = owner ? owner.service === read.service : n.queues.some((q) => queues.includes(q));
    if (!belongs) continue;
    if (owner) answeredTasks.add(owner.task.taskId);
    mine.push({ node: n.node, taskId: owner?.task.taskId ?? null, active: n.active, reserved: n.reserved, scheduled: n.scheduled, processed: n.processed, longestActiveSeconds: n.longestActiveSeconds, concurrency: n.concurrency });
  }
  const missingNodes = brokerMissing.filter((node) => ownerOf.get(node)?.service === read.service);
  for (const t of read.tasks) {
    if (t.lastStatus === 'RUNNING' && !answeredTasks.has(t.taskId) && !missingNodes.some((m) => taskForNode(m, [t]) !== null)) {
      missingNodes.push(`task ${t.taskId} (no worker answered)`);
    }
  }
  const errors = read.error ? [read.error] : [];
  return { queues: pending, nodes: mine, missingNodes, ecs: read.ecs, errors };
}
