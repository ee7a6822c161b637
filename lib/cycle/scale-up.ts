import { renewLease } from './lease';
import type { BranchResult, CooldownOutput } from './payloads';
import { call, type Env, type Step } from './ports';

/**
 * ScaleUp: an absolute desired count, never "+N", so a retried step does not double-scale; and
 * never lower than what ECS already has (someone may have scaled further meanwhile).
 */
export function decide(input: Pick<CooldownOutput, 'to' | 'reason'>, currentDesired: number): { desired: number | null; result: string } {
  const target = Math.max(currentDesired, input.to);
  return { desired: target === currentDesired ? null : target, result: `scaled up ${currentDesired} → ${target}: ${input.reason}` };
}

/**
 * The lock is released on success only: a failed attempt keeps it for the state machine's
 * retry, and ReleaseAfterError frees it if every retry fails.
 */
export function* scaleUp(env: Env, input: CooldownOutput): Step<BranchResult & { status: 'scaledUp' }> {
  const { service, cycle } = input;
  yield* renewLease(env, service, cycle.execution);
  const current = yield* call(env.ecs.describe(service));
  const { desired, result } = decide(input, current.desired);
  if (desired !== null) yield* call(env.ecs.setDesired(service, desired));
  yield* call(env.history.recordScale(service, 'up', env.now()));
  yield* call(env.lease.releaseLock(service, cycle.execution));
  return { service, status: 'scaledUp', result };
}
