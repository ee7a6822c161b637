import { z } from 'zod';
import { ValidationError } from '../errors';
import { formatIssues } from './load';
import type { AutoscalerConfig, ServiceConfig } from './schema';

/** What an operator may put in an execution's input (the schedule sends `{}`). */
export const serviceOverrideSchema = z
  .object({
    minWorkers: z.number().int('must be a whole number').nonnegative('must be ≥ 0').optional(),
    maxWorkers: z.number().int('must be a whole number').nonnegative('must be ≥ 0').optional(),
    targetMinutes: z.number().positive('must be > 0').optional(),
    /** Set this many workers now (still bounded by min/max; a decrease still drains first). */
    desired: z.number().int('must be a whole number').nonnegative('must be ≥ 0').optional(),
  })
  .strict();

export const executionInputSchema = z
  .object({
    dryRun: z.boolean().default(false),
    skipCooldown: z.boolean().default(false),
    note: z.string().max(500, 'must be at most 500 characters').optional(),
    services: z.record(z.string(), serviceOverrideSchema).default({}),
  })
  .strict();

export type ExecutionInput = z.infer<typeof executionInputSchema>;
export type ServiceOverride = z.infer<typeof serviceOverrideSchema>;

/** The configuration one cycle runs with, after the execution's overrides. */
export interface CycleSettings {
  dryRun: boolean;
  skipCooldown: boolean;
  note?: string;
  services: Record<string, ServiceConfig>;
  /** Services whose desired count the operator set by hand. */
  desired: Record<string, number>;
}

/**
 * Validates an execution input against the deployed config. An override can never name a
 * service that is not configured, nor go above the deploy-time hardMaxWorkers.
 */
export function resolveCycleSettings(config: AutoscalerConfig, rawInput: unknown): CycleSettings {
  const parsed = executionInputSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw new ValidationError('execution input', formatIssues(parsed.error));
  const input = parsed.data;
  const issues: string[] = [];
  const services: Record<string, ServiceConfig> = { ...config.services };
  const desired: Record<string, number> = {};
  for (const [svc, o] of Object.entries(input.services)) {
    const base = config.services[svc];
    if (base === undefined) {
      issues.push(`services.${svc}: unknown service (configured: ${Object.keys(config.services).join(', ')})`);
      continue;
    }
    const eff: ServiceConfig = {
      ...base,
      minWorkers: o.minWorkers ?? base.minWorkers,
      maxWorkers: o.maxWorkers ?? base.maxWorkers,
      targetMinutes: o.targetMinutes ?? base.targetMinutes,
    };
    const at = `services.${svc}`;
    for (const key of ['minWorkers', 'maxWorkers', 'desired'] as const) {
      const v = key === 'desired' ? o.desired : eff[key];
      if (v !== undefined && v > config.hardMaxWorkers) issues.push(`${at}.${key}: ${v} is above hardMaxWorkers (${config.hardMaxWorkers})`);
    }
    if (eff.minWorkers > eff.maxWorkers) issues.push(`${at}.minWorkers: ${eff.minWorkers} is above maxWorkers (${eff.maxWorkers})`);
    if (o.desired !== undefined) {
      if (o.desired < eff.minWorkers || o.desired > eff.maxWorkers) {
        issues.push(`${at}.desired: ${o.desired} is outside [minWorkers ${eff.minWorkers}, maxWorkers ${eff.maxWorkers}]`);
      }
      desired[svc] = o.desired;
    }
    services[svc] = eff;
  }
  if (issues.length > 0) throw new ValidationError('execution input', issues);
  return { dryRun: input.dryRun, skipCooldown: input.skipCooldown, note: input.note, services, desired };
}
