import { checkCooldown } from '../lib/cycle/scale-up';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('CheckCooldown', serviceWorkSchema, (w, rt) => checkCooldown(rt, w));
