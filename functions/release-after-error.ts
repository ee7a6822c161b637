import { releaseAfterError } from '../lib/cycle/finish';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('ReleaseAfterError', serviceWorkSchema, (w, rt) => releaseAfterError(rt, w));
