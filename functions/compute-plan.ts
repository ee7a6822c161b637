import { computePlan } from '../lib/cycle/compute-plan';
import { measurementSchema } from '../lib/cycle/payloads';
import { stepHandler } from '../lib/lambda/step';

export const handler = stepHandler('ComputePlan', measurementSchema, computePlan);
