import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * One logger and one metrics sink for every step: structured JSON with the same keys
 * everywhere (step, execution, service), EMF metrics in namespace CeleryAutoscaler.
 * Nothing here ever receives the broker URL.
 */
export const logger = new Logger({ serviceName: 'celery-autoscaler' });
export const metrics = new Metrics({ namespace: 'CeleryAutoscaler', serviceName: 'celery-autoscaler' });
export { MetricUnit };

/** A metric with a `service` dimension (several services are measured in one invocation). */
export function serviceMetric(service: string, name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void {
  // Powertools already sets a `service` dimension (its own name): ours is `workerService`.
  const m = metrics.singleMetric();
  m.addDimension('workerService', service);
  m.addMetric(name, unit, value);
}
