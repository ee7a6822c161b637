import type { CeleryEvent } from '../celery/events';
import { CSV_HEADER, type TraceTask } from './trace';

/** Where a recorded task's arrival came from. */
export type ArrivalSource = 'task-sent' | 'task-received';

export interface RecordedTask extends TraceTask {
  id: string;
  source: ArrivalSource;
  /** The queue came from the task-sent event, or from the one queue its worker consumes, or was guessed among several. */
  queueFrom: 'task-sent' | 'worker' | 'guessed';
}

interface Seen {
  sent?: CeleryEvent;
  received?: CeleryEvent;
  started?: CeleryEvent;
}

/** What the recording saw, for the file's `#` header and the closing line. */
export interface RecordCounts {
  recorded: number;
  bySource: Record<ArrivalSource, number>;
  sentEvents: number;
  workerEvents: number;
  /** Tasks that finished without their arrival in the recording (sent before it began). */
  arrivedBefore: number;
  /** Failed tasks without a task-started to time them from. */
  untimed: number;
  /** Tasks whose queue was guessed (their worker consumes several queues and no task-sent said). */
  guessedQueue: number;
  /** Tasks with no queue at all (no task-sent, and the worker's queues unknown). */
  noQueue: number;
}

/**
 * Turns Celery's task events into the simulator's rows, one as each task finishes (pure: the
 * events and the worker's queues in, rows out). Arrival is `task-sent`'s timestamp (the producer
 * needs `task_send_sent_event`), else `task-received`'s (the worker's `-E`); both are epoch seconds,
 * made relative to `startedAt`. The duration is `task-succeeded`'s `runtime`; `task-failed` carries
 * none (celery/worker/request.py `on_failure`), so a failure is timed from its `task-started`.
 * The queue is task-sent's `routing_key`; with task-received only, the queue its worker consumes.
 */
export class TraceRecorder {
  private readonly seen = new Map<string, Seen>();
  readonly counts: RecordCounts = { recorded: 0, bySource: { 'task-sent': 0, 'task-received': 0 }, sentEvents: 0, workerEvents: 0, arrivedBefore: 0, untimed: 0, guessedQueue: 0, noQueue: 0 };

  constructor(private readonly startedAt: number) {}

  /** Tasks seen so far (any event naming them), for the status line. */
  tasksSeen = 0;

  /**
   * One event; returns the finished task's row, if this event finished one. `queuesOf` answers the
   * queues a worker consumes (undefined when unknown).
   */
  add(e: CeleryEvent, queuesOf: (hostname: string) => string[] | undefined): RecordedTask | null {
    if (!e.type.startsWith('task-') || typeof e.uuid !== 'string') return null;
    if (e.type === 'task-sent') this.counts.sentEvents += 1;
    else this.counts.workerEvents += 1;
    let s = this.seen.get(e.uuid);
    if (!s) {
      this.seen.set(e.uuid, (s = {}));
      this.tasksSeen += 1;
    }
    if (e.type === 'task-sent') s.sent = e;
    else if (e.type === 'task-received') s.received = e;
    else if (e.type === 'task-started') s.started = e;
    else if (e.type === 'task-succeeded' || e.type === 'task-failed') return this.finish(e.uuid, s, e, queuesOf);
    else if (e.type === 'task-revoked' || e.type === 'task-rejected') this.seen.delete(e.uuid);
    return null;
  }

  private finish(id: string, s: Seen, end: CeleryEvent, queuesOf: (hostname: string) => string[] | undefined): RecordedTask | null {
    this.seen.delete(id);
    const arrivedBy = s.sent ?? s.received;
    if (!arrivedBy) {
      this.counts.arrivedBefore += 1;
      return null;
    }
    let duration: number;
    if (typeof end.runtime === 'number') duration = end.runtime;
    else if (s.started) duration = end.timestamp - s.started.timestamp;
    else {
      this.counts.untimed += 1;
      return null;
    }
    let queue = s.sent?.routing_key ?? s.sent?.queue;
    let queueFrom: RecordedTask['queueFrom'] = 'task-sent';
    if (!queue) {
      const host = end.hostname ?? s.received?.hostname;
      const queues = host ? queuesOf(host) : undefined;
      if (!queues || queues.length === 0) {
        this.counts.noQueue += 1;
        return null;
      }
      queue = queues[0];
      queueFrom = queues.length === 1 ? 'worker' : 'guessed';
      if (queueFrom === 'guessed') this.counts.guessedQueue += 1;
    }
    const source: ArrivalSource = s.sent ? 'task-sent' : 'task-received';
    this.counts.recorded += 1;
    this.counts.bySource[source] += 1;
    return { id, arrival: Math.max(0, arrivedBy.timestamp - this.startedAt), queue, duration: Math.max(0, duration), source, queueFrom };
  }
}

const n3 = (x: number): string => String(Math.round(x * 1000) / 1000);

/** One CSV row of the simulator's trace format. */
export const traceRow = (t: TraceTask): string => `${n3(t.arrival)},${t.queue},${n3(t.duration)}`;

/**
 * The `#` lines that open a recorded file: when and where it was recorded, where arrivals came
 * from, and, when events were missing, exactly which Celery settings to turn on.
 */
export function recordHeader(c: RecordCounts, meta: { startedAt: number; seconds: number; broker: string }): string[] {
  const lines = [`# recorded by celery-autoscaler record from ${meta.broker}, ${new Date(meta.startedAt * 1000).toISOString()}, ${Math.round(meta.seconds)} s; arrival_s counts from the start of the recording`];
  const { 'task-sent': sent, 'task-received': received } = c.bySource;
  if (c.recorded === 0) lines.push('# arrival: no task finished during the recording');
  else if (received === 0) lines.push(`# arrival: when the task was sent (task-sent) for all ${sent} tasks`);
  else if (sent === 0) lines.push(`# arrival: when a worker received the task (task-received) for all ${received} tasks: time spent waiting in the queue before a worker took it is not in this trace`);
  else lines.push(`# arrival: when sent (task-sent) for ${sent} tasks, when a worker received it (task-received) for ${received} (their producers send no task-sent)`);
  if (c.workerEvents === 0) lines.push('# no worker events were seen: start the workers with -E (or set worker_send_task_events = True) so they send task-received/task-succeeded/task-failed');
  if (c.sentEvents === 0) lines.push('# no task-sent events were seen: set task_send_sent_event = True in the apps that send tasks, for arrival = when a task was sent and its queue from the message');
  if (c.guessedQueue > 0) lines.push(`# ${c.guessedQueue} tasks had no task-sent and ran on a worker consuming several queues: their queue is that worker's first (task_send_sent_event = True names the queue)`);
  if (c.noQueue > 0) lines.push(`# ${c.noQueue} tasks left out: no task-sent and their worker did not say which queues it consumes`);
  if (c.arrivedBefore > 0) lines.push(`# ${c.arrivedBefore} tasks left out: they were sent before the recording began`);
  if (c.untimed > 0) lines.push(`# ${c.untimed} failed tasks left out: no task-started to time them from`);
  return [...lines, CSV_HEADER];
}
