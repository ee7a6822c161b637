import { runSync } from '../../lib/cycle/ports';
import { releaseServices } from '../../lib/cycle/release-service';
import { QUEUES, SERVICE, T0, arn, drainNode, ecsObs, fakeEnv, node, nodeName, task } from '../support/fake-env';

/**
 * `release` (docs/runbook.md) over fake ports: a service left drained, protected and locked by a
 * stopped autoscaler. Node 1 answered with no queues (drained), node 2 consumes all, node 3 was in
 * the drain record and did not answer but its ECS task runs, node 4 was drained and its task stopped.
 */
function leftOver() {
  const env = fakeEnv({
    world: {
      nodes: [node(1, {}, []), node(2)],
      tasks: { [SERVICE]: [task(1), task(2), task(3), task(4, 'STOPPED', { desiredStatus: 'STOPPED' })] },
      ecs: { [SERVICE]: ecsObs(3) },
    },
  });
  env.store.saveDrain(SERVICE, { execution: 'exec-old', nodes: [drainNode(1), drainNode(3), drainNode(4)], queues: QUEUES, at: T0 - 60_000 });
  env.store.saveProtected(SERVICE, [arn(2), arn(3)], 3_600_000);
  env.store.acquireLock(SERVICE, 'exec-old', 60_000);
  return env;
}

describe('release: a service as if the autoscaler had never drained it', () => {
  test('queues back to the drained nodes (the silent one whose task runs too, not the stopped one), protection cleared, lease and drain record removed', () => {
    const env = leftOver();
    const actions = runSync(releaseServices(env, [SERVICE], false));
    expect(env.calls('workers.add')).toEqual([`workers.add [${QUEUES.join(',')}] [${nodeName(1)},${nodeName(3)}]`]);
    expect(actions.map((a) => a.did)).toEqual([
      `gave ${QUEUES.join(', ')} back to ${nodeName(1)}, ${nodeName(3)} (add_consumer)`,
      'cleared the scale-in protection of 2 task(s) it set (UpdateTaskProtection)',
      'removed the lease held by exec-old',
      `removed the drain record of cycle exec-old (${nodeName(1)}, ${nodeName(3)}, ${nodeName(4)})`,
    ]);
    expect(actions.some((a) => a.failed)).toBe(false);
    expect(env.world.nodes.map((n) => n.queues)).toEqual([QUEUES, QUEUES]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
    expect(env.store.drainRecords([SERVICE])[SERVICE]).toBeNull();
    expect(env.store.protectedTasks(SERVICE)).toEqual([]);
  });

  test('a dry run says the same and changes nothing', () => {
    const env = leftOver();
    const actions = runSync(releaseServices(env, [SERVICE], true));
    expect(actions.map((a) => a.did)).toEqual([
      `would give ${QUEUES.join(', ')} back to ${nodeName(1)}, ${nodeName(3)} (add_consumer)`,
      'would clear the scale-in protection of 2 task(s) it set (UpdateTaskProtection)',
      'would remove the lease held by exec-old',
      `would remove the drain record of cycle exec-old (${nodeName(1)}, ${nodeName(3)}, ${nodeName(4)})`,
    ]);
    expect(env.calls('workers.add', 'ecs.unprotect', 'lease.releaseLock', 'history.clearDrain', 'history.clearProtected')).toEqual([]);
    expect(env.store.lockHolder(SERVICE)).toBe('exec-old');
    expect(env.store.drainRecords([SERVICE])[SERVICE]).not.toBeNull();
  });

  test('a node that does not confirm add_consumer is a failed action that says to give its queues back by hand', () => {
    const env = leftOver();
    env.world.silent = [nodeName(3)];
    const actions = runSync(releaseServices(env, [SERVICE], false));
    expect(actions.filter((a) => a.failed)).toEqual([{ service: SERVICE, did: `no answer from ${nodeName(3)} to add_consumer ${QUEUES.join(', ')}: give them back by hand (docs/runbook.md)`, failed: true }]);
    expect(actions[0].did).toBe(`gave ${QUEUES.join(', ')} back to ${nodeName(1)} (add_consumer)`);
  });

  test('a worker missing only some queues gets only those, in a command of its own', () => {
    const env = fakeEnv({ world: { nodes: [node(1, {}, [QUEUES[0]]), node(2, {}, [])], tasks: { [SERVICE]: [task(1), task(2)] }, ecs: { [SERVICE]: ecsObs(2) } } });
    runSync(releaseServices(env, [SERVICE], false));
    expect(env.calls('workers.add').sort()).toEqual([`workers.add [${QUEUES.join(',')}] [${nodeName(2)}]`, `workers.add [${QUEUES[1]}] [${nodeName(1)}]`].sort());
  });

  test('nothing left over: one line says so, and no command is sent', () => {
    const env = fakeEnv({ world: { nodes: [node(1)], tasks: { [SERVICE]: [task(1)] }, ecs: { [SERVICE]: ecsObs(1) } } });
    expect(runSync(releaseServices(env, [SERVICE], false))).toEqual([{ service: SERVICE, did: 'nothing to release: no worker lacks a queue, no protection, lease or drain record' }]);
    expect(env.calls('workers.add', 'lease.releaseLock', 'history.clearDrain')).toEqual([]);
  });
});
