/**
 * The soak's invariants, as pure checks over what the soak observes: one snapshot
 * per cycle (a tick of the schedule), and the task accounting at the end. No processes here,
 * so the checker has its own fast table test.
 */

export interface WorkerView {
  node: string;
  taskId: string;
  /** Queues the worker consumes (`active_queues`); null when it did not answer (frozen, busy solo pool). */
  queues: string[] | null;
}

export interface ServiceView {
  minWorkers: number;
  maxWorkers: number;
  hardMaxWorkers: number;
  /** The service's queues: every worker outside a live drain must consume all of them. */
  queues: string[];
  desired: number;
  /** Live ECS tasks (desired RUNNING) with their workers' answers. */
  workers: WorkerView[];
  /** Nodes in the service's drain record; null when the broker could not be read. */
  drainRecord: string[] | null;
  /** The service lock: its holder and milliseconds left (-1: no expiry); null when free. */
  lock: { holder: string; pttlMs: number } | null;
  /** Task ids with ECS scale-in protection on now. */
  protectedTasks: string[];
  /** Task ids ECS stopped for scale-in since the last snapshot, with the node's running task keys then. */
  stoppedByScaleIn: { taskId: string; runningKeys: string[] }[];
}

export interface Snapshot {
  at: number;
  /** The tick (cycle) this snapshot closes. */
  cycle: number;
  services: Record<string, ServiceView>;
  /** Every ECS task id some ScaleDown was given to drain, so far. */
  drained: ReadonlySet<string>;
  /** Executions that have ended, by name → end time. */
  ended: ReadonlyMap<string, number>;
}

export interface Violation {
  cycle: number;
  invariant: string;
  detail: string;
}

export interface InvariantOptions {
  lockLeaseMs: number;
  /** Cycles a worker may go without its queues, or a protection without its drain, before it is a violation. */
  graceCycles: number;
}

/** Counts, per service and subject, for how many consecutive cycles a condition held. */
type Streaks = Map<string, number>;

export class InvariantChecker {
  readonly violations: Violation[] = [];
  private queueStreaks: Streaks = new Map();
  private protectionStreaks: Streaks = new Map();

  constructor(private readonly opts: InvariantOptions) {}

  /** Checks one cycle's snapshot; returns the violations it found (also kept in `violations`). */
  check(s: Snapshot): Violation[] {
    const found: Violation[] = [];
    const add = (invariant: string, detail: string) => found.push({ cycle: s.cycle, invariant, detail });
    const nextQueues: Streaks = new Map();
    const nextProtection: Streaks = new Map();
    for (const [name, v] of Object.entries(s.services)) {
      if (v.desired < v.minWorkers || v.desired > v.maxWorkers || v.desired > v.hardMaxWorkers) {
        add('desired within bounds', `${name}: desired ${v.desired} outside [${v.minWorkers}, ${v.maxWorkers}] (hard max ${v.hardMaxWorkers})`);
      }
      for (const st of v.stoppedByScaleIn) {
        if (!s.drained.has(st.taskId)) add('ECS stops only drained workers', `${name}: ECS stopped task ${st.taskId}, which no drain had emptied`);
        if (st.runningKeys.length > 0) add('ECS stops only drained workers', `${name}: ECS stopped task ${st.taskId} while it ran ${st.runningKeys.join(', ')}`);
      }
      const liveDrain = v.lock !== null && v.drainRecord !== null ? new Set(v.drainRecord) : new Set<string>();
      for (const w of v.workers) {
        const key = `${name}/${w.node}`;
        // No answer (frozen, busy) says nothing either way: the streak is carried, not reset.
        if (w.queues === null && this.queueStreaks.has(key)) nextQueues.set(key, this.queueStreaks.get(key) as number);
        if (w.queues === null || liveDrain.has(w.node)) continue;
        const missing = v.queues.filter((q) => !(w.queues as string[]).includes(q));
        if (missing.length === 0) continue;
        const n = (this.queueStreaks.get(key) ?? 0) + 1;
        nextQueues.set(key, n);
        if (n === this.opts.graceCycles + 1) add('workers keep their queues', `${name}: ${w.node} outside a live drain has consumed nothing from ${missing.join(', ')} for ${n} cycles`);
      }
      if (v.lock) {
        const { holder, pttlMs } = v.lock;
        if (pttlMs === -1 || pttlMs > this.opts.lockLeaseMs) add('no lock past its lease', `${name}: lock of ${holder} has ${pttlMs === -1 ? 'no expiry' : `${pttlMs} ms left, more than the ${this.opts.lockLeaseMs} ms lease`}`);
        const endedAt = s.ended.get(holder);
        if (endedAt !== undefined && s.at - endedAt > this.opts.lockLeaseMs + 1000) add('no lock past its lease', `${name}: ${holder} ended ${Math.round((s.at - endedAt) / 1000)} s ago and still holds the lock`);
      }
      // Protection belongs to a cycle that holds the service; without one, only a drain record explains it.
      if (v.protectedTasks.length > 0 && v.lock === null && (v.drainRecord === null || v.drainRecord.length === 0)) {
        const n = (this.protectionStreaks.get(name) ?? 0) + 1;
        nextProtection.set(name, n);
        if (n === this.opts.graceCycles + 1) add('no protection without its cycle', `${name}: ${v.protectedTasks.length} task(s) protected for ${n} cycles with no cycle holding the service and no drain record`);
      }
    }
    this.queueStreaks = nextQueues;
    this.protectionStreaks = nextProtection;
    this.violations.push(...found);
    return found;
  }

  /** The fleet is back at its minimum within the allowed time after the load and the faults ended. */
  checkReturnToMinimum(o: { cycle: number; quietSince: number; reachedAt: number | null; allowedMs: number; now: number }): Violation[] {
    const late = o.reachedAt === null ? o.now - o.quietSince > o.allowedMs : o.reachedAt - o.quietSince > o.allowedMs;
    if (!late) return [];
    const v = { cycle: o.cycle, invariant: 'back to the minimum fleet', detail: `not at the minimum ${Math.round(o.allowedMs / 1000)} s after the load and the faults ended${o.reachedAt === null ? '' : ` (reached after ${Math.round((o.reachedAt - o.quietSince) / 1000)} s)`}` };
    this.violations.push(v);
    return [v];
  }
}

/** What the fault itself destroyed, by fault: a SIGKILLed worker's running task, a broker wiped of its messages. */
export type LostToFault = ReadonlyMap<string, string>;

export interface TaskAccount {
  sent: number;
  completed: number;
  /** Never completed and not destroyed by a fault: the autoscaler's loss. */
  lost: string[];
  /** Fault name → task keys it destroyed (and that never completed). */
  lostToFault: Record<string, string[]>;
  /** Waiting in kombu's `unacked` for redelivery after visibility_timeout, when a fault took their worker or broker. */
  waitingInUnacked: string[];
  /** Run more than once, and not by a broker's redelivery after a fault broke the connection that held the message: the autoscaler's. */
  runTwice: string[];
  /** Fault name → task keys run again because the broker redelivered them after it (see `redeliveredByFaults`). */
  runTwiceByFault: Record<string, string[]>;
}

/** A broker fault's stop: when it began, when the broker answered again, and whether it came back empty. */
export interface BrokerStop { fault: string; at: number; upAt: number; wiped: boolean }

/**
 * What killed workers and stopped brokers destroyed beyond what a fault read at its instant,
 * decided from the fixture's record of the last worker to take each task (`received`, written in
 * the worker's main process before the task can be acknowledged) once the run is over. A task
 * never completed, not already blamed on a fault and not waiting in `unacked` (taken, not
 * acknowledged: delivered again later) is destroyed by:
 * - the fault that killed the worker that took it last;
 * - a broker that came back empty after a worker took it but before it started: the worker drops
 *   what it holds unstarted when its connection breaks (celery/worker/consumer/consumer.py
 *   `on_close`), and its `unacked` entry was wiped;
 * - when no worker ever took it yet it left the queues: the fault whose worker was stopped
 *   meanwhile (`popped`), else a broker stop after it was published. kombu takes a message with
 *   BRPOP and records it in `unacked` with a second command (kombu/transport/redis.py
 *   `Channel._brpop_read`, `QoS.append`); a broker or worker stopped between the two leaves it
 *   nowhere, and the autoscaler never takes messages.
 * Anything else stays the autoscaler's loss: a task taken by a worker no fault killed, or started
 * and never finished, or taken after a kill by another worker, is never blamed on a fault.
 */
export function destroyedByFaults(o: {
  sent: string[];
  completions: Record<string, number>;
  lostToFault: LostToFault;
  received: Record<string, string>;
  receivedAt: Record<string, string>;
  running: Record<string, string>;
  publishedAt: ReadonlyMap<string, number>;
  killed: ReadonlyMap<string, string>;
  popped: ReadonlyMap<string, string>;
  brokerStops: readonly BrokerStop[];
  inUnacked: ReadonlySet<string>;
}): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of o.sent) {
    if ((o.completions[k] ?? 0) >= 1 || o.lostToFault.has(k) || o.inUnacked.has(k)) continue;
    const by = o.received[k];
    let fault: string | undefined;
    if (by !== undefined) {
      fault = o.killed.get(by);
      // Taken before the wiped broker answered again: it came from the data the wipe destroyed.
      const at = Number(o.receivedAt[k]) * 1000;
      if (!fault && !(k in o.running)) fault = o.brokerStops.find((s) => s.wiped && at < s.upAt && (o.publishedAt.get(k) ?? Infinity) <= s.at)?.fault;
    } else {
      fault = o.popped.get(k) ?? o.brokerStops.find((s) => (o.publishedAt.get(k) ?? Infinity) <= s.at)?.fault;
    }
    if (fault) out.set(k, fault);
  }
  return out;
}

/**
 * Tasks run more than once because a fault broke the connection that held them (RabbitMQ). With
 * acks on start a worker acknowledges a task as its pool starts it; a connection broken before the
 * ack reached the broker (a broker restart, connections closed, a consumer cancelled by a deleted
 * queue, the worker killed) makes the broker deliver the message again, flagged `redelivered`, and
 * the task runs again: Celery's at-least-once delivery, not the autoscaler, which never takes a
 * message. A key is counted so only when every run past its first came from a redelivered message
 * (the fixture counts those, local/celery/tasks.py) and a connection-breaking fault landed before
 * its last delivery; the latest such fault is named.
 */
export function redeliveredByFaults(o: {
  completions: Record<string, number>;
  redelivered: Record<string, string>;
  receivedAt: Record<string, string>;
  landings: readonly { at: number; kind: string }[];
  breaking: ReadonlySet<string>;
}): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, n] of Object.entries(o.completions)) {
    if (n <= 1 || n - Number(o.redelivered[k] ?? 0) > 1) continue;
    const at = Number(o.receivedAt[k]) * 1000;
    const fault = [...o.landings].reverse().find((l) => o.breaking.has(l.kind) && l.at <= at)?.kind;
    if (fault) out.set(k, fault);
  }
  return out;
}

/**
 * The end-of-run accounting: every task sent either completed once, or was destroyed by a fault
 * (named), or waits in `unacked` because a fault took the worker or broker that held it.
 */
export function accountTasks(sent: string[], completions: Record<string, number>, lostToFault: LostToFault, inUnacked: ReadonlySet<string>, unackedExcused: boolean, redelivered: ReadonlyMap<string, string> = new Map()): TaskAccount {
  const a: TaskAccount = { sent: sent.length, completed: 0, lost: [], lostToFault: {}, waitingInUnacked: [], runTwice: [], runTwiceByFault: {} };
  for (const k of sent) {
    const n = completions[k] ?? 0;
    if (n >= 1) a.completed += 1;
    const again = redelivered.get(k);
    if (n > 1 && again) (a.runTwiceByFault[again] ??= []).push(k);
    else if (n > 1) a.runTwice.push(k);
    if (n >= 1) continue;
    const fault = lostToFault.get(k);
    if (fault) (a.lostToFault[fault] ??= []).push(k);
    else if (unackedExcused && inUnacked.has(k)) a.waitingInUnacked.push(k);
    else a.lost.push(k);
  }
  return a;
}
