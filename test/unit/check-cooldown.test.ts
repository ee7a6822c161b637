import { checkCooldown, decide, type CooldownAction } from '../../lib/cycle/check-cooldown';
import type { ChangeItem } from '../../lib/cycle/payloads';
import { runSync } from '../../lib/cycle/ports';
import type { ScaleTimes } from '../../lib/state/store';
import { EXEC, OTHER, SERVICE, T0, changeItem, fakeEnv, serviceConfig } from '../support/fake-env';

// Scale-up cooldown 60 s; scale-down cooldown 300 s after any scale action.
const cfg = serviceConfig({ scaleUpCooldownSeconds: 60, scaleDownCooldownSeconds: 300 });
const mine = { acquired: true, holder: EXEC };
const theirs = { acquired: false, holder: OTHER };

describe('CheckCooldown decide', () => {
  const rows: [string, Partial<ChangeItem>, { acquired: boolean; holder: string | null }, ScaleTimes | null, boolean, CooldownAction[], RegExp | undefined][] = [
    ['a held scale-up leaves its target for the holder', { direction: 'up', to: 6 }, theirs, null, false, [{ do: 'want', to: 6 }], /held: another cycle \(exec-other\) is scaling web/],
    ['a held scale-down just steps aside', { direction: 'down', to: 1 }, theirs, null, false, [], /held: another cycle \(exec-other\)/],
    ['a scale-up inside its cooldown gives the lock back', { direction: 'up' }, mine, { lastScaleUpAt: T0 - 30_000 }, false, [{ do: 'release' }], /held: scale-up cooldown: 30 s left of 60 s/],
    ['a scale-up after its cooldown goes ahead', { direction: 'up' }, mine, { lastScaleUpAt: T0 - 60_000 }, true, [], undefined],
    ['a scale-up ignores an earlier scale-down', { direction: 'up' }, mine, { lastScaleDownAt: T0 - 1_000 }, true, [], undefined],
    ['a scale-down waits out the cooldown of a recent scale-up', { direction: 'down' }, mine, { lastScaleUpAt: T0 - 100_000 }, false, [{ do: 'release' }], /scale-down cooldown: 200 s left of 300 s/],
    ['a scale-down with no scale on record goes ahead', { direction: 'down' }, mine, {}, true, [], undefined],
    ['a skipped cooldown (no times read) goes ahead', { direction: 'down' }, mine, null, true, [], undefined],
  ];
  test.each(rows)('%s', (_name, item, lock, times, allowed, actions, result) => {
    const { output, actions: got } = decide(changeItem(item), cfg, { lock, times, now: T0 });
    expect(output.allowed).toBe(allowed);
    expect(got).toEqual(actions);
    if (result) expect(output.result).toMatch(result);
    else expect(output.result).toBeUndefined();
  });
});

describe('CheckCooldown step over fake ports', () => {
  test('a scale-up that finds the lock held leaves a want marker for the holder and keeps off its lock', () => {
    const env = fakeEnv();
    env.store.acquireLock(SERVICE, OTHER, 60_000);
    const out = runSync(checkCooldown(env, changeItem({ direction: 'up', to: 7 })));
    expect(out.allowed).toBe(false);
    expect(env.store.wanted(SERVICE)).toEqual({ to: 7, at: T0 });
    expect(env.store.lockHolder(SERVICE)).toBe(OTHER);
    expect(env.calls('history.want')).toEqual([`history.want ${SERVICE} {"to":7,"at":${T0}} 360000`]);
  });

  test('a scale-down that finds the lock held leaves no want', () => {
    const env = fakeEnv();
    env.store.acquireLock(SERVICE, OTHER, 60_000);
    runSync(checkCooldown(env, changeItem({ direction: 'down' })));
    expect(env.store.wanted(SERVICE)).toBeNull();
  });

  test('a service in its cooldown is held and its lock released again', () => {
    const env = fakeEnv();
    env.store.recordScale(SERVICE, 'down', T0 - 10_000);
    const out = runSync(checkCooldown(env, changeItem({ direction: 'down' })));
    expect(out.allowed).toBe(false);
    expect(env.calls('lease')).toEqual([`lease.acquireLock ${SERVICE} ${EXEC} 180000`, `lease.releaseLock ${SERVICE} ${EXEC}`]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });

  test('an allowed change keeps the lock for the states that follow', () => {
    const env = fakeEnv();
    expect(runSync(checkCooldown(env, changeItem({ direction: 'down' }))).allowed).toBe(true);
    expect(env.store.lockHolder(SERVICE)).toBe(EXEC);
  });

  test('skipCooldown does not read the scale times at all', () => {
    const env = fakeEnv();
    env.store.recordScale(SERVICE, 'down', T0 - 10_000);
    expect(runSync(checkCooldown(env, changeItem({ direction: 'down', skipCooldown: true }))).allowed).toBe(true);
    expect(env.calls('history.scaleTimes')).toEqual([]);
  });
});
