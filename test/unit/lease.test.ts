import { LockLostError, lockLeaseMs, renewLease } from '../../lib/cycle/lease';
import { runSync } from '../../lib/cycle/ports';
import { EXEC, OTHER, SERVICE, fakeEnv } from '../support/fake-env';

describe('lockLeaseMs: 180 s, unless AUTOSCALER_LOCK_LEASE_SECONDS names a positive number of seconds', () => {
  const saved = process.env.AUTOSCALER_LOCK_LEASE_SECONDS;
  afterEach(() => {
    if (saved === undefined) delete process.env.AUTOSCALER_LOCK_LEASE_SECONDS;
    else process.env.AUTOSCALER_LOCK_LEASE_SECONDS = saved;
  });

  test.each<[string, string | undefined, number]>([
    ['unset: the production lease', undefined, 180_000],
    ['a shorter lease for a local fault scenario', '30', 30_000],
    ['a fraction of a second is taken as is', '0.5', 500],
    ['zero is no lease: the default', '0', 180_000],
    ['a negative one: the default', '-5', 180_000],
    ['not a number: the default', 'soon', 180_000],
    ['infinite: the default', 'Infinity', 180_000],
  ])('%s', (_name, value, ms) => {
    if (value === undefined) delete process.env.AUTOSCALER_LOCK_LEASE_SECONDS;
    else process.env.AUTOSCALER_LOCK_LEASE_SECONDS = value;
    expect(lockLeaseMs()).toBe(ms);
  });
});

describe('renewLease: a step that still holds the lock goes on; one that lost it stops and says why', () => {
  test('the lease held: renewed for the lease length, nothing else asked', () => {
    const env = fakeEnv({ holding: true });
    runSync(renewLease(env, SERVICE, EXEC));
    expect(env.calls('lease')).toEqual([`lease.extendLock ${SERVICE} ${EXEC} 180000`]);
  });

  test.each<[string, string | null, string]>([
    ['another cycle took the service: it is named', OTHER, `${SERVICE}: this cycle's lock expired and ${OTHER} holds it now; stopped before changing anything more`],
    ['nobody holds it now: no holder named', null, `${SERVICE}: this cycle's lock expired; stopped before changing anything more`],
  ])('the lease lost, %s', (_name, holder, message) => {
    const env = fakeEnv();
    if (holder) env.lockTakenBy(holder);
    expect(() => runSync(renewLease(env, SERVICE, EXEC))).toThrow(new LockLostError(message));
    expect(env.calls('lease')).toEqual([`lease.extendLock ${SERVICE} ${EXEC} 180000`, `lease.lockHolder ${SERVICE}`]);
  });
});
