import { drainWorkers } from '../lib/cycle/drain';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('DrainWorkers', serviceWorkSchema, (w, rt) => drainWorkers(rt, w));
