import { BatchGetItemCommand, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalStack } from '../../local/local-stack';

// The real state machine with the autoscaler's state in DynamoDB (dynalite) instead of the broker's
// Redis: leases, drain and protection records, scale times and history go to the table, and the
// broker holds nothing of the autoscaler's.
const svc = {
  queues: ['q1'], minWorkers: 0, maxWorkers: 3, tasksPerWorkerPerMinute: 60, targetMinutes: 0.25, startupSeconds: 0,
  stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 30,
};

describe('a cycle with its state in DynamoDB (real workers, real state machine, dynalite)', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, initialDesired: 1 } }, stateStore: 'dynamodb' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const items = async (keys: string[]) => {
    const out = await stack.dynamo!.client().send(new BatchGetItemCommand({ RequestItems: { [stack.stateTable]: { Keys: keys.map((k) => ({ pk: { S: k } })), ConsistentRead: true } } }));
    return (out.Responses?.[stack.stateTable] ?? []).map((i) => i.pk.S);
  };

  test('scales up on a backlog, drains to zero, and writes its state to the table, none to the broker', async () => {
    await stack.publishRecorded('q1', Array.from({ length: 60 }, (_, i) => `t${i}`), 0.2);
    const up = await stack.cycle();
    expect(up.status).toBe('SUCCEEDED');
    expect(up.output).toMatchObject({ actions: [expect.stringMatching(/^web: scaled up 1 → [23]:/)] });
    const prefix = 'celery-autoscaler:local:';
    expect(await items([`${prefix}scaled:web`, `${prefix}history:web`])).toEqual(expect.arrayContaining([`${prefix}scaled:web`, `${prefix}history:web`]));

    // Every task done, then cycles until the fleet is at zero: a drain, its record, protection, all through the table.
    const deadline = Date.now() + 120_000;
    while (Object.keys(await stack.completed()).length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    let desired = -1;
    for (let i = 0; i < 10 && desired !== 0; i += 1) {
      const r = await stack.cycle();
      expect(r.status).toBe('SUCCEEDED');
      desired = stack.ecs.desiredCount('local', 'web');
    }
    expect(desired).toBe(0);
    expect(Object.values(await stack.completed()).every((n) => n === 1)).toBe(true);
    expect(Object.keys(await stack.completed())).toHaveLength(60);

    // No lease left behind, no drain record: the cycles cleaned up after themselves in the table.
    expect(await items([`${prefix}lock:web`, `${prefix}draining:web`])).toEqual([]);
    // The broker has the workers' keys and the fixture's, nothing of the autoscaler's.
    expect(await stack.client.keys(`${prefix}*`)).toEqual([]);
  });

  test('a lease held in the table holds the service, as it does in Redis', async () => {
    const client = stack.dynamo!.client();
    const { DynamoStateStore } = await import('../../lib/state/dynamo');
    const store = new DynamoStateStore(client, stack.stateTable, 'celery-autoscaler:local:');
    expect(await store.acquireLock('web', 'someone-else', 60_000)).toEqual({ acquired: true, holder: 'someone-else' });
    try {
      const r = await stack.cycle({ services: { web: { desired: 2 } } });
      expect(r.status).toBe('SUCCEEDED');
      expect(JSON.stringify(r.output)).toMatch(/held: another cycle \(someone-else\) is scaling web/);
      expect(stack.ecs.desiredCount('local', 'web')).toBe(0);
    } finally {
      await client.send(new DeleteItemCommand({ TableName: stack.stateTable, Key: { pk: { S: 'celery-autoscaler:local:lock:web' } } }));
    }
  });
});
