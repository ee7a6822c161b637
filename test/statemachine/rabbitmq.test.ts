import { LocalStack } from '../../local/local-stack';
import { rabbitmqPermissions } from '../../lib/amqp/permissions';

// The whole product on RabbitMQ: the real state machine and handlers, real Celery workers on
// pyamqp, state in DynamoDB (dynalite), the ECS emulator; the autoscaler reaches the broker as a
// user with only the permissions docs/runbook.md gives (lib/amqp/permissions.ts).
const svc = {
  queues: ['q1', 'q2'], minWorkers: 0, maxWorkers: 3, tasksPerWorkerPerMinute: 60, targetMinutes: 0.25, startupSeconds: 0,
  stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 30,
};

describe('a whole cycle on RabbitMQ (real node, real workers, least-privilege user, DynamoDB state)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await LocalStack.start({
      services: { web: { ...svc, initialDesired: 1 } }, broker: 'rabbitmq',
      rabbitUser: { user: 'autoscaler', password: 'pw-rabbit-never-logged', permissions: rabbitmqPermissions() },
    });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('scales up on a backlog, drains to zero: every task run once, the drained workers stopped only when empty', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `t${i}`);
    await stack.publishRecorded('q1', keys.slice(0, 40), 0.2);
    await stack.publishRecorded('q2', keys.slice(40), 0.2);
    const up = await stack.cycle();
    expect({ status: up.status, error: up.error, cause: up.cause }).toMatchObject({ status: 'SUCCEEDED' });
    expect(up.output).toMatchObject({ actions: [expect.stringMatching(/^web: scaled up 1 → [23]: backlog \d+ \(\d+ pending, \d+ in flight\)/)] });

    const deadline = Date.now() + 120_000;
    while (Object.keys(await stack.completed()).length < keys.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const actions: string[] = [];
    for (let i = 0; i < 10 && stack.ecs.desiredCount('local', 'web') !== 0; i += 1) {
      const r = await stack.cycle();
      expect({ status: r.status, error: r.error, cause: r.cause }).toMatchObject({ status: 'SUCCEEDED' });
      actions.push(...((r.output as { actions?: string[] }).actions ?? []));
    }
    expect(stack.ecs.desiredCount('local', 'web')).toBe(0);
    expect(actions.some((a) => /^web: scaled down \d → 0: removed worker@/.test(a))).toBe(true);
    const done = await stack.completed();
    expect(Object.keys(done).sort()).toEqual([...keys].sort());
    expect(Object.values(done).every((n) => n === 1)).toBe(true);
  });

  test('a drain that starts with work queued leaves the queued messages on RabbitMQ and stops only emptied workers', async () => {
    await stack.cycle({ services: { web: { desired: 2 } } });
    await stack.ecs.settle(60_000);
    // Long tasks on both workers, more waiting: a scale-down to 1 drains one worker while the rest stay queued.
    const keys = Array.from({ length: 6 }, (_, i) => `long${i}`);
    await stack.publishRecorded('q1', keys, 3);
    await new Promise((r) => setTimeout(r, 500));
    const r = await stack.cycle({ services: { web: { desired: 1 } } });
    expect({ status: r.status, error: r.error, cause: r.cause }).toMatchObject({ status: 'SUCCEEDED' });
    expect(JSON.stringify(r.output)).toMatch(/scaled down 2 → 1: removed worker@/);
    const deadline = Date.now() + 120_000;
    while (Object.keys(await stack.completed()).filter((k) => k.startsWith('long')).length < keys.length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 250));
    const done = await stack.completed();
    expect(keys.map((k) => done[k])).toEqual(keys.map(() => 1));
  });
});
