import type { EcsTask } from '../ecs';

export interface DrainCandidate {
  node: string;
  taskId: string | null;
  active: number;
  reserved: number;
  /** How long its longest-running active task has run, seconds. */
  longestActiveSeconds?: number;
}

/**
 * Seconds until a node would be empty, roughly: its longest-running task is expected to run
 * about as long again (a task that has run 40 s is likely a long one), and the tasks it holds
 * take their count at the service's throughput. Counting tasks alone picks the node with one
 * 20-minute task over one with four 200 ms tasks.
 */
export function drainSecondsEstimate(n: DrainCandidate, perWorkerPerMinute: number): number {
  return Math.max(n.longestActiveSeconds ?? 0, ((n.active + n.reserved) * 60) / perWorkerPerMinute);
}

/**
 * Which k nodes to drain: only nodes that run in a RUNNING task of the service (others can't be
 * removed precisely), the quickest to empty first (drainSecondsEstimate), then the newest task
 * (least warmed-up), then by name so the choice is deterministic.
 */
export function chooseDrainNodes(nodes: DrainCandidate[], tasks: EcsTask[], k: number, perWorkerPerMinute: number): { node: string; task: EcsTask }[] {
  if (k <= 0) return [];
  const byId = new Map(tasks.filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus !== 'STOPPED').map((t) => [t.taskId, t]));
  return nodes
    .filter((n) => n.taskId !== null && byId.has(n.taskId))
    .map((n) => ({ n, task: byId.get(n.taskId as string) as EcsTask, eta: drainSecondsEstimate(n, perWorkerPerMinute) }))
    .sort((a, b) =>
      a.eta - b.eta
      || (b.task.startedAt ?? 0) - (a.task.startedAt ?? 0)
      || a.n.node.localeCompare(b.n.node))
    .slice(0, k)
    .map(({ n, task }) => ({ node: n.node, task }));
}
