import type { EcsTask } from '../ecs';

export interface DrainCandidate {
  node: string;
  taskId: string | null;
  active: number;
  reserved: number;
}

/**
 * Which k nodes to drain: only nodes that run in a RUNNING task of the service (others can't be
 * removed precisely), fewest active + reserved tasks first (shortest drain), then the newest
 * task (least warmed-up), then by name so the choice is deterministic.
 */
export function chooseDrainNodes(nodes: DrainCandidate[], tasks: EcsTask[], k: number): { node: string; task: EcsTask }[] {
  if (k <= 0) return [];
  const byId = new Map(tasks.filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus !== 'STOPPED').map((t) => [t.taskId, t]));
  return nodes
    .filter((n) => n.taskId !== null && byId.has(n.taskId))
    .map((n) => ({ n, task: byId.get(n.taskId as string) as EcsTask }))
    .sort((a, b) =>
      a.n.active + a.n.reserved - (b.n.active + b.n.reserved)
      || (b.task.startedAt ?? 0) - (a.task.startedAt ?? 0)
      || a.n.node.localeCompare(b.n.node))
    .slice(0, k)
    .map(({ n, task }) => ({ node: n.node, task }));
}
