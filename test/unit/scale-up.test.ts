import { LockLostError } from '../../lib/cycle/lease';
import { runSync } from '../../lib/cycle/ports';
import { decide, scaleUp } from '../../lib/cycle/scale-up';
import { EXEC, OTHER, SERVICE, T0, cooldownOutput, ecsObs, fakeEnv } from '../support/fake-env';

describe('ScaleUp decide: an absolute desired count, never lower than ECS has', () => {
  const rows: [string, number, number, number | null, string][] = [
    ['raises desired to the target', 2, 5, 5, 'scaled up 2 → 5: backlog'],
    ['leaves a higher desired alone (someone scaled further)', 6, 5, null, 'scaled up 6 → 6: backlog'],
    ['a retried step that already scaled sets nothing', 5, 5, null, 'scaled up 5 → 5: backlog'],
  ];
  test.each(rows)('%s', (_name, current, to, desired, result) => {
    expect(decide({ to, reason: 'backlog' }, current)).toEqual({ desired, result });
  });
});

describe('ScaleUp step over fake ports', () => {
  const setup = (desired: number) => fakeEnv({ holding: true, world: { ecs: { [SERVICE]: ecsObs(desired) } } });
  const input = cooldownOutput({ direction: 'up', from: 2, to: 5, reason: 'backlog' });

  test('renews the lease, sets desired, records the time, releases the lock', () => {
    const env = setup(2);
    expect(runSync(scaleUp(env, input))).toEqual({ service: SERVICE, status: 'scaledUp', result: 'scaled up 2 → 5: backlog' });
    expect(env.calls()).toEqual([
      `lease.extendLock ${SERVICE} ${EXEC} 180000`,
      `ecs.describe ${SERVICE}`,
      `ecs.setDesired ${SERVICE} 5`,
      `history.recordScale ${SERVICE} up ${T0}`,
      `lease.releaseLock ${SERVICE} ${EXEC}`,
    ]);
  });

  test('a desired count already at or above the target is not touched', () => {
    const env = setup(7);
    runSync(scaleUp(env, input));
    expect(env.calls('ecs.setDesired')).toEqual([]);
  });

  test('a lost lease stops it before ECS is changed', () => {
    const env = setup(2);
    env.lockTakenBy(OTHER);
    expect(() => runSync(scaleUp(env, input))).toThrow(new LockLostError(`${SERVICE}: this cycle's lock expired and ${OTHER} holds it now; stopped before changing anything more`));
    expect(env.calls('ecs')).toEqual([]);
  });
});
