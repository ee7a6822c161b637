import { drainWorkers } from '../lib/cycle/drain-workers';
import { cooldownOutputSchema } from '../lib/cycle/payloads';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('DrainWorkers', cooldownOutputSchema, drainWorkers);
