import { checkDrain } from '../lib/cycle/drain';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('CheckDrain', serviceWorkSchema, (w, rt) => checkDrain(rt, w));
