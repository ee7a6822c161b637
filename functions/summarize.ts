import { summarize } from '../lib/cycle/finish';
import { summarizeInputSchema } from '../lib/cycle/payloads';
import { MetricUnit, serviceMetric } from '../lib/lambda/observability';
import { step } from '../lib/lambda/step';

export const handler = step('Summarize', summarizeInputSchema, async (input) => {
  for (const r of input.results) {
    const w = r as { status?: string; scaledDown?: boolean; restored?: string[] };
    if (w.status === 'scaledUp' || w.scaledDown) serviceMetric(r.service, 'ScaleActions', MetricUnit.Count, 1);
    if (w.restored?.length) {
      serviceMetric(r.service, 'DrainTimeouts', MetricUnit.Count, 1);
    }
  }
  return summarize(input);
});
