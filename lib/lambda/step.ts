import type { ZodType, ZodTypeDef } from 'zod';
import { formatIssues } from '../config';
import { ValidationError } from '../errors';
import { getRuntime, type Runtime } from '../runtime';
import { logger, metrics } from './observability';

/**
 * Wraps one Task state's work: validates the state input, attaches the execution and service
 * to every log line, flushes metrics, and lets typed errors through so the state machine's
 * Retry/Catch see their names (`BrokerUnavailableError`, `EcsTransientError`, …).
 */
export function step<I, O>(name: string, schema: ZodType<I, ZodTypeDef, unknown>, work: (input: I, rt: Runtime) => Promise<O>) {
  return async (event: unknown): Promise<O> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) throw new ValidationError(`${name} input`, formatIssues(parsed.error));
    const input = parsed.data as I & { cycle?: { execution?: string }; service?: string };
    logger.resetKeys();
    logger.appendKeys({ step: name, execution: (input.cycle?.execution ?? (input as { execution?: string }).execution) as string, ...(input.service ? { workerService: input.service } : {}) });
    const started = Date.now();
    try {
      const out = await work(parsed.data, await getRuntime());
      logger.info(`${name} done`, { output: out as unknown as Record<string, unknown>, ms: Date.now() - started });
      return out;
    } catch (e) {
      const err = e as Error;
      logger.error(`${name} failed`, { errorName: err.name, errorMessage: err.message });
      throw e;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
