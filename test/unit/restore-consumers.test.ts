import type { Drain } from '../../lib/cycle/payloads';
import { runSync } from '../../lib/cycle/ports';
import { decide, restoreConsumers } from '../../lib/cycle/restore-consumers';
import { EXEC, QUEUES, SERVICE, drain, drainNode, fakeEnv, nodeName } from '../support/fake-env';

describe('RestoreConsumers decide: every node not removed gets its queues back', () => {
  interface Row {
    name: string;
    input: Partial<Drain>;
    restore: number[];
    status: Drain['status'];
    result: string;
  }
  const rows: Row[] = [
    { name: 'a timed-out drain gives back every still-draining node and ends', input: { status: 'timedOut', draining: [drainNode(1), drainNode(2)] }, restore: [1, 2], status: 'done', result: 'drain timed out: queues given back to celery@task0001, celery@task0002; removed nobody' },
    { name: 'an emptied node that was not removed is given back too', input: { status: 'abandoned', result: 'drain abandoned: 900 pending need 3 workers, more than the 2 planned', draining: [drainNode(1)], empty: [drainNode(2)] }, restore: [1, 2], status: 'done', result: 'drain abandoned: 900 pending need 3 workers, more than the 2 planned: queues given back to celery@task0001, celery@task0002; removed nobody' },
    { name: 'after a release, it waits for the removed tasks to stop', input: { status: 'timedOut', draining: [drainNode(1)], released: [drainNode(3)] }, restore: [1], status: 'stopping', result: 'drain timed out: queues given back to celery@task0001; removed celery@task0003' },
    { name: 'nobody left to give back', input: { status: 'abandoned', result: 'scale-down abandoned: a newer cycle wants 5 workers', released: [drainNode(3)] }, restore: [], status: 'stopping', result: 'scale-down abandoned: a newer cycle wants 5 workers: queues given back to none; removed celery@task0003' },
  ];
  test.each(rows)('$name', (r) => {
    const { output, restore } = decide(drain(r.input));
    expect(restore).toEqual(r.restore.map(nodeName));
    expect(output).toMatchObject({ status: r.status, result: r.result, draining: [], empty: [], restored: r.restore.map(nodeName) });
  });
});

describe('RestoreConsumers step over fake ports', () => {
  test('renews the lease, then add_consumer for every queue of the service to the nodes given back', () => {
    const env = fakeEnv({ holding: true });
    runSync(restoreConsumers(env, drain({ status: 'timedOut', draining: [drainNode(1)], empty: [drainNode(2)] })));
    expect(env.calls()).toEqual([`lease.extendLock ${SERVICE} ${EXEC} 180000`, `workers.add [${QUEUES.join(',')}] [${nodeName(1)},${nodeName(2)}]`]);
  });

  test('nobody to give back sends no command', () => {
    const env = fakeEnv({ holding: true });
    runSync(restoreConsumers(env, drain({ status: 'abandoned', released: [drainNode(3)] })));
    expect(env.calls('workers')).toEqual([]);
  });
});
