import { measurementSchema } from '../lib/cycle/payloads';
import { computePlan } from '../lib/cycle/plan';
import { step } from '../lib/lambda/step';

export const handler = step('ComputePlan', measurementSchema, (m, rt) => computePlan(rt, m));
