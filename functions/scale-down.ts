import { scaleDown } from '../lib/cycle/scale-down';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('ScaleDown', serviceWorkSchema, (w, rt) => scaleDown(rt, w));
