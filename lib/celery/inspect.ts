import type { CeleryControl, ControlResult } from './control';

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

/** celery/worker/control.py stats(): `pool['max-concurrency']`, for prefork, threads and solo alike. */
function concurrencyOf(stats: unknown): number | null {
  const c = (stats as { pool?: { 'max-concurrency'?: unknown } } | undefined)?.pool?.['max-concurrency'];
  return typeof c === 'number' && c > 0 ? c : null;
}

/** celery/worker/control.py stats(): `total` is {task name: completed count}. */
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
export async function inspectNodes(control: CeleryControl, opts: InspectOptions = {}): Promise<Inspection> {
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
    });
  }
  const expected = all.reduce((a, r) => Math.max(a, r.expected), -Infinity);
  const unanswered = opts.destination ? 0 : Math.max(0, expected - seen.size);
  return { nodes, missing, unanswered };
}
