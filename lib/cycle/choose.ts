import type { EcsTask } from '../ecs';

export interface DrainCandidate {
  node: string;
  taskId: string | null;
  active: number;
  reserved: number;
  /** How long its longest-running active task has run, seconds. */
  longestActiveSeconds?: number;
  /** Its task slots; 1 when unknown. */
  concurrency?: number | null;
}

/**
 * Seconds until a node would be empty, roughly. A typical task takes concurrency × 60 / μ
 * seconds. The longest-running task: one that has run more than twice that is an outlier, a
 * long task among short ones, and is taken to run about as long again; otherwise it is a typical
 * task with the typical time minus what it has run left (at least a tenth of it: a running task
 * never ties with an idle worker, which always drains first). Every other task it holds adds its
 * share of the slots' time (60 / μ). Counting tasks alone drained the worker with one 60 s task
 * rather than one with four 200 ms tasks; elapsed time alone drained the newest of uniform long
 * tasks, the one with the most left.
 */
export function drainSecondsEstimate(n: DrainCandidate, perWorkerPerMinute: number): number {
  const perTask = 60 / perWorkerPerMinute;
  const typical = (n.concurrency ?? 1) * perTask;
  if (n.active === 0) return n.reserved * perTask;
  const ran = n.longestActiveSeconds ?? 0;
  const longest = ran > 2 * typical ? ran : Math.max(typical / 10, typical - ran);
  return longest + (n.active - 1 + n.reserved) * perTask;
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
