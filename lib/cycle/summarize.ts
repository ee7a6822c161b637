import type { Cycle, SummarizeInput } from './payloads';
import { causeOf } from './release-after-error';

export interface Summary {
  cycle: Cycle;
  actions: string[];
  holds: string[];
  failed: string[];
  recovered?: string[];
  error?: string;
  cause?: string;
}

/** Summarize: one line per service, and the cycle's error if any service failed. */
export function summarize(input: SummarizeInput): Summary {
  const actions = input.results.map((r) => `${r.service}: ${r.result ?? (r.failed ? `failed: ${r.error?.Error}` : 'done')}`);
  const failed = input.results.filter((r) => r.failed).map((r) => r.service);
  const out: Summary = { cycle: input.cycle, actions, holds: input.holds.map((h) => `${h.service}: ${h.reason}`), failed, ...(input.recovered ? { recovered: input.recovered } : {}) };
  if (failed.length > 0) {
    out.error = 'ServiceScalingFailed';
    out.cause = input.results.filter((r) => r.failed).map((r) => `${r.service}: ${r.error?.Error}: ${causeOf(r.error?.Cause)}`).join('; ');
  }
  return out;
}
