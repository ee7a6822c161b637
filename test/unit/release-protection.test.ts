import type { Drain } from '../../lib/cycle/payloads';
import { runSync } from '../../lib/cycle/ports';
import { decide, releaseProtection } from '../../lib/cycle/release-protection';
import type { EcsTask } from '../../lib/ecs';
import { EXEC, SERVICE, T0, arn, drain, drainNode, taskId, fakeEnv, task } from '../support/fake-env';

const STOP_DEADLINE = T0 + 300_000;

describe('ReleaseProtection decide: wait for released tasks to stop, until the stop deadline', () => {
  const rows: [string, number[], EcsTask[], number, Drain['status'], boolean, RegExp][] = [
    ['a released task still running before the deadline: keep waiting', [1], [task(1), task(2)], T0, 'stopping', false, /^removed$/],
    ['every released task stopped: clean up', [1], [task(1, 'STOPPED'), task(2)], T0, 'done', true, /^removed$/],
    ['a released task gone from the service counts as stopped', [1], [task(2)], T0, 'done', true, /^removed$/],
    ['past the stop deadline: clean up anyway and say so', [1, 3], [task(1), task(3, 'STOPPED')], STOP_DEADLINE, 'done', true, /^removed; 1 released task\(s\) still stopping$/],
    ['nobody released: done at once', [], [task(1)], T0, 'done', true, /^removed$/],
  ];
  test.each(rows)('%s', (_name, released, tasks, now, status, cleanup, result) => {
    const out = decide(drain({ status: 'stopping', released: released.map(drainNode), stopDeadline: STOP_DEADLINE, result: 'removed' }), tasks, now);
    expect(out.cleanup).toBe(cleanup);
    expect(out.output.status).toBe(status);
    expect(out.output.result).toMatch(result);
  });
});

describe('ReleaseProtection step over fake ports', () => {
  const setup = (tasks: EcsTask[]) => {
    const env = fakeEnv({ holding: true, world: { tasks: { [SERVICE]: tasks } } });
    env.store.saveProtected(SERVICE, [arn(2), arn(3), arn(5)], 600_000);
    env.store.saveDrain(SERVICE, { execution: EXEC, nodes: [], queues: [], at: T0 });
    return env;
  };
  const input = drain({ status: 'stopping', released: [drainNode(1)], stopDeadline: STOP_DEADLINE });

  test('while a released task runs, nothing is cleared and the lock is kept', () => {
    const env = setup([task(1), task(2), task(3)]);
    expect(runSync(releaseProtection(env, input)).status).toBe('stopping');
    expect(env.calls('ecs.unprotect', 'history.clearProtected', 'history.clearDrain', 'lease.releaseLock')).toEqual([]);
    expect(env.store.lockHolder(SERVICE)).toBe(EXEC);
  });

  test('once it stopped: unprotects the recorded tasks (without listing the service), then forgets the drain and releases the lock', () => {
    const env = setup([task(1, 'STOPPED'), task(2), task(3)]);
    expect(runSync(releaseProtection(env, input)).status).toBe('done');
    expect(env.calls('ecs')[0]).toBe(`ecs.describeTasks ${SERVICE} [${taskId(1)}]`);
    expect(env.calls('ecs.tasks', 'ecs.taskArns')).toEqual([]);
    // task 5 stopped meanwhile: ECS answers it with a failure that unprotecting ignores.
    expect(env.calls('ecs.unprotect', 'history.clearProtected', 'history.clearDrain', 'lease.releaseLock')).toEqual([
      `ecs.unprotect ${SERVICE} [${arn(2)},${arn(3)},${arn(5)}]`,
      `history.clearProtected ${SERVICE}`,
      `history.clearDrain ${SERVICE}`,
      `lease.releaseLock ${SERVICE} ${EXEC}`,
    ]);
    expect(env.store.drainRecords([SERVICE])[SERVICE]).toBeNull();
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });

  test('a released task is not unprotected again (its release did it)', () => {
    const env = setup([task(1, 'STOPPED'), task(2), task(3)]);
    env.store.saveProtected(SERVICE, [arn(1), arn(2)], 600_000);
    runSync(releaseProtection(env, input));
    expect(env.calls('ecs.unprotect')).toEqual([`ecs.unprotect ${SERVICE} [${arn(2)}]`]);
  });

  test('nobody released: no DescribeTasks with an empty list, the cleanup runs at once', () => {
    const env = setup([task(2), task(3)]);
    expect(runSync(releaseProtection(env, drain({ status: 'stopping', released: [], stopDeadline: STOP_DEADLINE })))).toMatchObject({ status: 'done' });
    expect(env.calls('ecs', 'history.clearProtected', 'history.clearDrain', 'lease.releaseLock')).toEqual([
      `ecs.unprotect ${SERVICE} [${arn(2)},${arn(3)},${arn(5)}]`,
      `history.clearProtected ${SERVICE}`,
      `history.clearDrain ${SERVICE}`,
      `lease.releaseLock ${SERVICE} ${EXEC}`,
    ]);
  });

  test('the stop deadline passing ends the wait with the task still up', () => {
    const env = setup([task(1), task(2)]);
    env.clock.now = STOP_DEADLINE;
    env.lockTakenBy(EXEC); // its lease, renewed by the polls meanwhile
    expect(runSync(releaseProtection(env, input)).status).toBe('done');
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });
});
