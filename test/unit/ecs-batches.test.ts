import type { ECSClient } from '@aws-sdk/client-ecs';
import { EcsService, ecsConcurrency, ECS_CONCURRENCY, MAP_MAX_CONCURRENCY, pool } from '../../lib/ecs';
import { ECS_BURST_TOKENS } from '../../lib/ecs/limits';

/** An ECSClient that records every command it is sent and answers like ECS, a little later. */
function fakeClient(taskCount: number) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  let inFlight = 0;
  let peak = 0;
  const arns = Array.from({ length: taskCount }, (_, i) => `arn:aws:ecs:r:1:task/c/t${String(i).padStart(5, '0')}`);
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: command.input });
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight -= 1;
      const tasks = (command.input.tasks as string[] | undefined) ?? [];
      switch (name) {
        case 'ListTasks': {
          const start = Number(command.input.nextToken ?? 0);
          const max = Number(command.input.maxResults ?? 100);
          return { taskArns: arns.slice(start, start + max), ...(start + max < arns.length ? { nextToken: String(start + max) } : {}) };
        }
        case 'DescribeTasks':
          return { tasks: tasks.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })), failures: [] };
        case 'UpdateTaskProtection':
          return { protectedTasks: tasks.map((taskArn) => ({ taskArn })), failures: [] };
        default:
          return {};
      }
    },
  };
  return { client: client as unknown as ECSClient, sent, arns, peak: () => peak };
}

describe('EcsService keeps to the ECS API\'s batch limits (the SDK commands it sends)', () => {
  test.each([1, 10, 11, 999, 1000, 1001])('%i tasks: UpdateTaskProtection ≤ 10 tasks a call, every task once, protect and unprotect alike', async (n) => {
    const f = fakeClient(n);
    const svc = new EcsService(f.client, 'c', 's', 4);
    await svc.protect(f.arns, 10);
    await svc.unprotect(f.arns);
    const calls = f.sent.filter((c) => c.name === 'UpdateTaskProtection');
    expect(calls).toHaveLength(2 * Math.ceil(n / 10));
    for (const c of calls) expect((c.input.tasks as string[]).length).toBeLessThanOrEqual(10);
    const on = calls.filter((c) => c.input.protectionEnabled === true);
    expect(on.flatMap((c) => c.input.tasks as string[]).sort()).toEqual([...f.arns].sort());
    expect(on.every((c) => c.input.expiresInMinutes === 10)).toBe(true);
    expect(calls.filter((c) => c.input.protectionEnabled === false).every((c) => c.input.expiresInMinutes === undefined)).toBe(true);
  });

  test.each([1, 100, 101, 1000, 1001])('%i tasks: ListTasks asks ≤ 100 a page, DescribeTasks ≤ 100 tasks a call', async (n) => {
    const f = fakeClient(n);
    const svc = new EcsService(f.client, 'c', 's', 4);
    expect(await svc.tasks()).toHaveLength(n);
    const list = f.sent.filter((c) => c.name === 'ListTasks');
    const describe = f.sent.filter((c) => c.name === 'DescribeTasks');
    expect(list).toHaveLength(Math.ceil(n / 100));
    expect(list.every((c) => c.input.maxResults === 100 && c.input.desiredStatus === 'RUNNING')).toBe(true);
    expect(describe).toHaveLength(Math.ceil(n / 100));
    for (const c of describe) expect((c.input.tasks as string[]).length).toBeLessThanOrEqual(100);
  });

  test('batches run side by side, never more than the service\'s width at once', async () => {
    const f = fakeClient(1000);
    await new EcsService(f.client, 'c', 's', 4).protect(f.arns, 10);
    expect(f.peak()).toBe(4);
    const g = fakeClient(1000);
    await new EcsService(g.client, 'c', 's', 1).protect(g.arns, 10);
    expect(g.peak()).toBe(1);
  });
});

describe('the ECS call width: every branch that may run at once, together, within one burst bucket', () => {
  test.each([[1, 50], [3, 16], [40, 1], [100, 1]])('%i configured service(s): %i call(s) in flight per branch', (services, width) => {
    expect(ecsConcurrency(services)).toBe(width);
    expect(Math.min(services, MAP_MAX_CONCURRENCY) * ecsConcurrency(services)).toBeLessThanOrEqual(ECS_BURST_TOKENS);
  });
  test('without the service count, the Map\'s maximum is assumed', () => {
    expect(ECS_CONCURRENCY).toBe(ecsConcurrency(MAP_MAX_CONCURRENCY));
  });
});

describe('pool', () => {
  test('keeps the input order, stops starting work after a failure and rejects with it', async () => {
    expect(await pool([3, 1, 2], 2, async (x) => { await new Promise((r) => setTimeout(r, x)); return x * 10; })).toEqual([30, 10, 20]);
    const started: number[] = [];
    await expect(pool([1, 2, 3, 4, 5], 1, async (x) => { started.push(x); if (x === 2) throw new Error('no'); return x; })).rejects.toThrow('no');
    expect(started).toEqual([1, 2]);
    expect(await pool([], 3, async (x) => x)).toEqual([]);
  });
});
