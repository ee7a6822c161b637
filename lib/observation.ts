/**
 * What one cycle measured. Produced by MeasureQueues, read by the planner and by the simulator
 * (which may only see what the real measurement can).
 */
export interface NodeObservation {
  /** Celery hostname, `name@host`. */
  node: string;
  /** ECS task id this node runs in, or null when it maps to no task (never drained then). */
  taskId: string | null;
  active: number;
  reserved: number;
  scheduled: number;
  /** Tasks this node has completed since it started (sum of `stats.total`), null if unknown. */
  processed: number | null;
  /** How long its longest-running active task has run, seconds (Celery's `time_start`). */
  longestActiveSeconds?: number;
  /** Its task slots (Celery's pool max-concurrency). */
  concurrency?: number | null;
  /** Tasks started per task name since the worker started (Celery's `stats().total` counts a task when accepted). */
  totals?: Record<string, number>;
  /** Its active tasks per task name (`active` → `name`). */
  activeByTask?: Record<string, number>;
  /** The queue each of its active tasks' names came from (`active` → `delivery_info.routing_key`). */
  taskQueues?: Record<string, string>;
}

export interface EcsObservation {
  desired: number;
  running: number;
  pending: number;
  /** More than one entry in the service's `deployments`: no scale-down meanwhile. */
  deploymentInProgress: boolean;
  /**
   * Epoch ms of the newest "has started" event of the service (ECS logs one for every task its
   * scheduler starts, replacements included); null when none is listed, absent when not read.
   */
  lastStartedAt?: number | null;
}

export interface ServiceObservation {
  /** Pending messages per queue, summed over its priority sub-lists. */
  queues: Record<string, number>;
  nodes: NodeObservation[];
  /** Nodes that were expected to answer (ECS says running / listening) but did not. */
  missingNodes: string[];
  ecs: EcsObservation | null;
  /** Anything that could not be read. Non-empty → the planner never scales this service down. */
  errors: string[];
  /** Another autoscaler sets this service's desired count (why, and what removes it): the planner holds it. */
  otherAutoscaling?: string;
}

export interface Observation {
  /** Epoch milliseconds when the measurement was taken. */
  at: number;
  services: Record<string, ServiceObservation>;
}

export const pendingTotal = (s: ServiceObservation): number =>
  Object.values(s.queues).reduce((a, b) => a + b, 0);

export const inFlightTotal = (s: ServiceObservation): number =>
  s.nodes.reduce((a, n) => a + n.active + n.reserved, 0);
