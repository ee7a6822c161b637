import type { ServiceConfig } from '../config';
import { cooldownVerdict } from '../planner';
import type { ScaleTimes } from '../state/store';
import { lockLeaseMs } from './lease';
import type { ChangeItem, CooldownOutput } from './payloads';
import { call, type Env, type Step } from './ports';

export interface CooldownReadings {
  lock: { acquired: boolean; holder: string | null };
  /** Read only when the lock was taken and the cooldown is not skipped. */
  times: ScaleTimes | null;
  now: number;
}

export type CooldownAction = { do: 'release' } | { do: 'want'; to: number };

/**
 * CheckCooldown: a service another cycle holds is skipped with its holder named (a scale-up
 * leaves its target for a draining holder, which then gives its busy workers back); a service
 * in its cooldown is released again.
 */
export function decide(input: ChangeItem, cfg: ServiceConfig, r: CooldownReadings): { output: CooldownOutput; actions: CooldownAction[] } {
  if (!r.lock.acquired) {
    return {
      output: { ...input, allowed: false, result: `held: another cycle (${r.lock.holder}) is scaling ${input.service}` },
      actions: input.direction === 'up' ? [{ do: 'want', to: input.to }] : [],
    };
  }
  if (r.times) {
    const verdict = cooldownVerdict(cfg, input.direction, r.times, r.now);
    if (!verdict.allowed) return { output: { ...input, allowed: false, result: `held: ${verdict.reason}` }, actions: [{ do: 'release' }] };
  }
  return { output: { ...input, allowed: true }, actions: [] };
}

export function* checkCooldown(env: Env, input: ChangeItem): Step<CooldownOutput> {
  const { service, cycle } = input;
  const lock = yield* call(env.lease.acquireLock(service, cycle.execution, lockLeaseMs()));
  const times = lock.acquired && !input.skipCooldown ? (yield* call(env.history.scaleTimes([service])))[service] ?? {} : null;
  const { output, actions } = decide(input, env.config.services[service], { lock, times, now: env.now() });
  for (const a of actions) {
    if (a.do === 'release') yield* call(env.lease.releaseLock(service, cycle.execution));
    // Lives two leases, long enough for the holder's next poll; only drains older than it give way.
    else yield* call(env.history.want(service, { to: a.to, at: env.now() }, 2 * lockLeaseMs()));
  }
  return output;
}
