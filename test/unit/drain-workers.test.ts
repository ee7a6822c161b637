import type { NodeSnapshot } from '../../lib/celery/inspect';
import { decide, drainWorkers, POLL_SECONDS, pollSecondsFor, settle } from '../../lib/cycle/drain-workers';
import type { Confirmations } from '../../lib/cycle/ports';
import { runSync } from '../../lib/cycle/ports';
import type { EcsTask } from '../../lib/ecs';
import type { EcsObservation } from '../../lib/observation';
import { EXEC, QUEUES, SERVICE, T0, cooldownOutput, cycle, drainNode, ecsObs, fakeEnv, node, nodeName, serviceConfig, task } from '../support/fake-env';

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

describe('pollSecondsFor: drains of one cycle stay within the execution history', () => {
  // 20,000 events at 16 per poll: 1,250 polls shared by the cycle's branches; each drain lasts its
  // timeout plus the 300 s wait for released tasks to stop.
  const rows: [string, number, number, number][] = [
    ['one drain of 10 minutes polls every 5 s', 600, 1, POLL_SECONDS],
    ['50 drains of 10 minutes: 25 polls each over 900 s', 600, 50, 36],
    ['10 drains of 10 minutes: 125 polls each over 900 s', 600, 10, 8],
    ['50 drains of an hour: 25 polls each over 3,900 s', 3600, 50, 156],
    ['a long drain alone: 1,250 polls over 7,300 s', 7000, 1, 6],
  ];
  test.each(rows)('%s', (_name, timeout, branches, seconds) => {
    expect(pollSecondsFor(timeout, branches)).toBe(seconds);
  });

  test('a drain started by one of 50 branches polls at the interval they share', () => {
    const out = settle(cooldownOutput({ branches: 50 }), cfg, [drainNode(1)], { confirmed: [nodeName(1)], unconfirmed: [] }, T0);
    expect(out).toMatchObject({ status: 'draining', pollSeconds: 36 });
  });
});

describe('DrainWorkers step over fake ports', () => {
  const setup = (over: { ecs?: EcsObservation; silent?: string[] } = {}) => fakeEnv({ holding: true, world: { ecs: { [SERVICE]: over.ecs ?? ecsObs(4) }, tasks: { [SERVICE]: four }, nodes: [node(1, busy), node(2, busy), node(3), node(4)], silent: over.silent ?? [] } });
  const input = cooldownOutput({ to: 2 });

  test('inspects the workers\' load without asking for their queues (one broadcast fewer)', () => {
    const env = setup();
    runSync(drainWorkers(env, input));
    expect(env.calls('workers.inspect')).toEqual(['workers.inspect {"withQueues":false}']);
  });

  test('the drain it starts: the chosen nodes draining, nothing emptied, released or restored yet', () => {
    const env = setup();
    expect(runSync(drainWorkers(env, input))).toEqual({
      cycle: cycle(), service: SERVICE, from: 4, to: 2, reason: 'idle', status: 'draining',
      draining: [drainNode(3), drainNode(4)], empty: [], released: [], restored: [],
      startedAt: T0, deadline: T0 + 600_000, pollSeconds: POLL_SECONDS,
      result: `draining ${nodeName(3)}, ${nodeName(4)}`,
    });
  });

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
    ['a deployment in progress', ecsObs(4, { deploymentInProgress: true }), 'no scale-down: an ECS deployment is in progress'],
    ['desired already at the target', ecsObs(2), 'no scale-down: desired is already 2 (target 2)'],
  ])('nothing to drain (%s): no command is sent, the lock is released', (_what, ecs, result) => {
    const env = setup({ ecs });
    expect(runSync(drainWorkers(env, input))).toEqual({ service: SERVICE, status: 'nothing', result });
    expect(env.calls('workers.cancel', 'workers.add', 'history.saveDrain')).toEqual([]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });
});
