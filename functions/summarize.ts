import { summarize } from '../lib/cycle/finish';
import { summarizeInputSchema } from '../lib/cycle/payloads';
import { recordOutcomes } from '../lib/lambda/observability';
import { step } from '../lib/lambda/step';

export const handler = step('Summarize', summarizeInputSchema, async (input) => {
  recordOutcomes(input.results);
  return summarize(input);
});
