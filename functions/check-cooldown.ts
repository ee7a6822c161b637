import { checkCooldown } from '../lib/cycle/check-cooldown';
import { changeItemSchema } from '../lib/cycle/payloads';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('CheckCooldown', changeItemSchema, checkCooldown);
