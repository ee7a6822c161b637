import { CeleryControl } from '../../lib/celery/control';
import type { Measurement } from '../../lib/cycle/payloads';
import { getRuntime } from '../../lib/runtime';
import { CeleryWorker } from '../../local/celery/worker';
import { LocalStack } from '../../local/local-stack';
import { waitFor } from '../../local/processes';

// Fast settings so a whole cycle takes about a second; each test sets what it proves.
const svc = {
  queues: ['q1'], minWorkers: 1, maxWorkers: 4, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0,
  stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 20,
};
const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('the scaling cycle (real ASL, real handlers, real redis + Celery, ECS emulator)', () => {
  let stack: LocalStack;
  afterEach(async () => {
    await stack?.stop();
  });

  test('a cycle with nothing to change costs four state transitions', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 1 } } });
    const r = await stack.cycle();
    expect(r.status).toBe('SUCCEEDED');
    expect(r.states).toEqual(['MeasureQueues', 'ComputePlan', 'AnyChanges?', 'NoChange']);
    expect(r.transitions).toBe(4);
    expect(r.output).toMatchObject({ changes: [], holds: [{ service: 'web', reason: expect.stringContaining('no change') }] });
  });

  test('cycles reuse their broker connections: a warm runtime opens none per cycle', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 1 } } });
    const clients = async () => String(await stack.client.client('LIST')).trim().split('\n').length;
    expect((await stack.cycle()).status).toBe('SUCCEEDED');
    const warm = await clients();
    for (let i = 0; i < 5; i += 1) expect((await stack.cycle()).status).toBe('SUCCEEDED');
    expect(await clients()).toBe(warm);
  });

  test('a worker named after no ECS task is measured under the service whose queues it consumes, and never drained', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 1 } } });
    const stray = await CeleryWorker.start({ brokerUrl: stack.redis.url, queues: ['q1'], nodeName: 'stray@somehost', concurrency: 1 });
    try {
      let measured: Measurement | undefined;
      const r = await stack.cycle({ services: { web: { desired: 1 } } }, { onState: (state, input) => { if (state === 'ComputePlan') measured = input as Measurement; } });
      expect(r.status).toBe('SUCCEEDED');
      // The payload counts the workers; who they are is in the store, kept for ComputePlan.
      expect(measured?.services.web.workers).toBe(2);
      const observation = await (await getRuntime()).state.observation(measured?.cycle.execution ?? '');
      expect(observation?.services.web.nodes).toEqual(expect.arrayContaining([expect.objectContaining({ node: 'stray@somehost', taskId: null })]));
      expect(observation?.services.web.nodes).toHaveLength(2);
    } finally {
      await stray.stop('SIGKILL', 0);
    }
  });

  test('a flood scales up from zero, the tasks run, a dry run changes nothing', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, minWorkers: 0, initialDesired: 0 } } });
    await stack.publishRecorded('q1', keys('f', 150), 0.05);
    const dry = await stack.cycle({ dryRun: true });
    expect(dry.states).toEqual(['MeasureQueues', 'ComputePlan', 'AnyChanges?', 'NoChange']);
    expect(dry.output).toMatchObject({ dryRun: true, changes: [{ service: 'web', from: 0, to: 3 }] });
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);

    const r = await stack.cycle();
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toMatchObject({ actions: [expect.stringMatching(/^web: scaled up 0 → 3: backlog 150/)] });
    expect(stack.ecs.desiredCount('local', 'web')).toBe(3);
    await waitFor('all 150 tasks to complete', async () => Object.keys(await stack.completed()).length === 150, 60_000, 200);
  });

  test('scale-down drains the idle worker and ECS stops exactly its task; the busy one finishes', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 2 } }, concurrency: 1 });
    await stack.publishRecorded('q1', ['long'], 4);
    const control = new CeleryControl(stack.client, stack.config.broker);
    const busy = await waitFor('one worker to run the long task', async () => {
      const a = await control.active();
      return Object.entries(a.replies).find(([, tasks]) => tasks.length === 1)?.[0];
    });
    control.close();
    const idle = stack.liveWorkers('web').find((n) => n !== busy) as string;

    const r = await stack.cycle();
    expect(r.status).toBe('SUCCEEDED');
    expect(r.states).toContain('DrainWorkers');
    expect(r.output).toMatchObject({ actions: [expect.stringContaining(`scaled down 2 → 1: removed ${idle}`)] });
    await stack.ecs.settle();
    expect(stack.liveWorkers('web')).toEqual([busy]);
    await waitFor('the long task to complete', async () => (await stack.completed()).long === 1, 15_000, 100);
    // Protection was cleared, so ECS deployments are not blocked.
    expect(stack.ecs.liveTasks('local', 'web').every((t) => t.protectedUntil === null)).toBe(true);
  });

  test('each drained worker is removed as soon as it is empty, while a slow one still drains', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, minWorkers: 1, drainTimeoutSeconds: 60, initialDesired: 3 } }, concurrency: 1 });
    // Far longer than a cycle and the drain's settle time take on a loaded machine, so the slow
    // worker is still busy when the idle ones are released.
    await stack.publishRecorded('q1', ['slow'], 20);
    const control = new CeleryControl(stack.client, stack.config.broker);
    const busy = await waitFor('one worker to run the slow task', async () => Object.entries((await control.active()).replies).find(([, tasks]) => tasks.length === 1)?.[0]);
    control.close();
    const idle = stack.liveWorkers('web').filter((n) => n !== busy).sort();
    const releases: { at: number; empty: string[]; draining: string[] }[] = [];
    // Target 0 (min 1 in config, overridden) so the busy worker is drained too.
    const r = await stack.cycle({ services: { web: { minWorkers: 0, desired: 0 } } }, {
      onState: (state, input) => {
        if (state !== 'ScaleDown') return;
        const d = input as { empty: { node: string }[]; draining: { node: string }[] };
        releases.push({ at: Date.now(), empty: d.empty.map((n) => n.node).sort(), draining: d.draining.map((n) => n.node) });
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    // The idle ones went first, together, while the slow one still ran; then the slow one alone.
    expect(releases).toEqual([
      { at: expect.any(Number), empty: idle, draining: [busy] },
      { at: expect.any(Number), empty: [busy], draining: [] },
    ]);
    expect(stack.ecs.callsOf('UpdateService').map((c) => (c.params as { desiredCount: number }).desiredCount)).toEqual([1, 0]);
    expect((await stack.completed()).slow).toBe(1);
    await stack.ecs.settle();
    expect(stack.liveWorkers('web')).toEqual([]);
  });

  test('a drain that times out gives the queues back and removes nobody', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, drainTimeoutSeconds: 1, initialDesired: 2 } }, concurrency: 1 });
    // Tasks far longer than a cycle takes, even on a loaded machine (5 s tasks ended before the
    // drain's first poll under a load average of 12, and the drain removed the emptied workers).
    await stack.publishRecorded('q1', ['a', 'b'], 30);
    const control = new CeleryControl(stack.client, stack.config.broker);
    await waitFor('both workers busy', async () => Object.values((await control.active()).replies).filter((t) => t.length === 1).length === 2);
    const r = await stack.cycle();
    expect(r.status).toBe('SUCCEEDED');
    expect(r.states).toContain('RestoreConsumers');
    expect(stack.ecs.desiredCount('local', 'web')).toBe(2);
    // Every worker consumes q1 again.
    const queues = await control.activeQueues();
    control.close();
    expect(Object.values(queues.replies).map((qs) => qs.map((q) => q.name))).toEqual([['q1'], ['q1']]);
    await waitFor('both long tasks to complete', async () => Object.keys(await stack.completed()).length === 2, 60_000, 200);
  });

  test('cooldown and another execution\'s lock hold the service, with the reason', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, minWorkers: 0, initialDesired: 0 } } });
    await stack.publishRecorded('q1', keys('c', 100), 0.05);
    await stack.client.set('celery-autoscaler:local:lock:web', 'someone-else', 'PX', 60_000);
    const locked = await stack.cycle();
    expect(locked.states).toContain('HeldByCooldown');
    expect(locked.output).toMatchObject({ actions: ['web: held: another cycle (someone-else) is scaling web'] });
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
    await stack.client.del('celery-autoscaler:local:lock:web');
    await stack.client.hset('celery-autoscaler:local:scaled:web', 'up', String(Date.now()));
    // The plan sees the cooldown too (config scaleUpCooldownSeconds 0 here): use an override-free check.
    const r = await stack.cycle({ skipCooldown: true });
    expect(r.output).toMatchObject({ actions: [expect.stringMatching(/^web: scaled up 0 → 2/)] });
  });

  test('a drain is abandoned when a backlog arrives that needs its workers: queues given back, nobody removed', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, drainTimeoutSeconds: 30, initialDesired: 2 } }, concurrency: 1 });
    await stack.publishRecorded('q1', ['a', 'b'], 3);
    const control = new CeleryControl(stack.client, stack.config.broker);
    try {
      await waitFor('both workers busy', async () => Object.values((await control.active()).replies).filter((t) => t.length === 1).length === 2);
      let flooded = false;
      const r = await stack.cycle({}, {
        // At the first poll's wait, so the flood is all queued when a CheckDrain looks: onState runs
        // before the state's handler (runLocalCycle lets the event log catch up before each Task).
        onState: (state) => {
          if (state !== 'WaitForDrain' || flooded) return;
          flooded = true;
          void stack.publishRecorded('q1', keys('late', 150), 0.01); // 150 at 60/min/worker in 1 min: 3 workers
        },
      });
      expect(r.status).toBe('SUCCEEDED');
      expect(r.states).toEqual(expect.arrayContaining(['CheckDrain', 'RestoreConsumers', 'ReleaseProtection']));
      expect(r.states).not.toContain('ScaleDown');
      expect(r.output).toMatchObject({ actions: [expect.stringMatching(/^web: drain abandoned: 1[34]\d pending need 3 workers, more than the 1 planned: queues given back to worker@\w+; removed nobody$/)] });
      expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
      const queues = await control.activeQueues();
      expect(Object.values(queues.replies).map((qs) => qs.map((q) => q.name))).toEqual([['q1'], ['q1']]);
    } finally {
      control.close();
    }
  });

  test('a cycle that dies mid-drain is undone by the next one: the drained worker gets its queues back', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, drainTimeoutSeconds: 30, initialDesired: 2 } }, concurrency: 1, persistentRedis: true, lockLeaseSeconds: 2 });
    await stack.publishRecorded('q1', ['a', 'b'], 3);
    const control = new CeleryControl(stack.client, stack.config.broker);
    try {
      await waitFor('both workers busy', async () => Object.values((await control.active()).replies).filter((t) => t.length === 1).length === 2);
      let drained = '';
      const died = await stack.cycle({}, {
        onState: (state, input) => {
          if (state !== 'CheckDrain' || drained) return;
          drained = (input as { draining: { node: string }[] }).draining[0].node;
          void stack.redis.stop(); // the broker goes away mid-drain, so even the cleanup fails
        },
      });
      expect(died).toMatchObject({ status: 'FAILED', error: 'ServiceScalingFailed', cause: expect.stringContaining('BrokerUnavailableError') });
      expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
      await stack.redis.restart();
      const queuesOf = async (node: string) => waitFor(`${node} to answer active_queues`, async () => (await control.activeQueues({ destination: [node] })).replies[node]?.map((q) => q.name));
      expect(await queuesOf(drained)).toEqual([]);
      const next = await waitFor('a cycle to find what the dead one left', async () => {
        const r = await stack.cycle({ dryRun: true });
        return ((r.output as { recovered?: string[] }).recovered ?? []).length > 0 ? r : null;
      }, 20_000, 200);
      expect((next.output as { recovered: string[] }).recovered).toEqual([expect.stringMatching(new RegExp(`^web: cycle local-.* ended without cleaning up: would give q1 back to ${drained}$`))]);
      expect(await queuesOf(drained)).toEqual([]); // a dry run only says so
      // Held at two workers, so this cycle does not drain the repaired worker again.
      const r = await stack.cycle({ services: { web: { minWorkers: 2 } } });
      expect((r.output as { recovered: string[] }).recovered).toEqual([expect.stringContaining(`gave q1 back to ${drained}`)]);
      expect(await queuesOf(drained)).toEqual(['q1']);
      expect(await stack.client.exists('celery-autoscaler:local:draining:web')).toBe(0);
      await waitFor('both tasks to complete', async () => Object.keys(await stack.completed()).length === 2, 20_000, 100);
    } finally {
      control.close();
    }
  });

  test('a cycle whose lock was taken over stops before scaling down and leaves the service to the holder', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, drainTimeoutSeconds: 30, initialDesired: 2 } }, concurrency: 1 });
    await stack.publishRecorded('q1', ['a', 'b'], 3);
    const control = new CeleryControl(stack.client, stack.config.broker);
    await waitFor('both workers busy', async () => Object.values((await control.active()).replies).filter((t) => t.length === 1).length === 2);
    control.close();
    let taken = false;
    const r = await stack.cycle({}, {
      onState: (state) => {
        if (state !== 'CheckDrain' || taken) return;
        taken = true;
        void stack.client.set('celery-autoscaler:local:lock:web', 'newer-cycle', 'PX', 60_000);
      },
    });
    expect(r).toMatchObject({ status: 'FAILED', error: 'ServiceScalingFailed', cause: expect.stringMatching(/web: LockLostError: web: this cycle's lock expired and newer-cycle holds it now/) });
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
    expect(await stack.client.get('celery-autoscaler:local:lock:web')).toBe('newer-cycle');
  });

  test('two overlapping executions: exactly one scales', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, minWorkers: 0, initialDesired: 0 } } });
    await stack.publishRecorded('q1', keys('o', 120), 0.05);
    const [a, b] = await Promise.all([stack.cycle(), stack.cycle()]);
    const actions = [a, b].map((r) => (r.output as { actions: string[] }).actions[0]);
    expect(actions.filter((x) => x.startsWith('web: scaled up'))).toHaveLength(1);
    expect(actions.filter((x) => x.startsWith('web: held: another cycle'))).toHaveLength(1);
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(1);
  });

  test.each([
    ['an unknown service', { services: { api: { desired: 2 } } }, /services\.api: unknown service \(configured: web\)/],
    ['above the hard maximum', { services: { web: { maxWorkers: 99 } } }, /services\.web\.maxWorkers: 99 is above hardMaxWorkers \(20\)/],
    ['a wrong type', { dryRun: 'yes' }, /dryRun: Expected boolean, received string/],
  ])('bad overrides (%s) fail at MeasureQueues, naming the field; nothing is scaled', async (_n, input, cause) => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 1 } } });
    const r = await stack.cycle(input);
    expect(r.status).toBe('FAILED');
    expect(r.states).toEqual(['MeasureQueues', 'CycleFailed']);
    expect(r.error).toBe('ValidationError');
    expect(r.cause).toMatch(cause);
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
  });

  test('Redis down: the cycle fails and nothing is scaled down; the next one recovers', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 2 } } });
    await stack.redis.stop();
    const r = await stack.cycle();
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('BrokerUnavailableError');
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
    await stack.redis.restart();
    await waitFor('the cycle to recover', async () => (await stack.cycle()).status === 'SUCCEEDED', 20_000, 200);
  });

  test('ECS throttling is retried without double scaling', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, minWorkers: 0, initialDesired: 0 } } });
    await stack.publishRecorded('q1', keys('t', 100), 0.05);
    stack.ecs.injectFaults({ operation: 'UpdateService', kind: 'throttle', count: 3 });
    const r = await stack.cycle();
    expect(r).toMatchObject({ status: 'SUCCEEDED' });
    expect(stack.ecs.calls.filter((c) => c.operation === 'UpdateService' && c.fault)).toHaveLength(3);
    expect(stack.ecs.callsOf('UpdateService').map((c) => c.params.desiredCount)).toEqual([2]);
    expect(stack.ecs.desiredCount('local', 'web')).toBe(2);
  });
});
