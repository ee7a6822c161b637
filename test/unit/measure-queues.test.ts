import type { NodeSnapshot } from '../../lib/celery/inspect';
import { decide, measureQueues, summarize, type EcsRead, type MissingQueues } from '../../lib/cycle/measure-queues';
import { measurementSchema, RECOVERED_LINES } from '../../lib/cycle/payloads';
import { LINE_MAX } from '../../lib/cycle/sizes';
import { runSync } from '../../lib/cycle/ports';
import type { EcsTask } from '../../lib/ecs';
import { ValidationError } from '../../lib/errors';
import type { DrainRecord } from '../../lib/state/store';
import { EXEC, OTHER, QUEUES, SERVICE, T0, arn, configOf, ecsObs, fakeEnv, node, nodeName, serviceConfig, task, taskId } from '../support/fake-env';

// Two services: web consumes q1 and q2, api consumes q3.
const config = configOf({ [SERVICE]: serviceConfig(), api: serviceConfig({ service: 'api-svc', queues: ['q3'] }) });
const read = (tasks: EcsTask[]): EcsRead => ({ ecs: ecsObs(tasks.length), tasks });
const record = (nodes: number[], execution = OTHER): DrainRecord => ({ execution, nodes: nodes.map((i) => ({ node: nodeName(i), taskId: taskId(i) })), queues: QUEUES, at: T0 - 60_000 });

describe('MeasureQueues decide: who belongs where, who is missing, who lacks a queue', () => {
  interface Row {
    name: string;
    nodes: NodeSnapshot[];
    missing?: string[];
    web: EcsRead;
    api?: EcsRead;
    drains?: Record<string, DrainRecord | null>;
    /** web's nodes as [node, taskId]. */
    webNodes: [string, string | null][];
    webMissing: string[];
    /** api's missing nodes, where the row is about them. */
    apiMissing?: string[];
    webErrors?: string[];
    missingQueues: MissingQueues[];
  }
  const rows: Row[] = [
    { name: 'a worker in a web task with every queue is measured with its task, nothing to repair', nodes: [node(1)], web: read([task(1)]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [], missingQueues: [] },
    { name: 'a worker outside any drain lacking a queue gets it back', nodes: [node(1, {}, ['q1'])], web: read([task(1)]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [], missingQueues: [{ service: SERVICE, node: nodeName(1), queues: ['q2'] }] },
    { name: 'a worker in a drain record is left alone', nodes: [node(1, {}, [])], web: read([task(1)]), drains: { [SERVICE]: record([1]) }, webNodes: [[nodeName(1), taskId(1)]], webMissing: [], missingQueues: [] },
    { name: 'a worker that maps to no task is measured by its queues, never repaired', nodes: [node('celery@elsewhere', {}, ['q1'])], web: read([]), webNodes: [['celery@elsewhere', null]], webMissing: [], missingQueues: [] },
    { name: 'a worker that maps to no task and consumes one of the service’s queues among others is the service’s', nodes: [node('celery@elsewhere', {}, ['q1', 'legacy'])], web: read([]), webNodes: [['celery@elsewhere', null]], webMissing: [], missingQueues: [] },
    { name: 'a worker runs for the service of its task, whatever it consumes', nodes: [node(5, {}, ['q1'])], web: read([]), api: read([task(5)]), webNodes: [], webMissing: [], missingQueues: [{ service: 'api', node: nodeName(5), queues: ['q3'] }] },
    { name: 'a running task with no worker answering is missing', nodes: [node(1)], web: read([task(1), task(2), task(3, 'STOPPED')]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [`task ${taskId(2)} (no worker answered)`], missingQueues: [] },
    { name: 'a worker that answered only part of the inspection is missing under its task’s service', nodes: [node(1)], missing: [nodeName(2)], web: read([task(1), task(2)]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [nodeName(2)], missingQueues: [] },
    { name: 'a half-answering worker is missing under its own service only; one in no task under none', nodes: [node(1)], missing: [nodeName(5), 'celery@elsewhere'], web: read([task(1)]), api: read([task(5)]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [], apiMissing: [nodeName(5)], missingQueues: [] },
    { name: 'a half-answering worker does not stand for another running task that no worker answers for', nodes: [node(1)], missing: [nodeName(2)], web: read([task(1), task(2), task(3)]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [nodeName(2), `task ${taskId(3)} (no worker answered)`], missingQueues: [] },
    { name: 'a worker whose task ECS is stopping is not given queues back', nodes: [node(1, {}, ['q1'])], web: read([task(1, 'RUNNING', { desiredStatus: 'STOPPED' })]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [], missingQueues: [] },
    { name: 'nor one whose task ECS already reports stopped, whatever its desired status says', nodes: [node(1, {}, ['q1'])], web: read([task(1, 'STOPPED', { desiredStatus: 'RUNNING' })]), webNodes: [[nodeName(1), taskId(1)]], webMissing: [], missingQueues: [] },
    { name: 'an unreadable ECS is the service’s error and maps nobody', nodes: [node(1, {}, ['q1'])], web: { ecs: null, tasks: [], error: 'ECS c/web-svc: Error: boom' }, webNodes: [[nodeName(1), null]], webMissing: [], webErrors: ['ECS c/web-svc: Error: boom'], missingQueues: [] },
  ];
  test.each(rows)('$name', (r) => {
    const out = decide(config, {
      inspection: { nodes: r.nodes, missing: r.missing ?? [], unanswered: 0 },
      depths: { q1: 3, q2: 4, q3: 5 },
      ecs: { [SERVICE]: r.web, api: r.api ?? read([]) },
      drains: r.drains ?? {},
    });
    const web = out.services[SERVICE];
    expect(web.nodes.map((n) => [n.node, n.taskId])).toEqual(r.webNodes);
    expect(web.missingNodes).toEqual(r.webMissing);
    if (r.apiMissing) expect(out.services.api.missingNodes).toEqual(r.apiMissing);
    expect(web.errors).toEqual(r.webErrors ?? []);
    expect(web.queues).toEqual({ q1: 3, q2: 4 });
    expect(out.missingQueues).toEqual(r.missingQueues);
  });
});

describe('MeasureQueues summarize: a service in numbers and a few names, whatever the fleet', () => {
  test('many missing workers and errors: counted in full, five of each named, each name clipped to a line', () => {
    const long = `task ${'x'.repeat(2 * LINE_MAX)} (no worker answered)`;
    const missingNodes = [long, ...Array.from({ length: 6 }, (_, i) => nodeName(i + 2))];
    const errors = Array.from({ length: 7 }, (_, i) => `error ${i + 1}`);
    const s = summarize({ queues: { q1: 4, q2: 1 }, nodes: [{ node: nodeName(1), taskId: taskId(1), active: 2, reserved: 1, scheduled: 3, processed: 0 }], missingNodes, ecs: ecsObs(8), errors });
    expect(s).toEqual({
      queues: { q1: 4, q2: 1 }, pending: 5, inFlight: 3, scheduled: 3, workers: 1, missing: 7,
      missingNodes: [`${long.slice(0, LINE_MAX - 1)}…`, nodeName(2), nodeName(3), nodeName(4), nodeName(5)],
      ecs: ecsObs(8), errors: ['error 1', 'error 2', 'error 3', 'error 4', 'error 5'],
    });
    // What the next state accepts.
    expect(measurementSchema.safeParse({ cycle: { execution: EXEC, at: T0, dryRun: false, skipCooldown: false }, input: {}, services: { [SERVICE]: s } }).success).toBe(true);
  });
});

describe('MeasureQueues step: the measurement and the self-healing of queues', () => {
  const setup = (nodes: NodeSnapshot[], silent: string[] = []) =>
    fakeEnv({ config, world: { nodes, silent, pending: { q1: 7 }, ecs: { [SERVICE]: ecsObs(2), api: ecsObs(0) }, tasks: { [SERVICE]: [task(1), task(2)] } } });

  test('measures every service from one inspection and one ECS read each', () => {
    const env = setup([node(1), node(2)]);
    const { measurement, queuesRestored } = runSync(measureQueues(env, { note: 'by hand' }, EXEC));
    expect(measurement.cycle).toEqual({ execution: EXEC, at: T0, dryRun: false, skipCooldown: false, note: 'by hand' });
    // Passed on as given, for ComputePlan to apply the same overrides.
    expect(measurement.input).toEqual({ note: 'by hand' });
    expect(measurement.services[SERVICE]).toMatchObject({ queues: { q1: 7, q2: 0 }, ecs: ecsObs(2), errors: [], missingNodes: [] });
    expect(measurement.recovered).toBeUndefined();
    expect(queuesRestored).toBe(0);
    expect(env.calls('workers', 'ecs')).toEqual([
      'workers.inspect {"withQueues":true}', 'workers.pending [q1,q2,q3]', `ecs.describe ${SERVICE}`, `ecs.tasks ${SERVICE}`, 'ecs.describe api', 'ecs.tasks api',
      `ecs.otherAutoscaling ${SERVICE}`, 'ecs.otherAutoscaling api',
    ]);
  });

  test('an execution without input is measured with the defaults, its input passed on as empty', () => {
    const env = setup([node(1), node(2)]);
    const { measurement } = runSync(measureQueues(env, undefined, EXEC));
    expect(measurement.input).toEqual({});
    expect(measurement.cycle).toEqual({ execution: EXEC, at: T0, dryRun: false, skipCooldown: false });
  });

  const OTHER_AS = 'ECS Service Auto Scaling (Application Auto Scaling) also scales service/c/web-svc (scalable target, min 1, max 10): …';
  test.each([
    ['a service another autoscaler scales: recorded for the planner to hold', {}, undefined, { otherAutoscaling: OTHER_AS, errors: [] }, 2],
    ['one whose config allows it: not even asked', { allowOtherAutoscaling: true }, undefined, { errors: [] }, 1],
    ['one that cannot be asked: an error (no scale-down), not assumed absent', {}, new Error('AccessDeniedException: not authorized'), { errors: ['Error: AccessDeniedException: not authorized'] }, 2],
  ])('another autoscaler: %s', (_name, over, failure, expected, asked) => {
    const env = fakeEnv({ config: configOf({ [SERVICE]: serviceConfig(over), api: serviceConfig({ service: 'api-svc', queues: ['q3'] }) }), world: { ecs: { [SERVICE]: ecsObs(2), api: ecsObs(0) }, tasks: { [SERVICE]: [] }, otherAutoscaling: { [SERVICE]: OTHER_AS } } });
    if (failure) env.fail('ecs.otherAutoscaling', failure);
    const { observation } = runSync(measureQueues(env, {}, EXEC));
    const web = observation.services[SERVICE];
    expect({ otherAutoscaling: web.otherAutoscaling, errors: web.errors }).toEqual({ otherAutoscaling: undefined, ...expected });
    expect(observation.services.api.otherAutoscaling).toBeUndefined();
    expect(env.calls('ecs.otherAutoscaling')).toHaveLength(asked);
  });

  test('an ECS read and the other-autoscaler read both failing: both in the service’s one error line', () => {
    const env = setup([node(1), node(2)]);
    env.answer('ecs.describe', (service: string) => {
      if (service === SERVICE) throw new Error('throttled');
      return ecsObs(0);
    });
    env.fail('ecs.otherAutoscaling', new Error('AccessDeniedException: not authorized'));
    const { observation, measurement } = runSync(measureQueues(env, {}, EXEC));
    expect(observation.services[SERVICE].errors).toEqual(['ECS c/web-svc: Error: throttled; Error: AccessDeniedException: not authorized']);
    expect(observation.services.api.errors).toEqual(['Error: AccessDeniedException: not authorized']);
    expect(measurement.services[SERVICE].errors).toEqual(['ECS c/web-svc: Error: throttled; Error: AccessDeniedException: not authorized']);
  });

  /** Node 1 consumes `consumed` (q1 unless said), node 2 every queue. */
  const healing: [string, { dryRun?: boolean }, string[], string[], number, string, string[]?][] = [
    ['a worker lacking a queue outside any drain gets it back', {}, [], [`workers.add [q2] [${nodeName(1)}]`], 1, `web: gave q2 back to 1 of 1 worker(s) that lacked them outside any drain: ${nodeName(1)}`],
    ['a worker that does not confirm is tried again next cycle', {}, [nodeName(1)], [`workers.add [q2] [${nodeName(1)}]`], 0, `web: gave q2 back to 0 of 1 worker(s) that lacked them outside any drain: ${nodeName(1)}; no confirmation yet from ${nodeName(1)} (next cycle checks again)`],
    ['a dry run only reports', { dryRun: true }, [], [], 0, `web: would give q2 back to 1 worker(s) that lack them outside any drain: ${nodeName(1)}`],
    ['a worker lacking every queue gets them all back at once', {}, [], [`workers.add [q1,q2] [${nodeName(1)}]`], 1, `web: gave q1, q2 back to 1 of 1 worker(s) that lacked them outside any drain: ${nodeName(1)}`, []],
    ['a dry run names them all', { dryRun: true }, [], [], 0, `web: would give q1, q2 back to 1 worker(s) that lack them outside any drain: ${nodeName(1)}`, []],
  ];
  test.each(healing)('%s', (_name, input, silent, adds, restored, line, consumed = ['q1']) => {
    const env = setup([node(1, {}, consumed), node(2)], silent);
    const { measurement, queuesRestored } = runSync(measureQueues(env, input, EXEC));
    expect(env.calls('workers.add')).toEqual(adds);
    expect(queuesRestored).toBe(restored);
    expect(measurement.recovered).toEqual([line]);
  });

  test('workers lacking the same queues get them back in one broadcast, whatever their number', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => node(i + 1, {}, ['q1']));
    const env = fakeEnv({ config, world: { nodes, pending: {}, ecs: { [SERVICE]: ecsObs(40), api: ecsObs(0) }, tasks: { [SERVICE]: nodes.map((_, i) => task(i + 1)) } } });
    const { measurement, queuesRestored } = runSync(measureQueues(env, {}, EXEC));
    expect(env.calls('workers.add')).toEqual([`workers.add [q2] [${nodes.map((n) => n.node).join(',')}]`]);
    expect(queuesRestored).toBe(40);
    expect(measurement.recovered).toEqual([`web: gave q2 back to 40 of 40 worker(s) that lacked them outside any drain: ${nodes.slice(0, 5).map((n) => n.node).join(', ')} and 35 more`]);
  });

  // Queue names are any strings: a queue may be named like two others run together.
  test.each<[string, string[], [string[], string[]], string[], string[]]>([
    ['workers lacking different queues get each their own', QUEUES, [['q1'], ['q2']],
      [`workers.add [q2] [${nodeName(1)}]`, `workers.add [q1] [${nodeName(2)}]`],
      [`web: gave q2 back to 1 of 1 worker(s) that lacked them outside any drain: ${nodeName(1)}`, `web: gave q1 back to 1 of 1 worker(s) that lacked them outside any drain: ${nodeName(2)}`]],
    ['queues whose names run together into another’s are still told apart', ['mail', 'bulk', 'mailbulk'], [['mailbulk'], ['mail', 'bulk']],
      [`workers.add [mail,bulk] [${nodeName(1)}]`, `workers.add [mailbulk] [${nodeName(2)}]`],
      [`web: gave mail, bulk back to 1 of 1 worker(s) that lacked them outside any drain: ${nodeName(1)}`, `web: gave mailbulk back to 1 of 1 worker(s) that lacked them outside any drain: ${nodeName(2)}`]],
  ])('%s', (_name, queues, [consumed1, consumed2], adds, lines) => {
    const env = fakeEnv({ config: configOf({ [SERVICE]: serviceConfig({ queues }) }), world: { nodes: [node(1, {}, consumed1), node(2, {}, consumed2)], ecs: { [SERVICE]: ecsObs(2) }, tasks: { [SERVICE]: [task(1), task(2)] } } });
    const { measurement, queuesRestored } = runSync(measureQueues(env, {}, EXEC));
    expect(env.calls('workers.add')).toEqual(adds);
    expect(queuesRestored).toBe(2);
    expect(measurement.recovered).toEqual(lines);
    expect(env.world.nodes.map((n) => [...n.queues].sort())).toEqual([[...queues].sort(), [...queues].sort()]);
  });

  test('more repairs than the payload holds lines for: the first ones are told, within the payload’s limit', () => {
    // Each worker lacks a queue of its own: one repair line each.
    const n = RECOVERED_LINES + 3;
    const queues = Array.from({ length: n }, (_, i) => `q${i + 1}`);
    const nodes = queues.map((q, i) => node(i + 1, {}, queues.filter((x) => x !== q)));
    const env = fakeEnv({ config: configOf({ [SERVICE]: serviceConfig({ queues }) }), world: { nodes, ecs: { [SERVICE]: ecsObs(n) }, tasks: { [SERVICE]: nodes.map((_, i) => task(i + 1)) } } });
    const { measurement } = runSync(measureQueues(env, { dryRun: true }, EXEC));
    expect(measurement.recovered).toHaveLength(RECOVERED_LINES);
    expect(measurement.recovered?.[0]).toBe(`web: would give q1 back to 1 worker(s) that lack them outside any drain: ${nodeName(1)}`);
    expect(measurement.recovered?.[RECOVERED_LINES - 1]).toBe(`web: would give q${RECOVERED_LINES} back to 1 worker(s) that lack them outside any drain: ${nodeName(RECOVERED_LINES)}`);
    expect(measurementSchema.safeParse(measurement).success).toBe(true);
  });

  test('the payload counts the workers; their detail is kept in the store for ComputePlan', () => {
    const env = setup([node(1, { active: 2, reserved: 1, scheduled: 1 }), node(2)]);
    const { measurement, observation } = runSync(measureQueues(env, {}, EXEC));
    expect(measurement.services[SERVICE]).toEqual({ queues: { q1: 7, q2: 0 }, pending: 7, inFlight: 3, scheduled: 1, workers: 2, missing: 0, missingNodes: [], ecs: ecsObs(2), errors: [] });
    expect(env.store.observation(EXEC)).toBe(observation);
    expect(observation.services[SERVICE].nodes.map((n) => n.node)).toEqual([nodeName(1), nodeName(2)]);
  });

  test('a worker in a live drain (another cycle holds the service) is left alone', () => {
    const env = setup([node(1, {}, []), node(2)]);
    env.store.acquireLock(SERVICE, OTHER, 60_000);
    env.store.saveDrain(SERVICE, record([1]));
    const { measurement } = runSync(measureQueues(env, {}, EXEC));
    expect(env.calls('workers.add')).toEqual([]);
    expect(measurement.recovered).toBeUndefined();
  });

  test('an ECS read that fails is recorded for its service; the others are measured', () => {
    const env = setup([node(1), node(2)]);
    env.answer('ecs.describe', (service: string) => {
      if (service === 'api') throw new Error('throttled');
      return ecsObs(2);
    });
    const { measurement } = runSync(measureQueues(env, {}, EXEC));
    expect(measurement.services.api).toMatchObject({ ecs: null, errors: ['ECS c/api-svc: Error: throttled'] });
    expect(measurement.services[SERVICE].errors).toEqual([]);
  });

  test('a bad execution input fails before anything is read or changed', () => {
    const env = setup([node(1)]);
    expect(() => runSync(measureQueues(env, { services: { nope: {} } }, EXEC))).toThrow(ValidationError);
    expect(env.calls()).toEqual([]);
  });
});

describe('MeasureQueues repairs a half-finished cycle first (recover.ts)', () => {
  interface Row {
    name: string;
    /** Node 1 and 2 were drained by the dead cycle; these are the service's tasks now. */
    tasks: EcsTask[];
    silent?: string[];
    dryRun?: boolean;
    protectedArns?: string[];
    adds: string[];
    /** The drain record's nodes after the repair; null: cleared. */
    recordAfter: number[] | null;
    note: string;
  }
  const dead = 'exec-dead';
  const rows: Row[] = [
    { name: 'drained workers whose tasks still run get their queues back; the record goes', tasks: [task(1), task(2)], adds: [`workers.add [q1,q2] [${nodeName(1)},${nodeName(2)}]`], recordAfter: null,
      note: `web: cycle ${dead} ended without cleaning up: gave q1, q2 back to ${nodeName(1)}, ${nodeName(2)}` },
    { name: 'a drained worker whose task stopped is not asked', tasks: [task(1), task(2, 'STOPPED')], adds: [`workers.add [q1,q2] [${nodeName(1)}]`], recordAfter: null,
      note: `web: cycle ${dead} ended without cleaning up: gave q1, q2 back to ${nodeName(1)}` },
    { name: 'every drained task stopped: nothing left to undo', tasks: [task(3)], adds: [], recordAfter: null, note: `web: cycle ${dead} ended without cleaning up: nothing left to undo` },
    { name: 'a dry run says what it would do and changes nothing', tasks: [task(1), task(2)], dryRun: true, adds: [], recordAfter: [1, 2],
      note: `web: cycle ${dead} ended without cleaning up: would give q1, q2 back to ${nodeName(1)}, ${nodeName(2)}` },
    { name: 'an unconfirmed add keeps the record for that node only', tasks: [task(1), task(2)], silent: [nodeName(2)], adds: [`workers.add [q1,q2] [${nodeName(1)},${nodeName(2)}]`], recordAfter: [2],
      note: `web: cycle ${dead} ended without cleaning up: gave q1, q2 back to ${nodeName(1)}; no answer yet from ${nodeName(2)}; will retry next cycle` },
    { name: 'the protection it left is cleared', tasks: [task(1, 'STOPPED'), task(2, 'STOPPED'), task(3)], protectedArns: [arn(3), arn(4)], adds: [], recordAfter: null,
      note: `web: cycle ${dead} ended without cleaning up: cleared scale-in protection of 2 task(s)` },
  ];
  test.each(rows)('$name', (r) => {
    // The drained workers still answer where their tasks still run, consuming nothing.
    const answering = [1, 2].filter((i) => r.tasks.some((t) => t.taskId === taskId(i) && t.lastStatus !== 'STOPPED'));
    const env = fakeEnv({ world: { nodes: answering.map((i) => node(i, {}, [])), silent: r.silent ?? [], ecs: { [SERVICE]: ecsObs(2) }, tasks: { [SERVICE]: r.tasks } } });
    env.store.saveDrain(SERVICE, record([1, 2], dead));
    if (r.protectedArns) env.store.saveProtected(SERVICE, r.protectedArns, 600_000);
    const { measurement } = runSync(measureQueues(env, { dryRun: r.dryRun ?? false }, EXEC));
    expect(measurement.recovered?.[0]).toBe(r.note);
    // The add_consumer calls the repair made (self-healing after it has nothing left to give).
    expect(env.calls('workers.add')).toEqual(r.adds);
    expect(env.store.drainRecords([SERVICE])[SERVICE]?.nodes.map((n) => n.node) ?? null).toEqual(r.recordAfter && r.recordAfter.map(nodeName));
    expect(env.store.lockHolder(SERVICE)).toBeNull();
    // Without listing the service: ECS ignores unprotecting a task that stopped (task 4).
    if (r.protectedArns && !r.dryRun) expect(env.calls('ecs.unprotect')).toEqual([`ecs.unprotect ${SERVICE} [${arn(3)},${arn(4)}]`]);
    if (r.dryRun) expect(env.calls('lease.acquireLock')).toEqual([]);
  });

  test('a service another cycle took meanwhile is skipped', () => {
    const env = fakeEnv({ world: { nodes: [node(1, {}, [])], ecs: { [SERVICE]: ecsObs(2) }, tasks: { [SERVICE]: [task(1)] } } });
    env.store.saveDrain(SERVICE, record([1], dead));
    env.answer('lease.acquireLock', () => ({ acquired: false, holder: OTHER }));
    const { measurement } = runSync(measureQueues(env, {}, EXEC));
    expect(measurement.recovered).toBeUndefined();
    expect(env.calls('workers.add', 'lease.releaseLock', 'history.clearDrain')).toEqual([]);
    expect(env.store.drainRecords([SERVICE])[SERVICE]).not.toBeNull();
  });
});
