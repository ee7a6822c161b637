import { failedBranchSchema } from '../lib/cycle/payloads';
import { releaseAfterError } from '../lib/cycle/release-after-error';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('ReleaseAfterError', failedBranchSchema, releaseAfterError);
