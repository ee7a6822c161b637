import { checkDrain } from '../lib/cycle/check-drain';
import { drainSchema } from '../lib/cycle/payloads';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('CheckDrain', drainSchema, checkDrain);
