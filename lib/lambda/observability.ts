import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Measurement, ServiceWork } from '../cycle/payloads';
import { inFlightTotal } from '../observation';
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
    emit(MetricName.InFlightTasks, MetricUnit.Count, inFlightTotal(s), dims);
    if (s.ecs) {
      emit(MetricName.DesiredWorkers, MetricUnit.Count, s.ecs.desired, dims);
      emit(MetricName.RunningWorkers, MetricUnit.Count, s.ecs.running, dims);
    }
  }
  emit(MetricName.MeasureLatency, MetricUnit.Milliseconds, latencyMs);
}

/** CheckDrain: once a drain ends (drained, timed out or abandoned), how long it took. */
export function recordDrainEnd(w: ServiceWork, now: number): void {
  if (!['drained', 'timedOut', 'abandoned'].includes(w.status ?? '') || w.drainStartedAt === undefined) return;
  emit(MetricName.DrainDuration, MetricUnit.Seconds, Math.max(0, (now - w.drainStartedAt) / 1000), { [Dimension.workerService]: w.service });
}

/** Summarize: what each service's branch did. */
export function recordOutcomes(results: { service: string; status?: string; scaledDown?: boolean; restored?: string[]; abandoned?: boolean }[]): void {
  for (const r of results) {
    const dims = { [Dimension.workerService]: r.service };
    if (r.status === 'scaledUp' || r.scaledDown) emit(MetricName.ScaleActions, MetricUnit.Count, 1, dims);
    if (r.abandoned) emit(MetricName.DrainsAbandoned, MetricUnit.Count, 1, dims);
    else if (r.restored?.length) emit(MetricName.DrainTimeouts, MetricUnit.Count, 1, dims);
  }
}
