import { drainSchema } from '../lib/cycle/payloads';
import { releaseProtection } from '../lib/cycle/release-protection';
import { recordDrainEnd } from '../lib/lambda/observability';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('ReleaseProtection', drainSchema, releaseProtection, (out, _input, env) => recordDrainEnd(out, env.now()));
