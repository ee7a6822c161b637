import { summarizeInputSchema } from '../lib/cycle/payloads';
import { summarize } from '../lib/cycle/summarize';
import { stepHandler } from '../lib/lambda/step';

// eslint-disable-next-line require-yield
export const handler = stepHandler('Summarize', summarizeInputSchema, function* (_env, input) {
  return summarize(input);
});
