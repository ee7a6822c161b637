import { measureCycle } from '../lib/cycle/measure';
import { measureInputSchema } from '../lib/cycle/payloads';
import { pendingTotal } from '../lib/observation';
import { MetricUnit, serviceMetric } from '../lib/lambda/observability';
import { step } from '../lib/lambda/step';

export const handler = step('MeasureQueues', measureInputSchema, async (event, rt) => {
  const started = Date.now();
  const m = await measureCycle(rt, event.input, event.execution);
  for (const [name, s] of Object.entries(m.services)) {
    serviceMetric(name, 'PendingMessages', MetricUnit.Count, pendingTotal(s));
    serviceMetric(name, 'InFlightTasks', MetricUnit.Count, s.nodes.reduce((a, n) => a + n.active + n.reserved, 0));
    if (s.ecs) {
      serviceMetric(name, 'DesiredWorkers', MetricUnit.Count, s.ecs.desired);
      serviceMetric(name, 'RunningWorkers', MetricUnit.Count, s.ecs.running);
    }
    serviceMetric(name, 'MeasureLatency', MetricUnit.Milliseconds, Date.now() - started);
  }
  return m;
});
