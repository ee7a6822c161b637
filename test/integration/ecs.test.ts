import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { DescribeTasksCommand, ListTasksCommand, UpdateTaskProtectionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { createEcsClient, EcsService, taskForNode, type EcsTask } from '../../lib/ecs';
import { createAppAutoScalingClient, otherAutoscalingOf } from '../../lib/ecs/other-autoscaling';
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

  test('an unknown service: the exact message, its reason from ECS\'s failures, ServiceNotFoundException', async () => {
    const missing = new EcsService(createEcsClient({ endpoint: emu.endpoint }), 'celery', 'nope');
    await expect(missing.describe()).rejects.toMatchObject({ name: 'EcsError', retryable: false, awsCode: 'ServiceNotFoundException', message: 'ECS service celery/nope not found (MISSING)' });
  });

  test('a failed call names its operation and the service: <Operation> ECS service <cluster>/<service>: <code>: <message>', async () => {
    const tasks = await svc.tasks();
    const fail = async (operation: string, call: () => Promise<unknown>): Promise<void> => {
      emu.injectFaults({ operation, kind: 'throttle', count: 2 });
      await expect(call()).rejects.toMatchObject({ name: 'EcsTransientError', awsCode: 'ThrottlingException', message: `${operation} ECS service celery/workers: ThrottlingException: Rate exceeded` });
    };
    await fail('DescribeServices', () => svc.describe());
    await fail('ListTasks', () => svc.taskArns());
    await fail('DescribeTasks', () => svc.describeTasks([tasks[0].taskArn]));
    await fail('UpdateService', () => svc.setDesiredCount(5));
    await fail('UpdateTaskProtection', () => svc.protect([tasks[0].taskArn], 5));
    await fail('StopTask', () => svc.stopTask(tasks[0].taskArn, 'drained'));
    expect(emu.desiredCount('celery', 'workers')).toBe(3);
    expect(emu.liveTasks('celery', 'workers')).toHaveLength(3);
  });

  test('StopTask stops that task with the reason given', async () => {
    const tasks = await svc.tasks();
    await svc.stopTask(tasks[1].taskArn, 'drained by the autoscaler');
    expect(emu.callsOf('StopTask').map((c) => c.params)).toEqual([{ cluster: 'celery', task: tasks[1].taskArn, reason: 'drained by the autoscaler' }]);
    const stopped = emu.taskList('celery', 'workers').find((t) => t.taskId === tasks[1].taskId);
    expect(stopped?.desiredStatus).toBe('STOPPED');
    expect(stopped?.stoppedReason).toBe('drained by the autoscaler');
  });

  test('protecting a task that stopped meanwhile, or one ECS does not know, is not a failure', async () => {
    const tasks = await svc.tasks();
    emu.stopTaskExternally(tasks[0].taskId);
    const unknown = 'arn:aws:ecs:us-east-1:123456789012:task/celery/0000000000000000000000000000dead';
    await expect(svc.protect([tasks[0].taskArn, unknown, tasks[1].taskArn], 5)).resolves.toBeUndefined();
    expect(emu.taskList('celery', 'workers').find((t) => t.taskId === tasks[1].taskId)?.protectedUntil).not.toBeNull();
  });

  test('a service with no tasks lists none', async () => {
    await svc.setDesiredCount(0);
    await emu.settle();
    expect(await svc.tasks()).toEqual([]);
    expect(emu.callsOf('DescribeTasks')).toHaveLength(0);
  });

  test('Application Auto Scaling through the emulator: endpoint from the options or ECS_ENDPOINT; a failure names the call', async () => {
    const reason = /^ECS Service Auto Scaling \(Application Auto Scaling\) also scales service\/celery\/workers \(scalable target, min 1, max 6\)/;
    const client = createAppAutoScalingClient({ endpoint: emu.endpoint });
    expect(await otherAutoscalingOf(client, 'celery', 'workers')).toBeNull();
    emu.setScalableTarget('celery', 'workers', { min: 1, max: 6 });
    expect(await otherAutoscalingOf(client, 'celery', 'workers')).toMatch(reason);
    const saved = process.env.ECS_ENDPOINT;
    process.env.ECS_ENDPOINT = emu.endpoint;
    try {
      expect(await otherAutoscalingOf(createAppAutoScalingClient(), 'celery', 'workers')).toMatch(reason);
    } finally {
      if (saved === undefined) delete process.env.ECS_ENDPOINT;
      else process.env.ECS_ENDPOINT = saved;
    }
    emu.injectFaults({ operation: 'DescribeScalableTargets', kind: 'throttle', count: 2 });
    await expect(otherAutoscalingOf(client, 'celery', 'workers')).rejects.toMatchObject({
      name: 'EcsTransientError', message: 'Application Auto Scaling DescribeScalableTargets service/celery/workers: ThrottlingException: Rate exceeded',
    });
  });
});

/** An ECS client answering each command from `answers` (by command name): what the emulator never says. */
function stubClient(answers: Record<string, unknown>): { client: ECSClient; sent: { command: string; input: Record<string, unknown> }[] } {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const command = cmd.constructor.name.replace(/Command$/, '');
      sent.push({ command, input: cmd.input });
      if (!(command in answers)) throw new Error(`stub: no answer for ${command}`);
      return answers[command];
    },
  } as unknown as ECSClient;
  return { client, sent };
}

describe('ECS adapter on answers the emulator does not give', () => {
  const arn = (name: string) => `arn:aws:ecs:us-east-1:123456789012:service/celery/${name}`;
  const describeWith = (out: unknown) => new EcsService(stubClient({ DescribeServices: out }).client, 'celery', 'workers').describe();

  test('the service is the one named, by serviceName or by its ARN ending in /<service>, not the first in the answer', async () => {
    const other = { serviceName: 'other', serviceArn: arn('other'), status: 'ACTIVE', desiredCount: 9 };
    expect((await describeWith({ services: [other, { serviceName: 'workers', serviceArn: arn('workers'), status: 'ACTIVE', desiredCount: 3 }] })).desired).toBe(3);
    expect((await describeWith({ services: [other, { serviceName: 'workers', status: 'ACTIVE', desiredCount: 4 }] })).desired).toBe(4);
    expect((await describeWith({ services: [other, { serviceArn: arn('workers'), status: 'ACTIVE', desiredCount: 5 }] })).desired).toBe(5);
    expect((await describeWith({ services: [{ serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/workers/x', status: 'ACTIVE', desiredCount: 6 }, { serviceName: 'workers', status: 'ACTIVE', desiredCount: 7 }] })).desired).toBe(7);
    await expect(describeWith({ services: [other] })).rejects.toMatchObject({ name: 'EcsError', message: 'ECS service celery/workers not found (MISSING)' });
  });

  test('a missing or INACTIVE service: the reason is ECS\'s failure reason, else INACTIVE or MISSING', async () => {
    const inactive = { serviceName: 'workers', serviceArn: arn('workers'), status: 'INACTIVE', desiredCount: 0 };
    await expect(describeWith({ services: [inactive], failures: [] })).rejects.toMatchObject({ name: 'EcsError', retryable: false, awsCode: 'ServiceNotFoundException', message: 'ECS service celery/workers not found (INACTIVE)' });
    await expect(describeWith({ services: [], failures: [] })).rejects.toMatchObject({ name: 'EcsError', awsCode: 'ServiceNotFoundException', message: 'ECS service celery/workers not found (MISSING)' });
    await expect(describeWith({})).rejects.toMatchObject({ name: 'EcsError', message: 'ECS service celery/workers not found (MISSING)' });
    await expect(describeWith({ services: [], failures: [{ arn: arn('workers'), reason: 'ACCESS_DENIED' }] })).rejects.toMatchObject({ message: 'ECS service celery/workers not found (ACCESS_DENIED)' });
    await expect(describeWith({ services: [inactive], failures: [{ arn: arn('workers'), reason: 'DRAINING' }] })).rejects.toMatchObject({ message: 'ECS service celery/workers not found (DRAINING)' });
  });

  test('lastStartedAt is the newest "has started N task(s)" event; other events do not count', async () => {
    const at = (ms: number) => new Date(ms);
    const ev = (message: string | undefined, createdAt?: Date) => ({ message, createdAt });
    const withEvents = async (events: unknown[] | undefined) => (await describeWith({ services: [{ serviceName: 'workers', status: 'ACTIVE', desiredCount: 1, events }] })).lastStartedAt;
    expect(await withEvents([
      ev('(service workers) has reached a steady state.', at(9_000)),
      ev('(service workers) has started 12 tasks: (task a) (task b).', at(4_000)),
      ev('(service workers) has started 1 tasks: (task c).', at(3_000)),
      ev('(service workers) was unable to place a task.', at(8_000)),
      ev(undefined, at(7_000)),
      ev('(service workers) has started 2 tasks: (task d).'),
    ])).toBe(4_000);
    expect(await withEvents([ev('(service workers) has started 1 task: (task e).', at(5_000)), ev('(service workers) has started 2 tasks: (task f).', at(2_000))])).toBe(5_000);
    expect(await withEvents([ev('(service workers) has reached a steady state.', at(9_000))])).toBeNull();
    expect(await withEvents(undefined)).toBeNull();
  });

  test('the other fields of DescribeServices, defaulted when ECS leaves them out', async () => {
    expect(await describeWith({ services: [{ serviceName: 'workers', status: 'ACTIVE', taskDefinition: 'td:3' }] })).toEqual({ desired: 0, running: 0, pending: 0, deploymentInProgress: false, lastStartedAt: null, taskDefinition: 'td:3' });
  });

  test('tasks: the private IP from the ENI attachment\'s privateIPv4Address, else a container\'s network interface; UNKNOWN statuses', async () => {
    const t = (id: string, extra: Record<string, unknown>) => ({ taskArn: `arn:aws:ecs:us-east-1:123456789012:task/celery/${id}`, ...extra });
    const { client } = stubClient({
      ListTasks: { taskArns: ['a', 'b', 'c', 'd'] },
      DescribeTasks: {
        tasks: [
          t('t1', { lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedAt: new Date(1_000), attachments: [{ details: [{ name: 'subnetId', value: 'subnet-1' }, { name: 'privateIPv4Address', value: '10.0.3.4' }] }] }),
          t('t2', { attachments: [{ details: [{ name: 'subnetId', value: 'subnet-1' }] }], containers: [{ networkInterfaces: [{ attachmentId: 'x' }, { privateIpv4Address: '10.0.5.6' }] }] }),
          t('t3', {}),
          { lastStatus: 'RUNNING' },
        ],
      },
    });
    const svc = new EcsService(client, 'celery', 'workers');
    expect(await svc.tasks()).toEqual([
      { taskId: 't1', taskArn: t('t1', {}).taskArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', privateIp: '10.0.3.4', startedAt: 1_000 },
      { taskId: 't2', taskArn: t('t2', {}).taskArn, lastStatus: 'UNKNOWN', desiredStatus: 'UNKNOWN', privateIp: '10.0.5.6', startedAt: null },
      { taskId: 't3', taskArn: t('t3', {}).taskArn, lastStatus: 'UNKNOWN', desiredStatus: 'UNKNOWN', privateIp: null, startedAt: null },
    ]);
  });

  test('a ListTasks page without taskArns is no tasks', async () => {
    const { client, sent } = stubClient({ ListTasks: {} });
    expect(await new EcsService(client, 'celery', 'workers').taskArns()).toEqual([]);
    expect(sent.map((s) => s.command)).toEqual(['ListTasks']);
  });

  test('protection: failures other than a stopped or missing task stop the scale-down (only when enabling), each as "<arn>: <reason>"', async () => {
    const tolerated = [{ arn: 'a1', reason: 'TASK_NOT_VALID: task is STOPPED' }, { arn: 'a2', reason: 'MISSING' }];
    const protectWith = (failures: unknown[] | undefined) => new EcsService(stubClient({ UpdateTaskProtection: { protectedTasks: [], failures } }).client, 'celery', 'workers');
    await expect(protectWith(tolerated).protect(['a1', 'a2'], 5)).resolves.toBeUndefined();
    await expect(protectWith(undefined).protect(['a1'], 5)).resolves.toBeUndefined();
    const bad = [...tolerated, { arn: 'a3', reason: 'ACCESS_DENIED' }, { arn: 'a4', reason: 'MISSING_PERMISSION' }];
    await expect(protectWith(bad).protect(['a1', 'a2', 'a3', 'a4'], 5)).rejects.toMatchObject({
      name: 'EcsError', retryable: false, awsCode: 'ProtectionFailed', message: 'UpdateTaskProtection ECS service celery/workers: a3: ACCESS_DENIED; a4: MISSING_PERMISSION',
    });
    await expect(protectWith(bad).unprotect(['a1', 'a2', 'a3', 'a4'])).resolves.toBeUndefined();
  });
});

describe('otherAutoscalingOf', () => {
  test('a scalable target for another service does not count', async () => {
    const client = { send: async () => ({ ScalableTargets: [{ ResourceId: 'service/celery/other', MinCapacity: 1, MaxCapacity: 2 }] }) } as unknown as ApplicationAutoScalingClient;
    expect(await otherAutoscalingOf(client, 'celery', 'workers')).toBeNull();
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
