import { drainSchema } from '../lib/cycle/payloads';
import { scaleDown } from '../lib/cycle/scale-down';
import { recordScaleAction } from '../lib/lambda/observability';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('ScaleDown', drainSchema, scaleDown, (out, input) => {
  if (out.released.length > input.released.length && out.status !== 'abandoned') recordScaleAction(out.service);
});
