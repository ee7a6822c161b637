import { CANCEL_SETTLE_MS, checkDrain, decide, staleReason } from '../../lib/cycle/check-drain';
import { LockLostError } from '../../lib/cycle/lease';
import type { Drain } from '../../lib/cycle/payloads';
import { runSync, type Held } from '../../lib/cycle/ports';
import type { EcsTask } from '../../lib/ecs';
import type { Wanted } from '../../lib/state/store';
import { EXEC, OTHER, QUEUES, SERVICE, T0, arn, drain, drainNode, taskId, fakeEnv, node, nodeName, serviceConfig, task } from '../support/fake-env';

// 60 tasks/min per worker, 5 min target: one worker finishes 300 pending; the drain leaves 2.
const cfg = serviceConfig();
const idle: Held = { active: 0, reserved: 0, scheduled: 0 };
const busy: Held = { active: 1, reserved: 2, scheduled: 0 };

describe('staleReason: when a drain should give its workers back', () => {
  const rows: [string, number, Wanted | null, RegExp | null][] = [
    ['work the planned count finishes in time keeps the drain', 600, null, null],
    ['a backlog needing more workers than planned stops it', 601, null, /601 pending need 3 workers, more than the 2 planned/],
    ['a scale-up asked after the drain began stops it', 0, { to: 4, at: T0 + 1 }, /a newer cycle wants 4 workers/],
    ['a scale-up asked at the drain start stops it', 0, { to: 3, at: T0 }, /a newer cycle wants 3 workers/],
    ['a want older than the drain is ignored', 0, { to: 4, at: T0 - 1 }, null],
    ['a want no larger than the drain target is ignored', 0, { to: 2, at: T0 + 1 }, null],
  ];
  test.each(rows)('%s', (_name, pending, wanted, expected) => {
    const reason = staleReason({ to: 2, startedAt: T0 }, cfg, pending, wanted);
    if (expected === null) expect(reason).toBeNull();
    else expect(reason).toMatch(expected);
  });

  test('the plan’s own throughput, not the configured one, sizes the backlog', () => {
    expect(staleReason({ to: 2, startedAt: T0, perWorkerPerMinute: 120 }, cfg, 601, null)).toBeNull();
  });
});

describe('CheckDrain decide: which draining nodes emptied', () => {
  interface Row {
    name: string;
    draining: number[];
    emptyBefore?: number[];
    /** By node index; a node not listed gives no reply. */
    held: Record<number, Held>;
    /** null: ECS unreadable. */
    tasks: EcsTask[] | null;
    pending?: number;
    wanted?: Wanted | null;
    now?: number;
    status: Drain['status'];
    still: number[];
    empty: number[];
    busy?: Drain['busy'];
  }
  const running = [task(1), task(2), task(3)];
  const rows: Row[] = [
    { name: 'a node holding nothing is empty and released', draining: [1], held: { 1: idle }, tasks: running, status: 'release', still: [], empty: [1], busy: [] },
    { name: 'a node holding tasks keeps draining', draining: [1], held: { 1: busy }, tasks: running, status: 'waiting', still: [1], empty: [], busy: [{ node: nodeName(1), ...busy }] },
    { name: 'a scheduled (eta) task alone keeps a node busy', draining: [1], held: { 1: { active: 0, reserved: 0, scheduled: 1 } }, tasks: running, status: 'waiting', still: [1], empty: [] },
    { name: 'an active task and a scheduled one keep a node busy', draining: [1], held: { 1: { active: 1, reserved: 0, scheduled: 1 } }, tasks: running, status: 'waiting', still: [1], empty: [] },
    { name: 'no reply is not empty', draining: [1], held: {}, tasks: running, status: 'waiting', still: [1], empty: [], busy: [{ node: nodeName(1), noReply: true }] },
    { name: 'a node whose task stopped is empty without a reply', draining: [1], held: {}, tasks: [task(1, 'STOPPED')], status: 'release', still: [], empty: [1] },
    { name: 'a node whose task left the service is empty', draining: [1], held: {}, tasks: [task(2)], status: 'release', still: [], empty: [1] },
    { name: 'ECS unreadable: a silent node is judged by its answer alone', draining: [1], held: {}, tasks: null, status: 'waiting', still: [1], empty: [], busy: [{ node: nodeName(1), noReply: true }] },
    { name: 'ECS unreadable: an idle node is still empty', draining: [1], held: { 1: idle }, tasks: null, status: 'release', still: [], empty: [1] },
    { name: 'past the deadline with nobody empty: timed out', draining: [1, 2], held: { 1: busy }, tasks: running, now: T0 + 600_000, status: 'timedOut', still: [1, 2], empty: [] },
    { name: 'past the deadline, an emptied node is still released first', draining: [1, 2], held: { 1: idle, 2: busy }, tasks: running, now: T0 + 600_000, status: 'release', still: [2], empty: [1] },
    { name: 'a backlog abandons the drain before any node is judged', draining: [1], held: { 1: idle }, tasks: running, pending: 601, status: 'abandoned', still: [1], empty: [], busy: undefined },
    { name: 'a newer want abandons the drain', draining: [1], held: { 1: idle }, tasks: running, wanted: { to: 3, at: T0 + 5_000 }, status: 'abandoned', still: [1], empty: [] },
    { name: 'a want older than the drain is ignored', draining: [1], held: { 1: busy }, tasks: running, wanted: { to: 3, at: T0 - 5_000 }, status: 'waiting', still: [1], empty: [] },
    { name: 'one emptied node is released while the others keep draining', draining: [1, 2, 3], held: { 1: busy, 2: idle, 3: busy }, tasks: running, status: 'release', still: [1, 3], empty: [2] },
    { name: 'a node holding nothing whose cancel has not taken effect is not empty (it can still take a message)', draining: [1], held: { 1: { ...idle, consuming: ['default'] } }, tasks: running, status: 'waiting', still: [1], empty: [], busy: [{ node: nodeName(1), ...idle, consuming: ['default'] }] },
    { name: 'a node first answering it consumes none of the queues is not empty yet: a BRPOP sent before the cancel can still pop a message', draining: [1], held: { 1: { ...idle, consuming: [] } }, tasks: running, status: 'waiting', still: [1], empty: [], busy: [{ node: nodeName(1), ...idle, consuming: [] }] },
    { name: 'nodes emptied earlier but not yet released stay empty', draining: [2], emptyBefore: [1], held: { 2: busy }, tasks: running, status: 'release', still: [2], empty: [1] },
  ];
  test.each(rows)('$name', (r) => {
    const input = drain({ draining: r.draining.map(drainNode), empty: (r.emptyBefore ?? []).map(drainNode) });
    const held = Object.fromEntries(r.draining.map((i) => [nodeName(i), r.held[i] ?? null]));
    const out = decide(input, cfg, { held, tasks: r.tasks, pending: r.pending ?? 0, wanted: r.wanted ?? null, now: r.now ?? T0 + 5_000 });
    expect(out.status).toBe(r.status);
    // The settle clock (offAt) has tests of its own below.
    const plain = (ns: Drain['draining']) => ns.map(({ node, taskId }) => ({ node, taskId }));
    expect(plain(out.draining)).toEqual(r.still.map(drainNode));
    expect(plain(out.empty)).toEqual(r.empty.map(drainNode));
    if ('busy' in r) expect(out.busy).toEqual(r.busy);
  });
});

describe('CheckDrain: a cancel settles before a node is called empty', () => {
  const at = (offAt?: number) => ({ ...drainNode(1), ...(offAt === undefined ? {} : { offAt }) });
  const judge = (node: ReturnType<typeof at>, held: Held, now: number) =>
    decide(drain({ draining: [node] }), cfg, { held: { [nodeName(1)]: held }, tasks: [task(1)], pending: 0, wanted: null, now });
  test('the first answer without the queues starts the clock on the node', () => {
    const out = judge(at(), { ...idle, consuming: [] }, T0 + 5_000);
    expect(out.draining).toEqual([at(T0 + 5_000)]);
  });
  test.each([
    ['just under the settle time: still draining', CANCEL_SETTLE_MS - 1, 'waiting'],
    ['at the settle time: empty', CANCEL_SETTLE_MS, 'release'],
  ] as const)('%s', (_name, after, status) => {
    expect(judge(at(T0), { ...idle, consuming: [] }, T0 + after).status).toBe(status);
  });
  test('a settled node that still holds a task keeps draining, and keeps its clock', () => {
    const out = judge(at(T0), { ...busy, consuming: [] }, T0 + 60_000);
    expect(out.status).toBe('waiting');
    expect(out.draining).toEqual([at(T0)]);
  });
  test('a node that consumes a drained queue again loses its clock', () => {
    const out = judge(at(T0), { ...idle, consuming: ['q1'] }, T0 + 60_000);
    expect(out.status).toBe('waiting');
    expect(out.draining).toEqual([at()]);
  });
  test('the released node carries its clock into ScaleDown\'s input', () => {
    expect(judge(at(T0), { ...idle, consuming: [] }, T0 + CANCEL_SETTLE_MS).empty).toEqual([at(T0)]);
  });
});

describe('CheckDrain step over fake ports', () => {
  const setup = () => fakeEnv({ holding: true, now: T0 + 5_000, world: { nodes: [node(1), node(2, busy)], tasks: { [SERVICE]: [task(1), task(2)] } } });
  const input = drain({ draining: [drainNode(1), drainNode(2)] });

  test('renews the lease, asks exactly the draining nodes, reads the service queues and the want; every node answered, so ECS is not asked', () => {
    const env = setup();
    const out = runSync(checkDrain(env, input));
    expect(out.status).toBe('release');
    expect(env.calls()).toEqual([
      `lease.extendLock ${SERVICE} ${EXEC} 180000`,
      `workers.held [${nodeName(1)},${nodeName(2)}] [${QUEUES.join(',')}]`,
      `workers.pending [${QUEUES.join(',')}]`,
      `history.wanted ${SERVICE}`,
    ]);
  });

  test('a silent node: DescribeTasks on the draining nodes\' own tasks, never a listing of the service', () => {
    const env = setup();
    env.world.held[nodeName(1)] = null;
    const out = runSync(checkDrain(env, input));
    expect(env.calls('ecs')).toEqual([`ecs.describeTasks ${SERVICE} [${taskId(1)},${taskId(2)}]`]);
    expect(out.status).toBe('waiting');
  });

  test('a silent node whose task stopped is empty; a busy one that answered is not, whatever ECS says of it', () => {
    const env = setup();
    env.world.held[nodeName(1)] = null;
    env.world.tasks[SERVICE] = [task(1, 'STOPPED'), task(2)];
    const out = runSync(checkDrain(env, input));
    expect(out.empty).toEqual([drainNode(1)]);
    expect(out.draining).toEqual([drainNode(2)]);
  });

  test('a scale-up held by this drain (the want it left) makes the drain give way', () => {
    const env = setup();
    env.store.want(SERVICE, { to: 5, at: T0 + 1_000 }, 360_000);
    expect(runSync(checkDrain(env, input)).status).toBe('abandoned');
  });

  test('ECS failing to describe the tasks is a reading, not a failure', () => {
    const env = setup();
    env.world.held[nodeName(2)] = null;
    env.fail('ecs.describeTasks');
    const out = runSync(checkDrain(env, input));
    expect(out.status).toBe('release');
    expect(out.empty).toEqual([drainNode(1)]);
  });

  test('a lost lease stops the step before it reads anything', () => {
    const env = setup();
    env.lockTakenBy(OTHER);
    expect(() => runSync(checkDrain(env, input))).toThrow(LockLostError);
    expect(env.calls('workers', 'ecs')).toEqual([]);
  });
});

describe('CheckDrain result: the line an operator reads in the console', () => {
  // Deadline T0 + 600 s; judged 5 s after the drain began unless a row says otherwise.
  interface Row {
    name: string;
    draining: number[];
    emptyBefore?: number[];
    released?: number[];
    /** By node index; a node not listed gives no reply. */
    held: Record<number, Held>;
    now?: number;
    pending?: Record<string, number>;
    result: string;
  }
  const rows: Row[] = [
    { name: 'one busy node: its load and the seconds left', draining: [1], held: { 1: busy }, result: '0/1 drained; busy: celery@task0001 (1 active, 2 reserved, 0 scheduled); 595 s left' },
    { name: 'seconds left are rounded to the nearest second', draining: [1], held: { 1: busy }, now: T0 + 100_400, result: '0/1 drained; busy: celery@task0001 (1 active, 2 reserved, 0 scheduled); 500 s left' },
    { name: 'a silent node says it did not reply', draining: [1], held: {}, result: '0/1 drained; busy: celery@task0001 (no reply); 595 s left' },
    { name: 'a node whose cancel has not taken effect names the queues it still consumes', draining: [1], held: { 1: { ...idle, consuming: ['q1', 'q2'] } }, result: '0/1 drained; busy: celery@task0001 (0 active, 0 reserved, 0 scheduled, still consuming q1, q2); 595 s left' },
    { name: 'an emptied node with nobody busy: only what is removed', draining: [1], held: { 1: idle }, result: '1/1 drained; removing celery@task0001' },
    { name: 'nodes released earlier count as drained; the emptied ones are removed', draining: [1, 2], emptyBefore: [3], released: [4], held: { 1: idle, 2: busy }, result: '3/4 drained; busy: celery@task0002 (1 active, 2 reserved, 0 scheduled); removing celery@task0003, celery@task0001' },
    { name: 'past the deadline: timed out, with who is still busy', draining: [1, 2], released: [3], held: { 1: busy }, now: T0 + 600_000, result: 'drain timed out: 1/3 drained; busy: celery@task0001 (1 active, 2 reserved, 0 scheduled), celery@task0002 (no reply)' },
    { name: 'a backlog over the service\'s queues (summed) abandons the drain, saying why', draining: [1], held: { 1: idle }, pending: { q1: 400, q2: 201 }, result: 'drain abandoned: 601 pending need 3 workers, more than the 2 planned' },
  ];
  test.each(rows)('$name', (r) => {
    const env = fakeEnv({ holding: true, now: r.now ?? T0 + 5_000, world: { pending: r.pending ?? {}, tasks: { [SERVICE]: [task(1), task(2), task(3), task(4)] }, held: Object.fromEntries(r.draining.map((i) => [nodeName(i), r.held[i] ?? null])) } });
    const input = drain({ draining: r.draining.map(drainNode), empty: (r.emptyBefore ?? []).map(drainNode), released: (r.released ?? []).map(drainNode) });
    expect(runSync(checkDrain(env, input)).result).toBe(r.result);
  });
});

test('CheckDrain: past five busy nodes the console lists the first five and counts the rest', () => {
  const nodes = [1, 2, 3, 4, 5, 6];
  const env = fakeEnv({ holding: true, now: T0 + 5_000, world: { tasks: { [SERVICE]: nodes.map((i) => task(i)) }, held: Object.fromEntries(nodes.map((i) => [nodeName(i), busy])) } });
  const out = runSync(checkDrain(env, drain({ draining: nodes.map(drainNode) })));
  expect(out.busy).toEqual(nodes.slice(0, 5).map((i) => ({ node: nodeName(i), ...busy })));
  expect(out.result).toBe(`0/6 drained; busy: ${nodes.slice(0, 5).map((i) => `${nodeName(i)} (1 active, 2 reserved, 0 scheduled)`).join(', ')} and 1 more; 595 s left`);
});
