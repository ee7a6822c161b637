/**
 * Every metric the autoscaler publishes, in one place: the handlers emit these names and the
 * CloudWatch dashboard and alarms (scripts/serverless-vars.js) graph the very same ones.
 */
export const METRICS_NAMESPACE = 'CeleryAutoscaler';
/** Powertools adds it to every metric as the `service` dimension. */
export const POWERTOOLS_SERVICE = 'celery-autoscaler';

export const MetricName = {
  /** Messages waiting in one queue (all priority sub-lists); dimensions workerService + queue. */
  PendingMessages: 'PendingMessages',
  /** Active + reserved tasks on the service's workers. */
  InFlightTasks: 'InFlightTasks',
  DesiredWorkers: 'DesiredWorkers',
  RunningWorkers: 'RunningWorkers',
  /** Milliseconds MeasureQueues took to read the broker and ECS (no service dimension). */
  MeasureLatency: 'MeasureLatency',
  /** 1 per scale-up or drained scale-down actually applied. */
  ScaleActions: 'ScaleActions',
  /** 1 per drain that hit drainTimeoutSeconds and gave queues back. */
  DrainTimeouts: 'DrainTimeouts',
  /** 1 per drain given up because a backlog arrived that needs the workers it was removing. */
  DrainsAbandoned: 'DrainsAbandoned',
  /** Seconds from DrainWorkers to the drain ending (drained, timed out or abandoned). */
  DrainDuration: 'DrainDuration',
  /** Workers given back a queue they lacked outside any drain (self-healing in MeasureQueues). */
  QueuesRestored: 'QueuesRestored',
} as const;

/** Ours is `workerService`: Powertools already owns `service` (its own name). */
export const Dimension = { service: 'service', workerService: 'workerService', queue: 'queue' } as const;
