import { restoreConsumers } from '../lib/cycle/drain';
import { serviceWorkSchema } from '../lib/cycle/payloads';
import { step } from '../lib/lambda/step';

export const handler = step('RestoreConsumers', serviceWorkSchema, (w, rt) => restoreConsumers(rt, w));
