import type { Runtime } from '../runtime';
import type { ServiceWork } from './payloads';
import { clearProtection } from './scale-down';

/**
 * ReleaseAfterError: whatever failed, leave the service as a person would want it: drained
 * workers whose ECS count was not lowered get their queues back, protection is cleared, the
 * lock is released. Each undo is attempted even if another fails.
 */
export async function releaseAfterError(rt: Runtime, w: ServiceWork): Promise<{ service: string; failed: true; error: { Error: string; Cause: string }; result: string; cleanup: string[] }> {
  const cfg = rt.config.services[w.service];
  const cleanup: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      cleanup.push(what);
    } catch (e) {
      cleanup.push(`${what} failed: ${(e as Error).name}`);
    }
  };
  const drain = (w.drain ?? []).map((d) => d.node);
  if (cfg && drain.length > 0 && !w.scaledDown) {
    await attempt(`consumers restored to ${drain.join(', ')}`, () => Promise.all(cfg.queues.map((q) => rt.control.addConsumer(q, { destination: drain }))));
  }
  if (cfg) await attempt('protection cleared', () => clearProtection(rt, w.service));
  await attempt('lock released', () => rt.state.releaseLock(w.service, w.cycle.execution));
  const error = { Error: w.error?.Error ?? 'Unknown', Cause: cause(w.error?.Cause) };
  return { service: w.service, failed: true, error, result: `failed: ${error.Error}: ${error.Cause}`, cleanup };
}

/** Lambda puts a JSON document in Cause; the message is what a person needs. */
function cause(raw: string | undefined): string {
  if (!raw) return '';
  try {
    const parsed = JSON.parse(raw) as { errorMessage?: string };
    return parsed.errorMessage ?? raw;
  } catch {
    return raw;
  }
}

export interface Summary {
  cycle: ServiceWork['cycle'];
  actions: string[];
  holds: string[];
  failed: string[];
  error?: string;
  cause?: string;
}

/** Summarize: one line per service, and the cycle's error if any service failed. */
export function summarize(input: { cycle: ServiceWork['cycle']; holds: { service: string; reason: string }[]; results: { service: string; result?: string; failed?: boolean; error?: { Error: string; Cause?: string } }[] }): Summary {
  const actions = input.results.map((r) => `${r.service}: ${r.result ?? (r.failed ? `failed: ${r.error?.Error}` : 'done')}`);
  const failed = input.results.filter((r) => r.failed).map((r) => r.service);
  const out: Summary = { cycle: input.cycle, actions, holds: input.holds.map((h) => `${h.service}: ${h.reason}`), failed };
  if (failed.length > 0) {
    out.error = 'ServiceScalingFailed';
    out.cause = input.results.filter((r) => r.failed).map((r) => `${r.service}: ${r.error?.Error}: ${cause(r.error?.Cause)}`).join('; ');
  }
  return out;
}
