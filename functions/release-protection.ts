import { releaseProtection } from '../lib/cycle/scale-down';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('ReleaseProtection', serviceWorkSchema, (w, rt) => releaseProtection(rt, w));
