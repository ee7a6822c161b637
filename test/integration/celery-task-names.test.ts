import Redis from 'ioredis';
import { CeleryControl } from '../../lib/celery/control';
import { inspectNodes } from '../../lib/celery/inspect';
import { publishTasks } from '../../lib/celery/publish';
import { CeleryWorker } from '../../local/celery/worker';
import { waitFor } from '../../local/processes';
import { RedisServer } from '../../local/redis-server';

const broker = { db: 0, globalKeyprefix: '', prioritySteps: [0, 3, 6, 9], controlTimeoutMs: 1500, connectTimeoutMs: 1000 };

// What the planner learns durations from, on a real worker (docs/celery-facts.md).
describe('per task name: what a real Celery worker reports', () => {
  let server: RedisServer;
  let redis: Redis;
  let control: CeleryControl;
  let worker: CeleryWorker;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    control = new CeleryControl(redis, broker);
    worker = await CeleryWorker.start({ brokerUrl: server.url, queues: ['fast', 'slow'], nodeName: 'names@test', concurrency: 3 });
  });
  afterAll(async () => {
    control.close();
    redis.disconnect();
    await worker?.stop('SIGKILL', 0);
    await server.stop();
  });

  test('stats().total counts a task when it starts, active names each task and the queue it came from', async () => {
    await publishTasks(redis, broker, 'fast', Array.from({ length: 4 }, () => ({ task: 'tasks.sleep_task', args: [0.05] })));
    await waitFor('fast tasks done', async () => {
      const n = (await inspectNodes(control)).nodes[0];
      return n?.totals?.['tasks.sleep_task'] === 4 && n.active + n.reserved === 0;
    }, 10_000, 50);
    await publishTasks(redis, broker, 'slow', [{ task: 'tasks.sleep_task', args: [3] }, { task: 'tasks.record', args: ['names-1', 3] }]);
    await waitFor('slow tasks running', async () => (await inspectNodes(control)).nodes[0]?.active === 2, 10_000, 50);
    const [n] = (await inspectNodes(control)).nodes;
    // Both slow tasks are still running, yet counted: 4 + 1 sleep_task, 1 record.
    expect(n.totals).toEqual({ 'tasks.sleep_task': 5, 'tasks.record': 1 });
    expect(n.activeByTask).toEqual({ 'tasks.sleep_task': 1, 'tasks.record': 1 });
    expect(n.taskQueues).toEqual({ 'tasks.sleep_task': 'slow', 'tasks.record': 'slow' });
    expect(n.processed).toBe(6);
  });
});
