import { measureQueues } from '../lib/cycle/measure-queues';
import { measureInputSchema } from '../lib/cycle/payloads';
import { recordMeasurement, recordQueuesRestored } from '../lib/lambda/observability';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('MeasureQueues', measureInputSchema, function* (env, event) {
  const started = env.now();
  const { measurement, queuesRestored } = yield* measureQueues(env, event.input, event.execution);
  recordMeasurement(measurement, env.now() - started);
  recordQueuesRestored(queuesRestored);
  return measurement;
});
