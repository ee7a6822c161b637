import { runSync } from '../../lib/cycle/ports';
import { releaseServices } from '../../lib/cycle/release-service';
import type { EcsTask } from '../../lib/ecs';
import { QUEUES, SERVICE, T0, arn, configOf, drainNode, ecsObs, fakeEnv, node, nodeName, serviceConfig, task } from '../support/fake-env';

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
    // Who lacks a queue is read from each worker's active_queues.
    expect(env.calls('workers.inspect')).toEqual(['workers.inspect {"withQueues":true}']);
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

  test('no drained node confirms add_consumer: no line claims any was given its queues back', () => {
    const env = leftOver();
    env.world.silent = [nodeName(1), nodeName(3)];
    const actions = runSync(releaseServices(env, [SERVICE], false));
    expect(actions.map((a) => a.did)).toEqual([
      `no answer from ${nodeName(1)}, ${nodeName(3)} to add_consumer ${QUEUES.join(', ')}: give them back by hand (docs/runbook.md)`,
      'cleared the scale-in protection of 2 task(s) it set (UpdateTaskProtection)',
      'removed the lease held by exec-old',
      `removed the drain record of cycle exec-old (${nodeName(1)}, ${nodeName(3)}, ${nodeName(4)})`,
    ]);
  });

  test('the count of cleared protections is what was cleared, with no reason guessed when the record changed between two reads', () => {
    const env = leftOver();
    // Another run cleared task 1's protection between release's read and clearProtection's.
    const reads = [[arn(1), arn(2), arn(3)], [arn(2), arn(3)]];
    env.answer('history.protectedTasks', () => reads.shift() ?? []);
    const actions = runSync(releaseServices(env, [SERVICE], false));
    expect(actions.map((a) => a.did)).toContain('cleared the scale-in protection of 2 task(s) it set (UpdateTaskProtection)');
    expect(env.calls('ecs.unprotect')).toEqual([`ecs.unprotect ${SERVICE} [${arn(2)},${arn(3)}]`]);
  });

  // Node 3 drained, did not answer the inspection; its task is not running any more.
  const stopping: [string, EcsTask][] = [
    ['ECS is stopping it (desired STOPPED, still RUNNING)', task(3, 'RUNNING', { desiredStatus: 'STOPPED' })],
    ['ECS last saw it STOPPED (its desired status unknown)', task(3, 'STOPPED', { desiredStatus: 'UNKNOWN' })],
  ];
  test.each(stopping)('a silent drained node whose task %s is not told', (_name, t3) => {
    const env = leftOver();
    env.world.tasks[SERVICE] = env.world.tasks[SERVICE].map((t) => (t.taskId === t3.taskId ? t3 : t));
    runSync(releaseServices(env, [SERVICE], false));
    expect(env.calls('workers.add')).toEqual([`workers.add [${QUEUES.join(',')}] [${nodeName(1)}]`]);
  });

  describe('with a second service, api (queue q3, node 5 in its task 5)', () => {
    const twoServices = (apiQueues: string[]) => fakeEnv({
      config: configOf({ [SERVICE]: serviceConfig(), api: serviceConfig({ service: 'api-svc', queues: ['q3'] }) }),
      world: {
        nodes: [node(1, {}, []), node(5, {}, apiQueues)],
        tasks: { [SERVICE]: [task(1)], api: [task(5)] },
        ecs: { [SERVICE]: ecsObs(1), api: ecsObs(1) },
      },
    });

    test('releasing one service leaves the other\'s workers alone, even one lacking its queue', () => {
      const env = twoServices([]);
      const actions = runSync(releaseServices(env, [SERVICE], false));
      expect(env.calls('workers.add')).toEqual([`workers.add [${QUEUES.join(',')}] [${nodeName(1)}]`]);
      expect(actions).toEqual([{ service: SERVICE, did: `gave ${QUEUES.join(', ')} back to ${nodeName(1)} (add_consumer)` }]);
      expect(env.world.nodes.find((n) => n.node === nodeName(5))?.queues).toEqual([]);
    });

    test('each released service gets its own line: one with nothing left over says so', () => {
      const env = twoServices(['q3']);
      expect(runSync(releaseServices(env, [SERVICE, 'api'], false))).toEqual([
        { service: SERVICE, did: `gave ${QUEUES.join(', ')} back to ${nodeName(1)} (add_consumer)` },
        { service: 'api', did: 'nothing to release: no worker lacks a queue, no protection, lease or drain record' },
      ]);
    });
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
