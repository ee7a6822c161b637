import type { Runtime } from '../runtime';
import type { ServiceWork } from './payloads';
import { clearProtection } from './scale-down';

/**
 * ReleaseAfterError: whatever failed, leave the service as a person would want it: drained
 * workers whose ECS count was not lowered get their queues back, protection is cleared, the
 * lock is released. Each undo is attempted even if another fails; if any fails, the drain
 * record stays and the next cycle finishes the job once the lock's lease has run out. A
 * service another cycle has taken over meanwhile is left to that cycle.
 */
export async function releaseAfterError(rt: Runtime, w: ServiceWork): Promise<{ service: string; failed: true; error: { Error: string; Cause: string }; result: string; cleanup: string[] }> {
  const cfg = rt.config.services[w.service];
  const cleanup: string[] = [];
  let undone = true;
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      cleanup.push(what);
    } catch (e) {
      undone = false;
      cleanup.push(`${what} failed: ${(e as Error).name}`);
    }
  };
  const error = { Error: w.error?.Error ?? 'Unknown', Cause: cause(w.error?.Cause) };
  const failed = (extra = '') => ({ service: w.service, failed: true as const, error, result: `failed: ${error.Error}: ${error.Cause}${extra}`, cleanup });
  const holder = await rt.state.lockHolder(w.service).catch(() => w.cycle.execution);
  if (holder !== null && holder !== w.cycle.execution) {
    cleanup.push(`left to ${holder}, which holds the service now`);
    return failed();
  }
  const drain = (w.drain ?? []).map((d) => d.node);
  if (cfg && drain.length > 0 && !w.scaledDown) {
    await attempt(`consumers restored to ${drain.join(', ')}`, () => rt.control.addConsumers(cfg.queues, drain));
  }
  if (cfg) await attempt('protection cleared', () => clearProtection(rt, w.service));
  if (undone) await attempt('drain record removed', () => rt.state.clearDrain(w.service));
  await attempt('lock released', () => rt.state.releaseLock(w.service, w.cycle.execution));
  return failed(undone ? '' : ' (cleanup incomplete: the next cycle finishes it)');
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
  recovered?: string[];
  error?: string;
  cause?: string;
}

/** Summarize: one line per service, and the cycle's error if any service failed. */
export function summarize(input: { cycle: ServiceWork['cycle']; holds: { service: string; reason: string }[]; recovered?: string[]; results: { service: string; result?: string; failed?: boolean; error?: { Error: string; Cause?: string } }[] }): Summary {
  const actions = input.results.map((r) => `${r.service}: ${r.result ?? (r.failed ? `failed: ${r.error?.Error}` : 'done')}`);
  const failed = input.results.filter((r) => r.failed).map((r) => r.service);
  const out: Summary = { cycle: input.cycle, actions, holds: input.holds.map((h) => `${h.service}: ${h.reason}`), failed, ...(input.recovered ? { recovered: input.recovered } : {}) };
  if (failed.length > 0) {
    out.error = 'ServiceScalingFailed';
    out.cause = input.results.filter((r) => r.failed).map((r) => `${r.service}: ${r.error?.Error}: ${cause(r.error?.Cause)}`).join('; ');
  }
  return out;
}
