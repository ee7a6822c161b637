import { scaleUp } from '../lib/cycle/scale-up';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('ScaleUp', serviceWorkSchema, (w, rt) => scaleUp(rt, w));
