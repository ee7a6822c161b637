import { DescribeTasksCommand, ListTasksCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { createEcsClient, EcsService, taskForNode, type EcsTask } from '../../lib/ecs';
import { EcsEmulator } from '../../local/ecs-emulator';
import { waitFor } from '../../local/processes';

describe('ECS adapter over the real SDK and the ECS emulator', () => {
  let emu: EcsEmulator;
  let svc: EcsService;

  beforeEach(async () => {
    emu = await EcsEmulator.start();
    emu.addService({ cluster: 'celery', service: 'workers', desiredCount: 3 });
    await emu.settle();
    svc = new EcsService(createEcsClient({ endpoint: emu.endpoint }), 'celery', 'workers');
  });
  afterEach(() => emu.close());

  test('describes the service and lists its tasks with ids and private IPs', async () => {
    expect(await svc.describe()).toMatchObject({ desired: 3, running: 3, pending: 0, deploymentInProgress: false });
    const tasks = await svc.tasks();
    expect(tasks).toHaveLength(3);
    for (const t of tasks) {
      expect(t.taskId).toMatch(/^[0-9a-f]{32}$/);
      expect(t.privateIp).toMatch(/^10\.0\.\d+\.\d+$/);
      expect(t.lastStatus).toBe('RUNNING');
    }
  });

  test('pages through more than 100 tasks', async () => {
    await svc.setDesiredCount(130);
    await emu.settle();
    expect(await svc.tasks()).toHaveLength(130);
    expect(emu.callsOf('ListTasks').length).toBeGreaterThanOrEqual(2);
    expect(emu.callsOf('DescribeTasks').every((c) => (c.params.tasks as string[]).length <= 100)).toBe(true);
  });

  test('a deployment in progress is reported', async () => {
    emu.setDeploymentInProgress('celery', 'workers', true);
    expect((await svc.describe()).deploymentInProgress).toBe(true);
  });

  test('protection goes in batches of at most 10', async () => {
    await svc.setDesiredCount(25);
    await emu.settle();
    const arns = (await svc.tasks()).map((t) => t.taskArn);
    await svc.protect(arns, 5);
    const calls = emu.callsOf('UpdateTaskProtection');
    expect(calls.map((c) => (c.params.tasks as string[]).length)).toEqual([10, 10, 5]);
    expect(calls.every((c) => c.params.protectionEnabled === true && c.params.expiresInMinutes === 5)).toBe(true);
  });

  test('scale-down stops exactly the unprotected task', async () => {
    const tasks = await svc.tasks();
    const drained = tasks[2];
    await svc.protect(tasks.filter((t) => t !== drained).map((t) => t.taskArn), 5);
    await svc.setDesiredCount(2);
    await emu.settle();
    const live = emu.liveTasks('celery', 'workers').map((t) => t.taskId).sort();
    expect(live).toEqual(tasks.filter((t) => t !== drained).map((t) => t.taskId).sort());
    expect(emu.taskList('celery', 'workers').find((t) => t.taskId === drained.taskId)?.lastStatus).toBe('STOPPED');
  });

  test('without protection ECS stops the oldest task, not the one we would choose', async () => {
    const tasks = await svc.tasks();
    await svc.setDesiredCount(2);
    await waitFor('a task to stop', () => emu.liveTasks('celery', 'workers').length === 2);
    expect(emu.liveTasks('celery', 'workers').map((t) => t.taskId)).not.toContain(tasks[0].taskId);
  });

  test('an unknown service is a non-retryable EcsError naming it', async () => {
    const missing = new EcsService(createEcsClient({ endpoint: emu.endpoint }), 'celery', 'nope');
    await expect(missing.describe()).rejects.toMatchObject({ name: 'EcsError', message: expect.stringContaining('celery/nope') });
  });

  test('throttling and 5xx surface as EcsTransientError for Step Functions to retry', async () => {
    emu.injectFaults({ operation: 'DescribeServices', kind: 'throttle', count: 2 });
    await expect(svc.describe()).rejects.toMatchObject({ name: 'EcsTransientError', retryable: true });
    emu.injectFaults({ operation: 'UpdateService', kind: '5xx', count: 2 });
    await expect(svc.setDesiredCount(4)).rejects.toMatchObject({ name: 'EcsTransientError' });
    expect(emu.desiredCount('celery', 'workers')).toBe(3);
    await svc.setDesiredCount(4);
    expect(emu.desiredCount('celery', 'workers')).toBe(4);
  });

  test('the emulator refuses requests above ECS\'s batch limits as ECS does (InvalidParameterException)', async () => {
    const client = createEcsClient({ endpoint: emu.endpoint });
    const eleven = Array.from({ length: 11 }, (_, i) => `arn:aws:ecs:us-east-1:123456789012:task/celery/${i}`);
    await expect(client.send(new UpdateTaskProtectionCommand({ cluster: 'celery', tasks: eleven, protectionEnabled: true, expiresInMinutes: 5 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const many = Array.from({ length: 101 }, (_, i) => `arn:aws:ecs:us-east-1:123456789012:task/celery/${i}`);
    await expect(client.send(new DescribeTasksCommand({ cluster: 'celery', tasks: many }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(client.send(new ListTasksCommand({ cluster: 'celery', serviceName: 'workers', maxResults: 101 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('the emulator counts calls per action with the tasks each carried', async () => {
    const from = emu.calls.length;
    const tasks = await svc.tasks();
    await svc.protect(tasks.map((t) => t.taskArn), 5);
    await svc.describeTasks([tasks[0].taskArn]);
    expect(emu.countsByAction(from)).toEqual({
      ListTasks: { calls: 1, items: 0, largest: 0 },
      DescribeTasks: { calls: 2, items: 4, largest: 3 },
      UpdateTaskProtection: { calls: 1, items: 3, largest: 3 },
    });
  });

  test('DescribeServices reports when ECS last started a task (its "has started" service event)', async () => {
    const before = (await svc.describe()).lastStartedAt ?? 0;
    expect(before).toBeGreaterThan(0);
    emu.stopTaskExternally(emu.liveTasks('celery', 'workers')[0].taskId);
    await emu.settle();
    expect((await svc.describe()).lastStartedAt ?? 0).toBeGreaterThan(before); // the replacement
    expect(emu.liveTasks('celery', 'workers')).toHaveLength(3);
  });
});

describe('taskForNode', () => {
  const task = (taskId: string, privateIp: string | null): EcsTask => ({ taskId, taskArn: `arn:aws:ecs:us-east-1:1:task/c/${taskId}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', privateIp, startedAt: 1 });
  const tasks = [task('0123456789abcdef0123456789abcdef', '10.0.1.23'), task('fedcba9876543210fedcba9876543210', '10.0.4.5')];
  const rows: [string, string, string | null][] = [
    ['task id in the node name', 'worker@0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef'],
    ['task id in the host part with a suffix', 'celery@fedcba9876543210fedcba9876543210.local', 'fedcba9876543210fedcba9876543210'],
    ['private-IP host name', 'worker@ip-10-0-1-23', '0123456789abcdef0123456789abcdef'],
    ['private-IP host name with a domain', 'worker@ip-10-0-4-5.ec2.internal', 'fedcba9876543210fedcba9876543210'],
    ['an IP no task has', 'worker@ip-10-0-9-9', null],
    ['neither', 'worker@somehost', null],
  ];
  test.each(rows)('%s', (_n, node, expected) => {
    expect(taskForNode(node, tasks)?.taskId ?? null).toBe(expected);
  });
});
