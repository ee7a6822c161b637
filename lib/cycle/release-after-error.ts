import type { FailedBranch } from './payloads';
import { call, type Env, type Step } from './ports';
import { clearProtection } from './protection';
import { clip, named } from './sizes';

export type Cleanup = 'restore' | 'unprotect' | 'forget-drain' | 'release';

export interface FailedResult {
  service: string;
  failed: true;
  error: { Error: string; Cause: string };
  result: string;
  cleanup: string[];
}

/**
 * What to undo after a failure, in order: nodes that were drained but not removed get their
 * queues back, protection is cleared, the drain record is forgotten (only if everything before
 * it worked: otherwise the next cycle finishes the job from it), the lock is released. A service
 * another cycle holds now is left to that cycle.
 */
export function decide(input: FailedBranch, holder: string | null, recorded: string[] = []): { restore: string[]; cleanups: Cleanup[]; leftTo: string | null } {
  if (holder !== null && holder !== input.cycle.execution) return { restore: [], cleanups: [], leftTo: holder };
  // The payload's nodes, and the drain record's: a DrainWorkers that died after cancel_consumer
  // hands its Catch only its own input, with no node in it. Removed ones stay removed.
  const released = new Set((input.released ?? []).map((d) => d.node));
  const restore = [...new Set([...(input.draining ?? []), ...(input.empty ?? [])].map((d) => d.node).concat(recorded))].filter((n) => !released.has(n));
  return { restore, cleanups: [...(restore.length > 0 ? ['restore' as const] : []), 'unprotect', 'forget-drain', 'release'], leftTo: null };
}

/** Lambda puts a JSON document in Cause; the message is what a person needs. */
export function causeOf(raw: string | undefined): string {
  if (!raw) return '';
  try {
    const parsed = JSON.parse(raw) as { errorMessage?: string };
    return parsed.errorMessage ?? raw;
  } catch {
    return raw;
  }
}

/** ReleaseAfterError: each undo is attempted even if another fails. */
export function* releaseAfterError(env: Env, input: FailedBranch): Step<FailedResult> {
  const { service } = input;
  const cfg = env.config.services[service];
  const error = { Error: input.error?.Error ?? 'Unknown', Cause: clip(causeOf(input.error?.Cause)) };
  let holder: string | null;
  try {
    holder = yield* call(env.lease.lockHolder(service));
  } catch {
    holder = input.cycle.execution; // unreadable: try to undo our own part anyway
  }
  let recorded: string[] = [];
  if (holder === null || holder === input.cycle.execution) {
    try {
      const record = (yield* call(env.history.drainRecords([service])))[service];
      if (record && record.execution === input.cycle.execution) recorded = record.nodes.map((n) => n.node);
    } catch {
      /* unreadable: the payload's nodes, and the next cycle's repair from the record */
    }
  }
  const plan = decide(input, holder, recorded);
  const cleanup: string[] = plan.leftTo ? [`left to ${plan.leftTo}, which holds the service now`] : [];
  let undone = true;
  const steps: Record<Cleanup, [string, () => Step<unknown>]> = {
    restore: [`consumers restored to ${named(plan.restore)}`, function* () { return yield* call(env.workers.add(cfg.queues, plan.restore)); }],
    unprotect: ['protection cleared', () => clearProtection(env, service)],
    'forget-drain': ['drain record removed', function* () { return yield* call(env.history.clearDrain(service)); }],
    release: ['lock released', function* () { return yield* call(env.lease.releaseLock(service, input.cycle.execution)); }],
  };
  for (const c of plan.cleanups) {
    if (c === 'forget-drain' && !undone) continue;
    const [what, run] = steps[c];
    try {
      yield* run();
      cleanup.push(what);
    } catch (e) {
      if (c !== 'release') undone = false;
      cleanup.push(`${what} failed: ${(e as Error).name}`);
    }
  }
  const incomplete = undone ? '' : ' (cleanup incomplete: the next cycle finishes it)';
  return { service, failed: true, error, result: clip(`failed: ${error.Error}: ${error.Cause}${incomplete}`), cleanup };
}
