import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Drain, Measurement } from '../cycle/payloads';
import { Dimension, METRICS_NAMESPACE, MetricName, POWERTOOLS_SERVICE } from './metric-names';

/**
 * One logger and one metrics sink for every step: structured JSON with the same keys
 * everywhere (step, execution, workerService), EMF metrics in namespace CeleryAutoscaler.
 * Nothing here ever receives the broker URL.
 */
export const logger = new Logger({ serviceName: POWERTOOLS_SERVICE });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: POWERTOOLS_SERVICE });

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
type Name = (typeof MetricName)[keyof typeof MetricName];

/** One EMF document per value: several services (and queues) are measured in one invocation. */
function emit(name: Name, unit: Unit, value: number, dims: Record<string, string> = {}): void {
  const m = metrics.singleMetric();
  for (const [k, v] of Object.entries(dims)) m.addDimension(k, v);
  m.addMetric(name, unit, value);
}

/** MeasureQueues: backlog per queue and workers per service, as the dashboard graphs them. */
export function recordMeasurement(m: Measurement, latencyMs: number): void {
  for (const [service, s] of Object.entries(m.services)) {
    const dims = { [Dimension.workerService]: service };
    for (const [queue, pending] of Object.entries(s.queues)) emit(MetricName.PendingMessages, MetricUnit.Count, pending, { ...dims, [Dimension.queue]: queue });
    emit(MetricName.InFlightTasks, MetricUnit.Count, s.inFlight, dims);
    if (s.ecs) {
      emit(MetricName.DesiredWorkers, MetricUnit.Count, s.ecs.desired, dims);
      emit(MetricName.RunningWorkers, MetricUnit.Count, s.ecs.running, dims);
    }
  }
  emit(MetricName.MeasureLatency, MetricUnit.Milliseconds, latencyMs);
}

/** MeasureQueues' self-healing: workers given back a queue they lacked. */
export function recordQueuesRestored(count: number): void {
  if (count > 0) emit(MetricName.QueuesRestored, MetricUnit.Count, count);
}

/** ScaleUp, or ScaleDown when it removed workers: one scale action. */
export function recordScaleAction(service: string): void {
  emit(MetricName.ScaleActions, MetricUnit.Count, 1, { [Dimension.workerService]: service });
}

/** RestoreConsumers: the drain gave up, overtaken by new work or timed out. */
export function recordDrainGivenUp(d: Drain): void {
  emit(d.status === 'abandoned' ? MetricName.DrainsAbandoned : MetricName.DrainTimeouts, MetricUnit.Count, 1, { [Dimension.workerService]: d.service });
}

/** ReleaseProtection: the drain is over; how long it took from DrainWorkers. */
export function recordDrainEnd(d: Drain, now: number): void {
  if (d.status !== 'done') return;
  emit(MetricName.DrainDuration, MetricUnit.Seconds, Math.max(0, (now - d.startedAt) / 1000), { [Dimension.workerService]: d.service });
}
