import { cooldownOutputSchema } from '../lib/cycle/payloads';
import { scaleUp } from '../lib/cycle/scale-up';
import { recordScaleAction } from '../lib/lambda/observability';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('ScaleUp', cooldownOutputSchema, scaleUp, (out) => recordScaleAction(out.service));
