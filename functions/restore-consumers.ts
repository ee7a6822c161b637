import { drainSchema } from '../lib/cycle/payloads';
import { restoreConsumers } from '../lib/cycle/restore-consumers';
import { recordDrainGivenUp } from '../lib/lambda/observability';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('RestoreConsumers', drainSchema, restoreConsumers, (_out, input) => recordDrainGivenUp(input));
