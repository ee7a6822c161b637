import { measureCycle } from '../lib/cycle/measure';
import { measureInputSchema } from '../lib/cycle/payloads';
import { recordMeasurement } from '../lib/lambda/observability';
import { step } from '../lib/lambda/step';

export const handler = step('MeasureQueues', measureInputSchema, async (event, rt) => {
  const started = Date.now();
  const m = await measureCycle(rt, event.input, event.execution);
  recordMeasurement(m, Date.now() - started);
  return m;
});
