import { FAULT_KINDS, faultKindsFor, faultSchedule, RABBITMQ_FAULT_KINDS, taskKeysIn } from '../../local/faults';
import { accountTasks, redeliveredByFaults, destroyedByFaults, InvariantChecker, type ServiceView, type Snapshot } from '../../local/invariants';
import { loadSchedule, soakPlan } from '../../local/soak';

const LEASE = 6000;
const view = (o: Partial<ServiceView> = {}): ServiceView => ({
  minWorkers: 1, maxWorkers: 5, hardMaxWorkers: 10, queues: ['q1', 'q2'], desired: 2,
  workers: [{ node: 'worker@a', taskId: 'a', queues: ['q1', 'q2'] }], drainRecord: [], lock: null, protectedTasks: [], stoppedByScaleIn: [], ...o,
});
const snap = (cycle: number, v: ServiceView, o: Partial<Snapshot> = {}): Snapshot => ({ at: 100_000 + cycle * 2000, cycle, services: { web: v }, drained: new Set(), ended: new Map(), ...o });

/** Runs the same view for `cycles` cycles; the invariants broken, in order. */
function broken(v: ServiceView, cycles = 1, o: Partial<Snapshot> = {}): string[] {
  const c = new InvariantChecker({ lockLeaseMs: LEASE, graceCycles: 2 });
  for (let i = 1; i <= cycles; i += 1) c.check(snap(i, v, o));
  return c.violations.map((x) => x.invariant);
}

describe('the soak invariant checker', () => {
  test.each([
    ['healthy', view(), 5, {}, []],
    ['desired', view({ desired: 6 }), 1, {}, ['desired within bounds']],
    ['desired', view({ desired: 0 }), 1, {}, ['desired within bounds']],
    ['desired', view({ maxWorkers: 20, desired: 11 }), 1, {}, ['desired within bounds']],
    ['queues', view({ workers: [{ node: 'worker@a', taskId: 'a', queues: ['q1'] }] }), 2, {}, []],
    ['queues', view({ workers: [{ node: 'worker@a', taskId: 'a', queues: ['q1'] }] }), 3, {}, ['workers keep their queues']],
    ['queues', view({ workers: [{ node: 'worker@a', taskId: 'a', queues: [] }] }), 6, {}, ['workers keep their queues']],
    ['queues', view({ workers: [{ node: 'worker@a', taskId: 'a', queues: null }] }), 6, {}, []],
    ['queues', view({ workers: [{ node: 'worker@a', taskId: 'a', queues: [] }], drainRecord: ['worker@a'], lock: { holder: 'x', pttlMs: 3000 } }), 6, {}, []],
    ['queues', view({ workers: [{ node: 'worker@a', taskId: 'a', queues: [] }], drainRecord: ['worker@a'] }), 3, {}, ['workers keep their queues']],
    ['lock', view({ lock: { holder: 'x', pttlMs: -1 } }), 1, {}, ['no lock past its lease']],
    ['lock', view({ lock: { holder: 'x', pttlMs: LEASE + 1 } }), 1, {}, ['no lock past its lease']],
    ['lock', view({ lock: { holder: 'x', pttlMs: 500 } }), 1, { ended: new Map([['x', 100_000 - LEASE - 1500]]) }, ['no lock past its lease']],
    ['lock', view({ lock: { holder: 'x', pttlMs: 500 } }), 1, { ended: new Map([['x', 100_000]]) }, []],
    ['protection', view({ protectedTasks: ['b'] }), 2, {}, []],
    ['protection', view({ protectedTasks: ['b'] }), 3, {}, ['no protection without its cycle']],
    ['protection', view({ protectedTasks: ['b'], lock: { holder: 'x', pttlMs: 3000 } }), 5, {}, []],
    ['protection', view({ protectedTasks: ['b'], drainRecord: ['worker@b'] }), 5, {}, []],
    ['scale-in', view({ stoppedByScaleIn: [{ taskId: 'b', runningKeys: [] }] }), 1, { drained: new Set(['b']) }, []],
    ['scale-in', view({ stoppedByScaleIn: [{ taskId: 'b', runningKeys: [] }] }), 1, {}, ['ECS stops only drained workers']],
    ['scale-in', view({ stoppedByScaleIn: [{ taskId: 'b', runningKeys: ['k1'] }] }), 1, { drained: new Set(['b']) }, ['ECS stops only drained workers']],
  ] as const)('%s, row %#', (_what, v, cycles, o, expected) => {
    expect(broken(v as ServiceView, cycles, o as Partial<Snapshot>)).toEqual(expected);
  });

  test('a worker that does not answer neither breaks nor extends its streak', () => {
    const c = new InvariantChecker({ lockLeaseMs: LEASE, graceCycles: 2 });
    const bad = view({ workers: [{ node: 'worker@a', taskId: 'a', queues: ['q1'] }] });
    const silent = view({ workers: [{ node: 'worker@a', taskId: 'a', queues: null }] });
    [bad, bad, silent, silent].forEach((v, i) => c.check(snap(i + 1, v)));
    expect(c.violations).toEqual([]);
    c.check(snap(5, bad));
    expect(c.violations.map((v) => v.cycle)).toEqual([5]);
  });

  test('a streak that breaks starts again', () => {
    const c = new InvariantChecker({ lockLeaseMs: LEASE, graceCycles: 2 });
    const bad = view({ workers: [{ node: 'worker@a', taskId: 'a', queues: ['q1'] }] });
    [bad, bad, view(), bad, bad].forEach((v, i) => c.check(snap(i + 1, v)));
    expect(c.violations).toEqual([]);
  });

  test.each([
    [{ quietSince: 0, reachedAt: 19_000, allowedMs: 20_000, now: 30_000 }, []],
    [{ quietSince: 0, reachedAt: 21_000, allowedMs: 20_000, now: 30_000 }, ['back to the minimum fleet']],
    [{ quietSince: 0, reachedAt: null, allowedMs: 20_000, now: 21_000 }, ['back to the minimum fleet']],
    [{ quietSince: 0, reachedAt: null, allowedMs: 20_000, now: 10_000 }, []],
  ])('back to the minimum: %j → %j', (o, expected) => {
    const c = new InvariantChecker({ lockLeaseMs: LEASE, graceCycles: 2 });
    expect(c.checkReturnToMinimum({ cycle: -1, ...o }).map((v) => v.invariant)).toEqual(expected);
  });
});

describe('the soak task accounting', () => {
  test.each([
    ['all once', { a: 1, b: 1 }, [], [], false, { completed: 2, lost: [], runTwice: [], waitingInUnacked: [], lostToFault: {}, runTwiceByFault: {} }],
    ['one twice', { a: 2, b: 1 }, [], [], false, { completed: 2, lost: [], runTwice: ['a'], waitingInUnacked: [], lostToFault: {}, runTwiceByFault: {} }],
    ['one lost', { a: 1 }, [], [], false, { completed: 1, lost: ['b'], runTwice: [], waitingInUnacked: [], lostToFault: {}, runTwiceByFault: {} }],
    ['destroyed by a fault', { a: 1 }, [['b', 'worker-sigkill']], [], false, { completed: 1, lost: [], runTwice: [], waitingInUnacked: [], lostToFault: { 'worker-sigkill': ['b'] }, runTwiceByFault: {} }],
    ['destroyed, but ran anyway', { a: 1, b: 1 }, [['b', 'redis-wiped']], [], false, { completed: 2, lost: [], runTwice: [], waitingInUnacked: [], lostToFault: {}, runTwiceByFault: {} }],
    ['in unacked after a broker fault', { a: 1 }, [], ['b'], true, { completed: 1, lost: [], runTwice: [], waitingInUnacked: ['b'], lostToFault: {}, runTwiceByFault: {} }],
    ['in unacked with no fault to blame', { a: 1 }, [], ['b'], false, { completed: 1, lost: ['b'], runTwice: [], waitingInUnacked: [], lostToFault: {}, runTwiceByFault: {} }],
  ] as const)('%s', (_name, counts, faults, unacked, excused, expected) => {
    expect(accountTasks(['a', 'b'], counts, new Map(faults as unknown as [string, string][]), new Set(unacked), excused)).toEqual({ sent: 2, ...expected });
  });

  test('a task run again from a redelivery a fault caused is the fault\'s; any other second run is the autoscaler\'s', () => {
    const a = accountTasks(['a', 'b', 'c'], { a: 2, b: 2, c: 1 }, new Map(), new Set(), false, new Map([['a', 'rabbitmq-restart']]));
    expect(a).toMatchObject({ completed: 3, runTwice: ['b'], runTwiceByFault: { 'rabbitmq-restart': ['a'] } });
  });
});

describe('tasks the broker redelivered after a fault broke their connection', () => {
  const breaking = new Set(['rabbitmq-restart', 'worker-sigkill']);
  const landings = [{ at: 5_000, kind: 'worker-sigkill' }, { at: 10_000, kind: 'ecs-5xx' }, { at: 20_000, kind: 'rabbitmq-restart' }];
  const run = (completions: Record<string, number>, redelivered: Record<string, string>, receivedAt: Record<string, string>) =>
    Object.fromEntries(redeliveredByFaults({ completions, redelivered, receivedAt, landings, breaking }));

  test('the latest connection-breaking fault before its last delivery is named', () => {
    expect(run({ a: 2, b: 2 }, { a: '1', b: '1' }, { a: '25', b: '12' })).toEqual({ a: 'rabbitmq-restart', b: 'worker-sigkill' });
  });
  test('not when a run past the first came from a fresh delivery (published or consumed twice: not the broker)', () => {
    expect(run({ a: 2, b: 3 }, { b: '1' }, { a: '25', b: '25' })).toEqual({});
  });
  test('not when no connection-breaking fault landed before it was taken again', () => {
    expect(run({ a: 2 }, { a: '1' }, { a: '4' })).toEqual({});
  });
  test('a task run once is not counted, redelivered or not', () => {
    expect(run({ a: 1 }, { a: '1' }, { a: '25' })).toEqual({});
  });
});

describe('what a killed worker or a stopped broker destroyed', () => {
  const killed = new Map([['worker@k', 'worker-sigkill']]);
  const base = {
    sent: ['a', 'b', 'c', 'd', 'e', 'f'], completions: { a: 1 }, lostToFault: new Map([['f', 'redis-wiped']]), killed, popped: new Map<string, string>(),
    inUnacked: new Set<string>(), receivedAt: {} as Record<string, string>, running: {} as Record<string, string>, publishedAt: new Map<string, number>(), brokerStops: [],
  };
  const wipe = { fault: 'redis-wiped', at: 10_000, upAt: 11_000, wiped: true };
  const restart = { fault: 'redis-restart', at: 10_000, upAt: 12_000, wiped: false };

  test('the tasks the killed worker took last and never finished, whether it had started them or not', () => {
    // a completed; b taken last by the killed worker (started, or acknowledged before it started);
    // c taken first by it, then again by a live worker (redelivered): not the kill's;
    // d taken by a worker no fault killed: the autoscaler's; e taken by nobody; f already a broker fault's.
    const received = { a: 'worker@k', b: 'worker@k', c: 'worker@live', d: 'worker@drained' };
    expect([...destroyedByFaults({ ...base, received })]).toEqual([['b', 'worker-sigkill']]);
  });

  test('a task taken but not acknowledged waits in unacked: not destroyed', () => {
    expect([...destroyedByFaults({ ...base, received: { b: 'worker@k' }, inUnacked: new Set(['b']) })]).toEqual([]);
  });

  test('a task no worker received is a kill\'s only if it left the queues while the worker was being struck', () => {
    expect([...destroyedByFaults({ ...base, received: {}, popped: new Map([['e', 'worker-sigstop-forever']]) })]).toEqual([['e', 'worker-sigstop-forever']]);
    // Received by a live worker in that window: it is that worker's, never the kill's.
    expect([...destroyedByFaults({ ...base, received: { e: 'worker@live' }, popped: new Map([['e', 'worker-sigkill']]) })]).toEqual([]);
  });

  test('a task no worker received, published before a broker stop: popped between BRPOP and its unacked write', () => {
    expect([...destroyedByFaults({ ...base, received: { b: 'x', c: 'x', d: 'x' }, publishedAt: new Map([['e', 9_000]]), brokerStops: [restart] })]).toEqual([['e', 'redis-restart']]);
    // Published after the stop: nothing excuses it.
    expect([...destroyedByFaults({ ...base, received: { b: 'x', c: 'x', d: 'x' }, publishedAt: new Map([['e', 10_500]]), brokerStops: [restart] })]).toEqual([]);
  });

  test('taken, never started, and its broker came back empty before it ran: the wipe\'s; started, or taken after: not', () => {
    const o = { ...base, received: { b: 'worker@drained', c: 'worker@drained', d: 'worker@drained' }, publishedAt: new Map([['b', 9_000], ['c', 9_000], ['d', 9_000]]), brokerStops: [wipe] };
    expect([...destroyedByFaults({ ...o, receivedAt: { b: '10.5', c: '10.5', d: '11.5' }, running: { c: 'worker@drained' } })]).toEqual([['b', 'redis-wiped']]);
    // A restart that kept its data keeps the unacked entry: no excuse there.
    expect([...destroyedByFaults({ ...o, receivedAt: { b: '10.5' }, brokerStops: [restart] })]).toEqual([]);
  });
});

describe('the soak schedule', () => {
  test('--minutes N lasts about N minutes: load and faults, then a fixed tail', () => {
    expect(soakPlan(4)).toEqual({ loadSeconds: 210, expectedSeconds: 240, maxSeconds: 330 });
    expect(soakPlan(2).expectedSeconds).toBe(120);
    expect(soakPlan(1).loadSeconds).toBe(30);
  });

  test('a seed replays the same faults and load; another seed does not', () => {
    expect(faultSchedule(7, 120, 6)).toEqual(faultSchedule(7, 120, 6));
    expect(loadSchedule(7, 120, ['a', 'b'])).toEqual(loadSchedule(7, 120, ['a', 'b']));
    expect(faultSchedule(8, 120, 6)).not.toEqual(faultSchedule(7, 120, 6));
  });

  test('every fault kind comes once before any comes twice', () => {
    const kinds = faultSchedule(3, 1000, 6).slice(0, FAULT_KINDS.length).map((f) => f.kind);
    expect(new Set(kinds).size).toBe(FAULT_KINDS.length);
  });

  test('on RabbitMQ the broker faults are RabbitMQ\'s, the others the same kinds in the same order', () => {
    const names = (ks: typeof FAULT_KINDS) => ks.map((k) => k.name);
    expect(faultKindsFor('redis')).toBe(FAULT_KINDS);
    const rabbit = names(faultKindsFor('rabbitmq'));
    expect(rabbit.filter((n) => n.startsWith('rabbitmq-'))).toEqual(['rabbitmq-restart', 'rabbitmq-connections-closed', 'rabbitmq-queue-deleted']);
    expect(rabbit.some((n) => n.startsWith('redis-'))).toBe(false);
    expect(rabbit.filter((n) => !n.startsWith('rabbitmq-'))).toEqual(names(FAULT_KINDS).filter((n) => !n.startsWith('redis-')));
    const schedule = faultSchedule(3, 1000, 6, RABBITMQ_FAULT_KINDS).slice(0, RABBITMQ_FAULT_KINDS.length).map((f) => f.kind);
    expect(new Set(schedule)).toEqual(new Set(rabbit));
  });

  test('task keys are found in a Celery message, whose body is base64', () => {
    const body = Buffer.from(JSON.stringify([['w3-default-17', 0.1], {}, {}])).toString('base64');
    expect([...taskKeysIn([JSON.stringify({ body, headers: { task: 'tasks.record' } })])]).toEqual(['w3-default-17']);
  });
});
