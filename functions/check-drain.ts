import { checkDrain } from '../lib/cycle/drain';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { recordDrainEnd } from '../lib/lambda/observability';
import { step } from '../lib/lambda/step';

export const handler = step('CheckDrain', serviceWorkSchema, async (w, rt) => {
  const out = await checkDrain(rt, w);
  recordDrainEnd(out, rt.now());
  return out;
});
