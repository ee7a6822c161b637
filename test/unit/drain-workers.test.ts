import type { NodeSnapshot } from '../../lib/celery/inspect';
import { decide, drainWorkers, POLL_SECONDS, settle } from '../../lib/cycle/drain-workers';
import type { Confirmations } from '../../lib/cycle/ports';
import { runSync } from '../../lib/cycle/ports';
import type { EcsTask } from '../../lib/ecs';
import type { EcsObservation } from '../../lib/observation';
import { EXEC, QUEUES, SERVICE, T0, cooldownOutput, drainNode, ecsObs, fakeEnv, node, nodeName, serviceConfig, task } from '../support/fake-env';

const cfg = serviceConfig({ drainTimeoutSeconds: 600 });
const four = [task(1), task(2), task(3), task(4)];
const busy = { active: 2 };

describe('DrainWorkers decide: which nodes to drain, or why none', () => {
  interface Row {
    name: string;
    ecs: EcsObservation;
    tasks: EcsTask[];
    nodes: NodeSnapshot[];
    to: number;
    expected: number[] | RegExp;
  }
  const rows: Row[] = [
    { name: 'an ECS deployment in progress drains nobody', ecs: ecsObs(4, { deploymentInProgress: true }), tasks: four, nodes: [node(1), node(2)], to: 2, expected: /an ECS deployment is in progress/ },
    { name: 'desired already at the target drains nobody', ecs: ecsObs(2), tasks: four, nodes: [node(1), node(2)], to: 2, expected: /desired is already 2 \(target 2\)/ },
    { name: 'desired below the target drains nobody', ecs: ecsObs(1), tasks: four, nodes: [node(1)], to: 2, expected: /desired is already 1 \(target 2\)/ },
    { name: 'workers that map to no task are never drained', ecs: ecsObs(4), tasks: four, nodes: [node('celery@elsewhere'), node('celery@ip-10-9-9-9')], to: 2, expected: /no worker maps to a running ECS task/ },
    { name: 'a worker whose task is not running is never drained', ecs: ecsObs(2), tasks: [task(1, 'PROVISIONING')], nodes: [node(1)], to: 1, expected: /no worker maps to a running ECS task/ },
    { name: 'drains desired − target, idle ones first, newest task first', ecs: ecsObs(4), tasks: four, nodes: [node(1), node(2, busy), node(3), node(4)], to: 2, expected: [1, 3] },
    { name: 'a busy worker is drained when it is the quickest left', ecs: ecsObs(4), tasks: four, nodes: [node(1, { active: 5 }), node(2, busy), node(3), node(4, { active: 5 })], to: 2, expected: [3, 2] },
    { name: 'fewer mappable workers than desired − target drains those there are', ecs: ecsObs(4), tasks: four, nodes: [node(1), node('celery@elsewhere')], to: 1, expected: [1] },
  ];
  test.each(rows)('$name', (r) => {
    const out = decide(cooldownOutput({ to: r.to }), cfg, { ecs: r.ecs, tasks: r.tasks, inspection: { nodes: r.nodes, missing: [], unanswered: 0 } });
    if (r.expected instanceof RegExp) expect('nothing' in out && out.nothing).toMatch(r.expected);
    else expect(out).toEqual({ chosen: r.expected.map(drainNode) });
  });
});

describe('DrainWorkers settle: the nodes that confirmed cancel_consumer drain', () => {
  const rows: [string, Confirmations, number[] | null, RegExp][] = [
    ['every chosen node confirmed', { confirmed: [nodeName(1), nodeName(2)], unconfirmed: [] }, [1, 2], /^draining celery@task0001, celery@task0002$/],
    ['a silent node is left out and named', { confirmed: [nodeName(1)], unconfirmed: [nodeName(2)] }, [1], /no confirmation from celery@task0002/],
    ['nobody confirmed: nothing to drain', { confirmed: [], unconfirmed: [nodeName(1), nodeName(2)] }, null, /no chosen worker confirmed cancel_consumer \(no confirmation from/],
  ];
  test.each(rows)('%s', (_name, sent, draining, result) => {
    const out = settle(cooldownOutput({ perWorkerPerMinute: 30 }), cfg, [drainNode(1), drainNode(2)], sent, T0);
    expect(out.result).toMatch(result);
    if (draining === null) {
      expect(out.status).toBe('nothing');
      return;
    }
    expect(out).toMatchObject({ status: 'draining', draining: draining.map(drainNode), empty: [], released: [], startedAt: T0, deadline: T0 + 600_000, pollSeconds: POLL_SECONDS, perWorkerPerMinute: 30 });
  });
});

describe('DrainWorkers step over fake ports', () => {
  const setup = (over: { ecs?: EcsObservation; silent?: string[] } = {}) => fakeEnv({ holding: true, world: { ecs: { [SERVICE]: over.ecs ?? ecsObs(4) }, tasks: { [SERVICE]: four }, nodes: [node(1, busy), node(2, busy), node(3), node(4)], silent: over.silent ?? [] } });
  const input = cooldownOutput({ to: 2 });

  test('records the drain, then sends cancel_consumer for every queue to exactly the chosen nodes', () => {
    const env = setup();
    const out = runSync(drainWorkers(env, input));
    expect(env.calls('history.saveDrain', 'workers.cancel', 'workers.add')).toEqual([
      `history.saveDrain ${SERVICE} ${JSON.stringify({ execution: EXEC, nodes: [3, 4].map((i) => ({ node: nodeName(i), taskId: `task000${i}` })), queues: QUEUES, at: T0 })}`,
      `workers.cancel [${QUEUES.join(',')}] [${nodeName(3)},${nodeName(4)}]`,
    ]);
    expect(out.status).toBe('draining');
    expect(env.store.lockHolder(SERVICE)).toBe(EXEC);
  });

  test('a node that did not confirm gets its queues back; the others drain', () => {
    const env = setup({ silent: [nodeName(4)] });
    const out = runSync(drainWorkers(env, input));
    expect(env.calls('workers.add')).toEqual([`workers.add [${QUEUES.join(',')}] [${nodeName(4)}]`]);
    expect(out).toMatchObject({ status: 'draining', draining: [drainNode(3)] });
  });

  test('no confirmation at all: queues handed back, record cleared, lock released', () => {
    const env = setup({ silent: [nodeName(3), nodeName(4)] });
    const out = runSync(drainWorkers(env, input));
    expect(out.status).toBe('nothing');
    expect(env.calls('workers.add', 'history.clearDrain', 'lease.releaseLock')).toEqual([
      `workers.add [${QUEUES.join(',')}] [${nodeName(3)},${nodeName(4)}]`,
      `history.clearDrain ${SERVICE}`,
      `lease.releaseLock ${SERVICE} ${EXEC}`,
    ]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });

  test.each([
    ['a deployment in progress', ecsObs(4, { deploymentInProgress: true })],
    ['desired already at the target', ecsObs(2)],
  ])('nothing to drain (%s): no command is sent, the lock is released', (_what, ecs) => {
    const env = setup({ ecs });
    expect(runSync(drainWorkers(env, input)).status).toBe('nothing');
    expect(env.calls('workers.cancel', 'workers.add', 'history.saveDrain')).toEqual([]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });
});
