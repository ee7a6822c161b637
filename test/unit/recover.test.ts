import { runSync } from '../../lib/cycle/ports';
import { REPAIR_LEASE_MS, recoverLeftovers } from '../../lib/cycle/recover';
import type { EcsTask } from '../../lib/ecs';
import type { DrainRecord } from '../../lib/state/store';
import { EXEC, QUEUES, SERVICE, T0, arn, fakeEnv, nodeName, task, taskId } from '../support/fake-env';

/**
 * recoverLeftovers over fake ports: a cycle (DEAD) died holding nothing any more but left a drain
 * record and/or scale-in protection on the service. Its note is what the cycle's summary shows.
 */
const DEAD = 'exec-dead';
const record = (nodes: number[]): DrainRecord => ({ execution: DEAD, nodes: nodes.map((i) => ({ node: nodeName(i), taskId: taskId(i) })), queues: QUEUES, at: T0 - 60_000 });
const prefix = `${SERVICE}: cycle ${DEAD} ended without cleaning up: `;

interface Leftover {
  tasks: EcsTask[];
  drained?: number[] | null;
  protectedArns?: string[];
  silent?: number[];
}
const leftOver = (l: Leftover) => {
  const env = fakeEnv({ world: { tasks: { [SERVICE]: l.tasks }, silent: (l.silent ?? []).map(nodeName) } });
  if (l.drained !== null) env.store.saveDrain(SERVICE, record(l.drained ?? [1, 2]));
  if (l.protectedArns) env.store.saveProtected(SERVICE, l.protectedArns, 600_000);
  return env;
};
const recordAfter = (env: ReturnType<typeof fakeEnv>) => env.store.drainRecords([SERVICE])[SERVICE]?.nodes.map((n) => n.node) ?? null;

describe('recoverLeftovers: which drained workers are asked, and what the note says', () => {
  interface Row {
    name: string;
    leftover: Leftover;
    dryRun?: boolean;
    adds: string[];
    note: string;
  }
  const rows: Row[] = [
    { name: 'a drained worker whose task ECS is stopping (desired STOPPED) is not asked', leftover: { tasks: [task(1), task(2, 'RUNNING', { desiredStatus: 'STOPPED' })] },
      adds: [`workers.add [${QUEUES.join(',')}] [${nodeName(1)}]`], note: `${prefix}gave ${QUEUES.join(', ')} back to ${nodeName(1)}` },
    { name: 'a drained worker whose task ECS last saw STOPPED is not asked, whatever its desired status says', leftover: { tasks: [task(1), task(2, 'STOPPED', { desiredStatus: 'RUNNING' })] },
      adds: [`workers.add [${QUEUES.join(',')}] [${nodeName(1)}]`], note: `${prefix}gave ${QUEUES.join(', ')} back to ${nodeName(1)}` },
    { name: 'no drained worker answers add_consumer: no "gave" claim, only the retry', leftover: { tasks: [task(1), task(2)], silent: [1, 2] },
      adds: [`workers.add [${QUEUES.join(',')}] [${nodeName(1)},${nodeName(2)}]`], note: `${prefix}no answer yet from ${nodeName(1)}, ${nodeName(2)}; will retry next cycle` },
    { name: 'a dry run whose drained tasks all stopped has nothing to give back', leftover: { tasks: [task(1, 'STOPPED'), task(2, 'STOPPED')] }, dryRun: true,
      adds: [], note: `${prefix}nothing left to undo` },
    { name: 'a dry run only says it would clear the protection', leftover: { tasks: [task(1, 'STOPPED'), task(2, 'STOPPED'), task(3)], protectedArns: [arn(3), arn(4)] }, dryRun: true,
      adds: [], note: `${prefix}would clear scale-in protection of 2 task(s)` },
    { name: 'protection left without a drain record: the note names no cycle', leftover: { tasks: [task(3)], drained: null, protectedArns: [arn(3)] },
      adds: [], note: `${SERVICE}: a cycle ended without cleaning up: cleared scale-in protection of 1 task(s)` },
  ];
  test.each(rows)('$name', (r) => {
    const env = leftOver(r.leftover);
    expect(runSync(recoverLeftovers(env, r.dryRun ?? false, EXEC))).toEqual([r.note]);
    expect(env.calls('workers.add')).toEqual(r.adds);
  });
});

describe('recoverLeftovers over fake ports: what it changes', () => {
  test('under a lock of one Lambda attempt: queues back, protection cleared, the record forgotten, the lock released, in that order', () => {
    const env = leftOver({ tasks: [task(1), task(2)], protectedArns: [arn(1), arn(2)] });
    runSync(recoverLeftovers(env, false, EXEC));
    expect(env.calls('lease', 'ecs', 'workers', 'history.clearProtected', 'history.clearDrain', 'history.saveDrain')).toEqual([
      `lease.acquireLock ${SERVICE} ${EXEC} ${REPAIR_LEASE_MS}`,
      `ecs.describeTasks ${SERVICE} [${taskId(1)},${taskId(2)}]`,
      `workers.add [${QUEUES.join(',')}] [${nodeName(1)},${nodeName(2)}]`,
      `ecs.unprotect ${SERVICE} [${arn(1)},${arn(2)}]`,
      `history.clearProtected ${SERVICE}`,
      `history.clearDrain ${SERVICE}`,
      `lease.releaseLock ${SERVICE} ${EXEC}`,
    ]);
    expect(recordAfter(env)).toBeNull();
    expect(env.store.protectedTasks(SERVICE)).toEqual([]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });

  test('a drain record naming no node: no DescribeTasks with an empty list', () => {
    const env = leftOver({ tasks: [task(3)], drained: [], protectedArns: [arn(3)] });
    expect(runSync(recoverLeftovers(env, false, EXEC))).toEqual([`${prefix}cleared scale-in protection of 1 task(s)`]);
    expect(env.calls('ecs.describeTasks', 'workers')).toEqual([]);
    expect(recordAfter(env)).toBeNull();
  });

  test('every drained worker silent: the record keeps them all for the next cycle', () => {
    const env = leftOver({ tasks: [task(1), task(2)], silent: [1, 2] });
    runSync(recoverLeftovers(env, false, EXEC));
    expect(recordAfter(env)).toEqual([nodeName(1), nodeName(2)]);
  });

  test('a dry run touches neither ECS protection, the store, nor the lock', () => {
    const env = leftOver({ tasks: [task(1), task(2)], protectedArns: [arn(1), arn(2)] });
    expect(runSync(recoverLeftovers(env, true, EXEC))).toEqual([
      `${prefix}would give ${QUEUES.join(', ')} back to ${nodeName(1)}, ${nodeName(2)}; would clear scale-in protection of 2 task(s)`,
    ]);
    expect(env.calls('lease', 'workers.add', 'ecs.unprotect', 'history.clearProtected', 'history.clearDrain', 'history.saveDrain')).toEqual([]);
    expect(recordAfter(env)).toEqual([nodeName(1), nodeName(2)]);
    expect(env.store.protectedTasks(SERVICE)).toEqual([arn(1), arn(2)]);
  });

  test('a failure part-way is reported in the note; the record stays for the next cycle and the lock is released', () => {
    const env = leftOver({ tasks: [task(1), task(2)], protectedArns: [arn(1)] });
    env.fail('ecs.describeTasks', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(runSync(recoverLeftovers(env, false, EXEC))).toEqual([`${prefix}could not finish (ThrottlingException: Rate exceeded); will retry next cycle`]);
    expect(env.calls('workers.add', 'ecs.unprotect', 'history.clearDrain')).toEqual([]);
    expect(recordAfter(env)).toEqual([nodeName(1), nodeName(2)]);
    expect(env.store.protectedTasks(SERVICE)).toEqual([arn(1)]);
    expect(env.calls('lease.releaseLock')).toEqual([`lease.releaseLock ${SERVICE} ${EXEC}`]);
    expect(env.store.lockHolder(SERVICE)).toBeNull();
  });
});
