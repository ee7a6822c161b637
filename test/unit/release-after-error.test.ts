import type { FailedBranch } from '../../lib/cycle/payloads';
import { runSync } from '../../lib/cycle/ports';
import { causeOf, decide, releaseAfterError, type Cleanup } from '../../lib/cycle/release-after-error';
import { EXEC, OTHER, QUEUES, SERVICE, T0, arn, cycle, drainNode, fakeEnv, nodeName, task } from '../support/fake-env';

const failed = (over: Partial<FailedBranch> = {}): FailedBranch => ({ service: SERVICE, cycle: cycle(), error: { Error: 'EcsTransientError', Cause: 'throttled' }, ...over });

describe('ReleaseAfterError decide: what to undo after a failure', () => {
  const rows: [string, Partial<FailedBranch>, string | null, number[], Cleanup[], string | null][] = [
    ['another cycle holds the service now: leave it to that cycle', { draining: [drainNode(1)] }, OTHER, [], [], OTHER],
    ['no drain: clear protection, forget the record, release', {}, EXEC, [], ['unprotect', 'forget-drain', 'release'], null],
    ['the lease ran out and nobody took it: still undo our part', {}, null, [], ['unprotect', 'forget-drain', 'release'], null],
    ['draining and emptied nodes get their queues back, released ones do not', { draining: [drainNode(1)], empty: [drainNode(2)], released: [drainNode(3)] }, EXEC, [1, 2], ['restore', 'unprotect', 'forget-drain', 'release'], null],
  ];
  test.each(rows)('%s', (_name, input, holder, restore, cleanups, leftTo) => {
    expect(decide(failed(input), holder)).toEqual({ restore: restore.map(nodeName), cleanups, leftTo });
  });

  const recordRows: [string, Partial<FailedBranch>, number[], number[]][] = [
    ['a DrainWorkers that died after cancel_consumer: the payload names nobody, its drain record does', {}, [1, 2], [1, 2]],
    ['the record and the payload together, each node once', { draining: [drainNode(1)] }, [1, 2], [1, 2]],
    ['a node the drain already removed stays removed, whatever the record says', { released: [drainNode(2)] }, [1, 2], [1]],
  ];
  test.each(recordRows)('%s', (_name, input, recorded, restore) => {
    expect(decide(failed(input), EXEC, recorded.map(nodeName)).restore).toEqual(restore.map(nodeName));
  });
});

describe('causeOf: the message a person needs from a Lambda error', () => {
  const rows: [string, string | undefined, string][] = [
    ['no cause', undefined, ''],
    ["Lambda's JSON document gives its errorMessage", JSON.stringify({ errorType: 'X', errorMessage: 'ECS throttled' }), 'ECS throttled'],
    ['JSON without a message is kept whole', '{"errorType":"X"}', '{"errorType":"X"}'],
    ['plain text is kept whole', 'States.Timeout', 'States.Timeout'],
  ];
  test.each(rows)('%s', (_name, raw, expected) => {
    expect(causeOf(raw)).toBe(expected);
  });
});

describe('ReleaseAfterError step over fake ports', () => {
  const setup = () => {
    const env = fakeEnv({ holding: true, world: { tasks: { [SERVICE]: [task(1), task(2), task(3)] } } });
    env.store.saveProtected(SERVICE, [arn(1), arn(2)], 600_000);
    env.store.saveDrain(SERVICE, { execution: EXEC, nodes: [], queues: QUEUES, at: T0 });
    return env;
  };
  const input = failed({ draining: [drainNode(1)], empty: [drainNode(2)], released: [drainNode(3)] });

  test('restores draining and emptied nodes, clears protection, forgets the drain, releases the lock', () => {
    const env = setup();
    const out = runSync(releaseAfterError(env, input));
    expect(env.calls('workers', 'ecs.unprotect', 'history.clearDrain', 'lease.releaseLock')).toEqual([
      `workers.add [${QUEUES.join(',')}] [${nodeName(1)},${nodeName(2)}]`,
      `ecs.unprotect ${SERVICE} [${arn(1)},${arn(2)}]`,
      `history.clearDrain ${SERVICE}`,
      `lease.releaseLock ${SERVICE} ${EXEC}`,
    ]);
    expect(out).toEqual({
      service: SERVICE, failed: true, error: { Error: 'EcsTransientError', Cause: 'throttled' }, result: 'failed: EcsTransientError: throttled',
      cleanup: [`consumers restored to ${nodeName(1)}, ${nodeName(2)}`, 'protection cleared', 'drain record removed', 'lock released'],
    });
  });

  test('a failed unprotect still releases the lock, but keeps the drain record for the next cycle', () => {
    const env = setup();
    env.fail('ecs.unprotect');
    const out = runSync(releaseAfterError(env, input));
    expect(env.calls('history.clearDrain')).toEqual([]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
    expect(env.store.drainRecords([SERVICE])[SERVICE]).not.toBeNull();
    expect(out.cleanup).toEqual([`consumers restored to ${nodeName(1)}, ${nodeName(2)}`, 'protection cleared failed: Error', 'lock released']);
    expect(out.result).toMatch(/cleanup incomplete: the next cycle finishes it/);
  });

  test('a failed restore skips forgetting the drain; every other undo is still tried', () => {
    const env = setup();
    env.fail('workers.add');
    const out = runSync(releaseAfterError(env, input));
    expect(out.cleanup).toEqual([`consumers restored to ${nodeName(1)}, ${nodeName(2)} failed: Error`, 'protection cleared', 'lock released']);
  });

  test('gives the nodes of its own drain record their queues back (a DrainWorkers that died after cancelling)', () => {
    const env = fakeEnv({ holding: true, world: { tasks: { [SERVICE]: [task(1), task(2)] } } });
    env.store.saveDrain(SERVICE, { execution: EXEC, nodes: [{ node: nodeName(1), taskId: 'task0001' }, { node: nodeName(2), taskId: 'task0002' }], queues: QUEUES, at: T0 });
    runSync(releaseAfterError(env, failed()));
    expect(env.calls('workers')).toEqual([`workers.add [${QUEUES.join(',')}] [${nodeName(1)},${nodeName(2)}]`]);
    expect(env.store.drainRecords([SERVICE])[SERVICE]).toBeNull();
  });

  test('another cycle\'s drain record is not ours to give back', () => {
    const env = fakeEnv({ holding: true, world: { tasks: { [SERVICE]: [task(1)] } } });
    env.store.saveDrain(SERVICE, { execution: OTHER, nodes: [{ node: nodeName(1), taskId: 'task0001' }], queues: QUEUES, at: T0 });
    runSync(releaseAfterError(env, failed()));
    expect(env.calls('workers')).toEqual([]);
  });

  test('a service another cycle holds is left alone', () => {
    const env = setup();
    env.lockTakenBy(OTHER);
    const out = runSync(releaseAfterError(env, input));
    expect(env.calls()).toEqual([`lease.lockHolder ${SERVICE}`]);
    expect(out.cleanup).toEqual([`left to ${OTHER}, which holds the service now`]);
  });

  test('the lease ran out and nobody took it: the nodes of its own drain record still get their queues back', () => {
    const env = fakeEnv({ world: { tasks: { [SERVICE]: [task(1), task(2)] } } });
    env.store.saveDrain(SERVICE, { execution: EXEC, nodes: [{ node: nodeName(1), taskId: 'task0001' }, { node: nodeName(2), taskId: 'task0002' }], queues: QUEUES, at: T0 });
    const out = runSync(releaseAfterError(env, failed()));
    expect(env.calls('workers')).toEqual([`workers.add [${QUEUES.join(',')}] [${nodeName(1)},${nodeName(2)}]`]);
    expect(out.cleanup[0]).toBe(`consumers restored to ${nodeName(1)}, ${nodeName(2)}`);
    expect(env.store.drainRecords([SERVICE])[SERVICE]).toBeNull();
  });

  test('a failed lock release alone leaves nothing for the next cycle to finish (the lease runs out)', () => {
    const env = setup();
    env.fail('lease.releaseLock');
    const out = runSync(releaseAfterError(env, input));
    expect(out.cleanup).toEqual([`consumers restored to ${nodeName(1)}, ${nodeName(2)}`, 'protection cleared', 'drain record removed', 'lock released failed: Error']);
    expect(out.result).toBe('failed: EcsTransientError: throttled');
  });

  test('a failure that came without an error is reported as Unknown', () => {
    const env = setup();
    const out = runSync(releaseAfterError(env, failed({ error: undefined })));
    expect(out.error).toEqual({ Error: 'Unknown', Cause: '' });
    expect(out.result).toBe('failed: Unknown: ');
  });

  test('an unreadable lock holder does not stop the cleanup', () => {
    const env = setup();
    env.fail('lease.lockHolder');
    const out = runSync(releaseAfterError(env, input));
    expect(out.cleanup).toContain('lock released');
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });
});
