import { AutoscalerError } from '../errors';
import { call, type Env, type Step } from './ports';

/**
 * A cycle holds a service by a short lease that each of its steps renews: a cycle that dies
 * loses the service within minutes, and the next one undoes what it left (see recover.ts).
 * Longer than the largest gap between two steps: a 5 s wait plus three 30 s Lambda attempts
 * and their back-off. AUTOSCALER_LOCK_LEASE_SECONDS shortens it for local fault scenarios only.
 */
export function lockLeaseMs(): number {
  const seconds = Number(process.env.AUTOSCALER_LOCK_LEASE_SECONDS);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 180) * 1000;
}

/** The lease ran out (the cycle stalled) and another cycle may own the service now. */
export class LockLostError extends AutoscalerError {}

/** Every step that changes a service first renews its lease; a lost lease stops it before any change. */
export function* renewLease(env: Env, service: string, execution: string): Step<void> {
  if (yield* call(env.lease.extendLock(service, execution, lockLeaseMs()))) return;
  const holder = yield* call(env.lease.lockHolder(service));
  throw new LockLostError(`${service}: this cycle's lock expired${holder ? ` and ${holder} holds it now` : ''}; stopped before changing anything more`);
}
