import type { ControlResult, RemoteControl } from './control';

export interface NodeSnapshot {
  node: string;
  active: number;
  reserved: number;
  scheduled: number;
  /** Tasks completed since the worker started: the sum of `stats().total`, null if unknown. */
  processed: number | null;
  /** Queues the node consumes now (`active_queues`). */
  queues: string[];
  /** How long its longest-running active task has run (0 when idle): a drain-time estimate. */
  longestActiveSeconds: number;
  /** Task slots (`stats().pool['max-concurrency']`), null if unknown. */
  concurrency: number | null;
  /** Tasks started per task name since the worker started (`stats().total`; counted when accepted). */
  totals?: Record<string, number>;
  /** Active tasks per task name (`active` → `name`). */
  activeByTask: Record<string, number>;
  /** The queue each active task's name came from (`active` → `delivery_info.routing_key`). */
  taskQueues: Record<string, string>;
}

export interface Inspection {
  nodes: NodeSnapshot[];
  /** Nodes that answered some commands but not all: neither idle nor counted. */
  missing: string[];
  /** Listeners that never answered at all (a broadcast only knows how many). */
  unanswered: number;
}

const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/** celery/worker/request.py Request.info(): an active task's `time_start` is epoch seconds (null until started). */
function longestRunning(active: unknown, nowSeconds: number): number {
  if (!Array.isArray(active)) return 0;
  const starts = active.map((t) => (t as { time_start?: unknown }).time_start).filter((s): s is number => typeof s === 'number');
  return starts.length === 0 ? 0 : Math.max(0, Math.round(nowSeconds - starts.reduce((a, b) => Math.min(a, b))));
}

/** celery/worker/request.py Request.info(): each active task's `name` and `delivery_info.routing_key` (its queue). */
function activeTasks(active: unknown): Pick<NodeSnapshot, 'activeByTask' | 'taskQueues'> {
  const activeByTask: Record<string, number> = {};
  const taskQueues: Record<string, string> = {};
  for (const t of Array.isArray(active) ? active : []) {
    const { name, delivery_info: info } = t as { name?: unknown; delivery_info?: { routing_key?: unknown } };
    if (typeof name !== 'string') continue;
    activeByTask[name] = (activeByTask[name] ?? 0) + 1;
    if (typeof info?.routing_key === 'string') taskQueues[name] = info.routing_key;
  }
  return { activeByTask, taskQueues };
}

/** celery/worker/control.py stats(): `total` is {task name: tasks accepted}, only numbers kept. */
function totalsOf(stats: unknown): Record<string, number> | undefined {
  const total = (stats as { total?: Record<string, unknown> } | undefined)?.total;
  if (!total || typeof total !== 'object') return undefined;
  return Object.fromEntries(Object.entries(total).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

/** celery/worker/control.py stats(): `pool['max-concurrency']`, for prefork, threads and solo alike. */
function concurrencyOf(stats: unknown): number | null {
  const c = (stats as { pool?: { 'max-concurrency'?: unknown } } | undefined)?.pool?.['max-concurrency'];
  return typeof c === 'number' && c > 0 ? c : null;
}

/** celery/worker/control.py stats(): `total` is {task name: count}, counted when a task is accepted (celery/worker/state.py task_accepted). */
function processedOf(stats: unknown): number | null {
  const total = (stats as { total?: Record<string, unknown> } | undefined)?.total;
  if (!total || typeof total !== 'object') return null;
  return Object.values(total).reduce<number>((a, v) => a + (typeof v === 'number' ? v : 0), 0);
}

export interface InspectOptions {
  destination?: string[];
  timeoutMs?: number;
  /**
   * Ask `active_queues` too (default). Each command costs every worker a reply; a cycle whose
   * nodes all map to ECS tasks has no use for their queues, so it skips them (`queues: []`).
   */
  withQueues?: boolean;
}

/**
 * Each worker's active, reserved and scheduled tasks, processed total and queues, asked
 * concurrently. A node that does not answer every command is reported, never assumed idle.
 */
export async function inspectNodes(control: RemoteControl, opts: InspectOptions = {}): Promise<Inspection> {
  const { withQueues = true, ...call } = opts;
  const none: ControlResult<{ name: string }[]> = { replies: {}, missing: [], expected: 0 };
  const [active, reserved, scheduled, stats, queues] = await Promise.all([
    control.active(call), control.reserved(call), control.scheduled(call), control.stats(call), withQueues ? control.activeQueues(call) : none,
  ]);
  const all: ControlResult<unknown>[] = withQueues ? [active, reserved, scheduled, stats, queues] : [active, reserved, scheduled, stats];
  const seen = new Set(all.flatMap((r) => Object.keys(r.replies)));
  for (const n of opts.destination ?? []) seen.add(n);
  const nodes: NodeSnapshot[] = [];
  const missing: string[] = [];
  for (const node of [...seen].sort()) {
    if (!all.every((r) => node in r.replies)) {
      missing.push(node);
      continue;
    }
    nodes.push({
      node,
      active: count(active.replies[node]),
      reserved: count(reserved.replies[node]),
      scheduled: count(scheduled.replies[node]),
      processed: processedOf(stats.replies[node]),
      queues: (queues.replies[node] ?? []).map((q) => q.name),
      longestActiveSeconds: longestRunning(active.replies[node], Date.now() / 1000),
      concurrency: concurrencyOf(stats.replies[node]),
      totals: totalsOf(stats.replies[node]),
      ...activeTasks(active.replies[node]),
    });
  }
  const expected = all.reduce((a, r) => Math.max(a, r.expected), -Infinity);
  const unanswered = opts.destination ? 0 : Math.max(0, expected - seen.size);
  return { nodes, missing, unanswered };
}
