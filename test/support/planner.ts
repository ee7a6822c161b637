import { serviceSchema, type ServiceConfig } from '../../lib/config';
import type { NodeObservation, ServiceObservation } from '../../lib/observation';

/**
 * What the planner's unit tests plan on: a service of one queue `q` at 2 tasks a minute a worker,
 * with no start-up, cooldown or stabilization unless a test sets them.
 */
export const plannerCfg = (over: Partial<ServiceConfig> = {}): ServiceConfig =>
  serviceSchema.parse({ cluster: 'c', service: 's', queues: ['q'], maxWorkers: 1000, tasksPerWorkerPerMinute: 2, startupSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, stabilizationSeconds: 0, ...over });

/** A worker that answered: idle, having processed nothing, unless `over` says otherwise. */
export const workerNode = (name: string, over: Partial<NodeObservation> = {}): NodeObservation => ({ node: name, taskId: name, active: 0, reserved: 0, scheduled: 0, processed: 0, ...over });

/** `pending` messages in `q` and `desired` idle workers that all answered. */
export const serviceObs = (pending: number, desired: number, over: Partial<ServiceObservation> = {}): ServiceObservation => ({
  queues: { q: pending }, nodes: Array.from({ length: desired }, (_, i) => workerNode(`w${i}`)), missingNodes: [], errors: [],
  ecs: { desired, running: desired, pending: 0, deploymentInProgress: false }, ...over,
});
