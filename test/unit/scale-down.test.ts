import { runSync } from '../../lib/cycle/ports';
import { decide, EVENT_SKEW_MS, protectionNeed, RENEW_MARGIN_MS, scaleDown, STOP_WAIT_MS, type ProtectionNeed } from '../../lib/cycle/scale-down';
import type { Drain } from '../../lib/cycle/payloads';
import type { EcsTask } from '../../lib/ecs';
import { EXEC, SERVICE, T0, arn, drain, drainNode, taskId, ecsObs, fakeEnv, task } from '../support/fake-env';

const NOW = T0 + 30_000;

describe('ScaleDown decide: removing the emptied nodes', () => {
  interface Row {
    name: string;
    desired: number;
    tasks: EcsTask[];
    empty: number[];
    draining?: number[];
    releasedBefore?: number[];
    stale?: string;
    /** null: nothing removed. */
    remove: { desired: number; keep: number[]; remove: number[] } | null;
    status: Drain['status'];
    released: number[];
    /** The line the operator reads in the console. */
    result: string;
    from?: number;
  }
  const four = [task(1), task(2), task(3), task(4)];
  const rows: Row[] = [
    { name: 'desired drops by the emptied nodes still running; every other task is kept', desired: 4, tasks: four, empty: [1], remove: { desired: 3, keep: [2, 3, 4], remove: [1] }, status: 'stopping', released: [1], result: 'scaled down 4 → 3: removed celery@task0001 (idle)' },
    { name: 'still-draining tasks are kept (protected) and the drain goes on', desired: 4, tasks: four, empty: [1], draining: [2], remove: { desired: 3, keep: [2, 3, 4], remove: [1] }, status: 'draining', released: [1], result: 'scaled down 4 → 3: removed celery@task0001 (idle); still draining celery@task0002' },
    { name: 'an emptied node whose task already stopped is not counted', desired: 4, tasks: [task(1, 'STOPPED'), task(2), task(3), task(4)], empty: [1], remove: null, status: 'stopping', released: [1], result: 'celery@task0001 already stopped or stopping; nothing to remove' },
    // DescribeTasks gave no desired status (lib/ecs reads it as UNKNOWN): STOPPED as last seen is enough.
    { name: 'an emptied node whose task ECS last saw STOPPED, its desired status unknown, is not counted', desired: 4, tasks: [task(1, 'STOPPED', { desiredStatus: 'UNKNOWN' }), task(2), task(3), task(4)], empty: [1], remove: null, status: 'stopping', released: [1], result: 'celery@task0001 already stopped or stopping; nothing to remove' },
    { name: 'of two emptied nodes only the running one lowers desired', desired: 4, tasks: [task(1, 'STOPPED'), task(2), task(3), task(4)], empty: [1, 2], remove: { desired: 3, keep: [3, 4], remove: [2] }, status: 'stopping', released: [1, 2], result: 'scaled down 4 → 3: removed celery@task0001, celery@task0002 (idle)' },
    { name: 'a task ECS is already stopping is neither counted nor kept', desired: 3, tasks: [task(1, 'RUNNING', { desiredStatus: 'STOPPED' }), task(2), task(3)], empty: [1, 2], remove: { desired: 2, keep: [3], remove: [2] }, status: 'stopping', released: [1, 2], result: 'scaled down 4 → 2: removed celery@task0001, celery@task0002 (idle)' },
    { name: 'nodes released earlier stay released and are not kept', desired: 3, tasks: [task(1), task(2), task(3, 'RUNNING', { desiredStatus: 'STOPPED' })], empty: [1], releasedBefore: [3], remove: { desired: 2, keep: [2], remove: [1] }, status: 'stopping', released: [3, 1], result: 'scaled down 4 → 2: removed celery@task0003, celery@task0001 (idle)' },
    { name: 'a retry after desired was lowered, before ECS stopped the task, lowers nothing more', desired: 3, tasks: four, empty: [1], remove: null, status: 'stopping', released: [1], result: 'celery@task0001 already stopped or stopping; nothing to remove' },
    { name: 'a retry ECS carried out in part counts only what it has not', desired: 2, tasks: [task(1, 'STOPPED'), task(2), task(3), task(4)], empty: [1, 2], remove: null, status: 'stopping', released: [1, 2], result: 'celery@task0001, celery@task0002 already stopped or stopping; nothing to remove' },
    { name: 'an earlier release ECS has not carried out yet hides nothing and is not kept', desired: 3, tasks: four, empty: [2], releasedBefore: [1], remove: { desired: 2, keep: [3, 4], remove: [2] }, status: 'stopping', released: [1, 2], result: 'scaled down 4 → 2: removed celery@task0001, celery@task0002 (idle)' },
    { name: 'a stale plan at the last look abandons before removing anyone', desired: 4, tasks: four, empty: [1], draining: [2], stale: 'a newer cycle wants 5 workers', remove: null, status: 'abandoned', released: [], result: 'scale-down abandoned: a newer cycle wants 5 workers' },
    { name: 'the count from is the larger of the planned start and the desired count read now', desired: 5, from: 4, tasks: [...four, task(5)], empty: [1], remove: { desired: 4, keep: [2, 3, 4, 5], remove: [1] }, status: 'stopping', released: [1], result: 'scaled down 5 → 4: removed celery@task0001 (idle)' },
    { name: 'more than five names read as five and a count', desired: 8, tasks: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => task(i)), empty: [1, 2, 3, 4, 5, 6, 7], draining: [8], remove: { desired: 1, keep: [8], remove: [1, 2, 3, 4, 5, 6, 7] }, status: 'draining', released: [1, 2, 3, 4, 5, 6, 7], result: 'scaled down 8 → 1: removed celery@task0001, celery@task0002, celery@task0003, celery@task0004, celery@task0005 and 2 more (idle); still draining celery@task0008' },
  ];
  test.each(rows)('$name', (r) => {
    const input = drain({ empty: r.empty.map(drainNode), draining: (r.draining ?? []).map(drainNode), released: (r.releasedBefore ?? []).map(drainNode), ...(r.from !== undefined ? { from: r.from } : {}) });
    const { output, remove } = decide(input, { ecs: ecsObs(r.desired), tasks: r.tasks, stale: r.stale ?? null, now: NOW });
    expect(remove).toEqual(r.remove && { desired: r.remove.desired, from: r.desired, keep: r.remove.keep.map(arn), remove: r.remove.remove.map(arn) });
    expect(output.status).toBe(r.status);
    expect(output.released).toEqual(r.released.map(drainNode));
    expect(output.result).toBe(r.result);
    if (r.status !== 'abandoned') {
      expect(output.empty).toEqual([]);
      expect(output.stopDeadline).toBe(NOW + STOP_WAIT_MS);
    }
  });
});

describe('protectionNeed: can a release rely on the protection an earlier one set?', () => {
  // Tasks 1–4; task 1 released earlier (protection.live counts 2, 3, 4); task 2 emptied now.
  const p = { until: NOW + 300_000, live: 3, listedAt: NOW - 60_000 };
  const rows: { name: string; protection?: typeof p; ecs: ReturnType<typeof ecsObs>; watched: EcsTask[]; now?: number; need: ProtectionNeed }[] = [
    { name: 'no protection yet: the first release protects', ecs: ecsObs(3), watched: [task(1, 'STOPPED'), task(2)], need: 'first' },
    { name: 'counts as expected: rely on it', protection: p, ecs: ecsObs(3), watched: [task(1, 'STOPPED'), task(2)], need: 'none' },
    { name: 'a released task ECS is still stopping, counted as running or not: rely on it', protection: p, ecs: ecsObs(3, { running: 4 }), watched: [task(1, 'RUNNING', { desiredStatus: 'STOPPED' }), task(2)], need: 'none' },
    { name: 'a released task not carried out yet: rely on it', protection: p, ecs: ecsObs(3, { running: 4 }), watched: [task(1), task(2)], need: 'none' },
    { name: 'one more task than known (a replacement, a scale-up): newcomers', protection: p, ecs: ecsObs(3, { running: 3, pending: 1 }), watched: [task(1, 'STOPPED'), task(2)], need: 'newcomers' },
    { name: 'desired raised above what the drain knows: newcomers', protection: p, ecs: ecsObs(4, { running: 3 }), watched: [task(1, 'STOPPED'), task(2)], need: 'newcomers' },
    { name: 'one task fewer (stopped on its own; its replacement may be starting): newcomers', protection: p, ecs: ecsObs(3, { running: 2 }), watched: [task(1, 'STOPPED'), task(2)], need: 'newcomers' },
    { name: 'the emptied task stopped on its own, nothing else changed: rely on it', protection: p, ecs: ecsObs(3, { running: 2 }), watched: [task(1, 'STOPPED'), task(2, 'STOPPED')], need: 'none' },
    { name: 'ECS started a task since the listing (a replacement; same count): newcomers', protection: p, ecs: ecsObs(3, { lastStartedAt: NOW - 30_000 }), watched: [task(1, 'STOPPED'), task(2)], need: 'newcomers' },
    { name: 'the last task ECS started is older than the listing: rely on it', protection: p, ecs: ecsObs(3, { lastStartedAt: NOW - 120_000 }), watched: [task(1, 'STOPPED'), task(2)], need: 'none' },
    { name: 'an emptied task ECS is stopping, still counted as running: rely on it', protection: p, ecs: ecsObs(3), watched: [task(1, 'STOPPED'), task(2, 'RUNNING', { desiredStatus: 'STOPPED' })], need: 'none' },
    { name: 'a released task DescribeTasks no longer returns is a stopped one: one task more than known is newcomers', protection: p, ecs: ecsObs(3, { running: 4 }), watched: [task(2)], need: 'newcomers' },
    { name: 'a released task still running but one task fewer in the count (another stopped on its own): newcomers', protection: p, ecs: ecsObs(3, { running: 3 }), watched: [task(1), task(2)], need: 'newcomers' },
    { name: 'a task still pending counts as one of the service\'s: rely on it', protection: p, ecs: ecsObs(3, { running: 2, pending: 1 }), watched: [task(1, 'STOPPED'), task(2)], need: 'none' },
    { name: 'a task started within the clock skew before the listing may be one the listing missed: newcomers', protection: p, ecs: ecsObs(3, { lastStartedAt: p.listedAt - EVENT_SKEW_MS }), watched: [task(1, 'STOPPED'), task(2)], need: 'newcomers' },
    { name: 'protection expiring within the margin: renew', protection: p, ecs: ecsObs(3), watched: [task(1, 'STOPPED'), task(2)], now: NOW + 300_000 - RENEW_MARGIN_MS, need: 'renew' },
    { name: 'protection expiring just after the margin: rely on it', protection: p, ecs: ecsObs(3), watched: [task(1, 'STOPPED'), task(2)], now: NOW + 300_000 - RENEW_MARGIN_MS - 1, need: 'none' },
  ];
  test.each(rows)('$name', (r) => {
    const input = drain({ empty: [drainNode(2)], released: [drainNode(1)], ...(r.protection ? { protection: r.protection } : {}) });
    expect(protectionNeed(input, r.ecs, r.watched, r.now ?? NOW)).toBe(r.need);
  });
});

describe('ScaleDown step over fake ports', () => {
  const setup = () => fakeEnv({ holding: true, now: NOW, world: { ecs: { [SERVICE]: ecsObs(4) }, tasks: { [SERVICE]: [task(1), task(2), task(3), task(4)] } } });
  const input = drain({ empty: [drainNode(1)], draining: [drainNode(2)] });

  test('the first release lists the service (ARNs only), protects every other task, unprotects the removed one, then sets desired, and records the scale-down', () => {
    const env = setup();
    const out = runSync(scaleDown(env, input));
    expect(env.calls('ecs')).toEqual([
      `ecs.describe ${SERVICE}`,
      `ecs.describeTasks ${SERVICE} [${taskId(1)}]`,
      `ecs.taskArns ${SERVICE}`,
      `ecs.protect ${SERVICE} [${[arn(2), arn(3), arn(4)].join(',')}] 10`,
      `ecs.unprotect ${SERVICE} [${arn(1)}]`,
      `ecs.setDesired ${SERVICE} 3`,
    ]);
    expect(env.store.protectedTasks(SERVICE)).toEqual([arn(2), arn(3), arn(4)]);
    expect(env.store.scaleTimes([SERVICE])[SERVICE]).toEqual({ lastScaleDownAt: NOW });
    expect(out.status).toBe('draining');
    expect(out.protection).toEqual({ until: NOW + 600_000, live: 3, listedAt: NOW });
  });

  test('a later release relies on that protection: describe, its own tasks, unprotect the emptied one, set desired; no listing, no protecting', () => {
    const env = setup();
    const first = runSync(scaleDown(env, input));
    env.world.tasks[SERVICE] = [task(1, 'STOPPED'), task(2), task(3), task(4)];
    env.world.ecs[SERVICE] = ecsObs(3);
    env.recorded.length = 0;
    env.clock.now = NOW + 60_000;
    const out = runSync(scaleDown(env, { ...first, empty: [drainNode(2)], draining: [], status: 'release' }));
    expect(env.calls('ecs')).toEqual([
      `ecs.describe ${SERVICE}`,
      `ecs.describeTasks ${SERVICE} [${taskId(2)},${taskId(1)}]`,
      `ecs.unprotect ${SERVICE} [${arn(2)}]`,
      `ecs.setDesired ${SERVICE} 2`,
    ]);
    expect(env.calls('history.protectedTasks', 'history.saveProtected')).toEqual([]);
    expect(out.protection).toEqual({ until: NOW + 600_000, live: 2, listedAt: NOW });
  });

  test('a task ECS started since (a replacement: the count is unchanged, the service event says so): listed, and only it is protected, recorded once ECS has protected it', () => {
    const env = setup();
    const first = runSync(scaleDown(env, input));
    env.clock.now = NOW + 30_000;
    env.world.tasks[SERVICE] = [task(1, 'STOPPED'), task(2), task(3, 'STOPPED'), task(4), task(5)];
    env.world.ecs[SERVICE] = ecsObs(3, { lastStartedAt: NOW + 20_000 });
    env.recorded.length = 0;
    const out = runSync(scaleDown(env, { ...first, empty: [drainNode(2)], draining: [], status: 'release' }));
    expect(env.calls('ecs.taskArns', 'ecs.protect', 'history.saveProtected', 'ecs.unprotect')).toEqual([
      `ecs.taskArns ${SERVICE}`,
      `ecs.protect ${SERVICE} [${arn(5)}] 10`,
      `history.saveProtected ${SERVICE} [${[arn(2), arn(3), arn(4), arn(5)].join(',')}] 600000`,
      `ecs.unprotect ${SERVICE} [${arn(2)}]`,
    ]);
    expect(out.protection).toEqual({ until: NOW + 600_000, live: 2, listedAt: NOW + 30_000 });
  });

  test('protection near its expiry is renewed (every kept task again) before desired is lowered', () => {
    const env = setup();
    const first = runSync(scaleDown(env, input));
    env.world.tasks[SERVICE] = [task(1, 'STOPPED'), task(2), task(3), task(4)];
    env.world.ecs[SERVICE] = ecsObs(3);
    env.recorded.length = 0;
    env.clock.now = NOW + 600_000 - RENEW_MARGIN_MS;
    env.lockTakenBy(EXEC); // its lease, renewed by the polls meanwhile
    const out = runSync(scaleDown(env, { ...first, empty: [drainNode(2)], draining: [], status: 'release' }));
    expect(env.calls('ecs.protect', 'ecs.unprotect', 'ecs.setDesired')).toEqual([
      `ecs.protect ${SERVICE} [${[arn(3), arn(4)].join(',')}] 10`,
      `ecs.unprotect ${SERVICE} [${arn(2)}]`,
      `ecs.setDesired ${SERVICE} 2`,
    ]);
    expect(out.protection?.until).toBe(env.clock.now + 600_000);
  });

  test('a retry of a later release after it lowered desired (ECS not yet acted) lowers nothing more', () => {
    const env = setup();
    const first = runSync(scaleDown(env, input));
    env.world.tasks[SERVICE] = [task(1, 'STOPPED'), task(2), task(3), task(4)];
    env.world.ecs[SERVICE] = ecsObs(3);
    const second = { ...first, empty: [drainNode(2)], draining: [], status: 'release' as const };
    runSync(scaleDown(env, second));
    env.world.ecs[SERVICE] = ecsObs(2, { running: 3 });
    env.recorded.length = 0;
    runSync(scaleDown(env, second));
    expect(env.calls('ecs.setDesired', 'ecs.taskArns', 'ecs.protect')).toEqual([]);
  });

  test('the protection is recorded before ECS is asked to protect', () => {
    const env = setup();
    runSync(scaleDown(env, input));
    const order = env.calls('history.saveProtected', 'ecs.protect').map((c) => c.split(' ')[0]);
    expect(order).toEqual(['history.saveProtected', 'ecs.protect']);
  });

  test('a node protected by an earlier release of this drain is unprotected before desired drops', () => {
    const env = setup();
    env.world.ecs[SERVICE] = ecsObs(3);
    env.world.tasks[SERVICE] = [task(1), task(2, 'STOPPED'), task(3), task(4)];
    env.store.saveProtected(SERVICE, [arn(1), arn(3), arn(4)], 600_000);
    runSync(scaleDown(env, drain({ empty: [drainNode(1)], released: [drainNode(2)] })));
    expect(env.calls('ecs.protect', 'ecs.unprotect', 'ecs.setDesired')).toEqual([
      `ecs.protect ${SERVICE} [${[arn(3), arn(4)].join(',')}] 10`,
      `ecs.unprotect ${SERVICE} [${arn(1)}]`,
      `ecs.setDesired ${SERVICE} 2`,
    ]);
  });

  test.each([
    ['a backlog', { pending: { q1: 601 } }, undefined],
    ['a newer want', {}, { to: 5, at: NOW - 1 }],
  ])('the last look abandons on %s without touching ECS', (_what, world, wanted) => {
    const env = setup();
    Object.assign(env.world, world);
    if (wanted) env.store.want(SERVICE, wanted, 360_000);
    const out = runSync(scaleDown(env, input));
    expect(out.status).toBe('abandoned');
    expect(env.calls('ecs.taskArns', 'ecs.protect', 'ecs.unprotect', 'ecs.setDesired', 'history.recordScale')).toEqual([]);
  });

  test('a retried step (its first attempt lowered desired, ECS has not acted yet) sets desired once', () => {
    const env = setup();
    const retried = drain({ empty: [drainNode(1)] });
    runSync(scaleDown(env, retried));
    runSync(scaleDown(env, retried));
    expect(env.calls('ecs.setDesired')).toEqual([`ecs.setDesired ${SERVICE} 3`]);
  });

  test('emptied nodes that already stopped change nothing', () => {
    const env = setup();
    env.world.tasks[SERVICE] = [task(1, 'STOPPED'), task(2), task(3), task(4)];
    const out = runSync(scaleDown(env, drain({ empty: [drainNode(1)] })));
    expect(out.result).toMatch(/already stopped/);
    expect(env.calls('ecs.protect', 'ecs.setDesired', 'history.recordScale')).toEqual([]);
  });

  const relied = (over: Partial<Drain>) => drain({ status: 'release', protection: { until: NOW + 600_000, live: 4, listedAt: NOW - 60_000 }, ...over });

  test('an abandoned release keeps the protection record it was given (its counts are not recomputed)', () => {
    const env = setup();
    env.world.pending = { q1: 601 };
    const input2 = relied({ empty: [drainNode(1)], draining: [drainNode(2)] });
    const out = runSync(scaleDown(env, input2));
    expect(out.status).toBe('abandoned');
    expect(out.result).toBe('scale-down abandoned: 601 pending need 3 workers, more than the 2 planned');
    expect(out.protection).toEqual(input2.protection);
  });

  test('nothing of its own to look at: no DescribeTasks with an empty list (ECS rejects it)', () => {
    const env = setup();
    runSync(scaleDown(env, drain({ draining: [drainNode(2)] })));
    expect(env.calls('ecs.describeTasks')).toEqual([]);
  });

  test('relying on protection, a released task ECS has not stopped yet still counts as live: a retry after desired was lowered lowers nothing more', () => {
    const env = setup();
    env.world.ecs[SERVICE] = ecsObs(2, { running: 4 });
    runSync(scaleDown(env, relied({ protection: { until: NOW + 600_000, live: 3, listedAt: NOW - 60_000 }, empty: [drainNode(2)], released: [drainNode(1)] })));
    expect(env.calls('ecs.taskArns', 'ecs.setDesired')).toEqual([]);
  });

  test('relying on protection, an emptied task that stopped on its own is not counted live: the other emptied one is removed', () => {
    const env = setup();
    env.world.tasks[SERVICE] = [task(1, 'STOPPED'), task(2, 'STOPPED'), task(3), task(4), task(5)];
    env.world.ecs[SERVICE] = ecsObs(3);
    const out = runSync(scaleDown(env, relied({ empty: [drainNode(2), drainNode(3)], released: [drainNode(1)] })));
    expect(env.calls('ecs')).toEqual([
      `ecs.describe ${SERVICE}`,
      `ecs.describeTasks ${SERVICE} [${[taskId(2), taskId(3), taskId(1)].join(',')}]`,
      `ecs.unprotect ${SERVICE} [${arn(3)}]`,
      `ecs.setDesired ${SERVICE} 2`,
    ]);
    expect(out.result).toBe('scaled down 4 → 2: removed celery@task0001, celery@task0002, celery@task0003 (idle)');
  });

  test('an emptied task DescribeTasks does not return but the listing does is still removed (taken by its ARN\'s id)', () => {
    const env = setup();
    env.answer('ecs.describeTasks', () => []);
    runSync(scaleDown(env, drain({ empty: [drainNode(1)] })));
    expect(env.calls('ecs.unprotect', 'ecs.setDesired')).toEqual([`ecs.unprotect ${SERVICE} [${arn(1)}]`, `ecs.setDesired ${SERVICE} 3`]);
  });

  test('an emptied task the listing does not show yet (ListTasks lags) but DescribeTasks says is running is still removed', () => {
    const env = setup();
    env.answer('ecs.taskArns', () => [arn(2), arn(3), arn(4)]);
    runSync(scaleDown(env, drain({ empty: [drainNode(1)] })));
    expect(env.calls('ecs.protect', 'ecs.unprotect', 'ecs.setDesired')).toEqual([
      `ecs.protect ${SERVICE} [${[arn(2), arn(3), arn(4)].join(',')}] 10`,
      `ecs.unprotect ${SERVICE} [${arn(1)}]`,
      `ecs.setDesired ${SERVICE} 3`,
    ]);
  });
});
