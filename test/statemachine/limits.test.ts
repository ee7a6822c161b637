import { LocalStack } from '../../local/local-stack';
import type { stepHandlers } from '../../local/run-cycle';
import { PAYLOAD_LIMIT_BYTES, executionHistoryEvents, stateHistoryEvents } from '../../lib/sfn-limits';

// Step Functions' hard limits, enforced by runLocalCycle as AWS does (lib/sfn-limits.ts cites the docs).
const svc = {
  minWorkers: 0, maxWorkers: 4, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 0,
  stabilizationSeconds: 0, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0, idleMinutes: 0, drainTimeoutSeconds: 20,
};
const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
type Handler = (typeof stepHandlers)[string];

/** Wraps one state's handler so its output carries `bytes` of padding; records every state that ran. */
function padded(state: string, bytes: number, ran: string[]) {
  return (name: string, h: Handler): Handler => async (input) => {
    ran.push(name);
    const out = await h(input);
    return name === state ? { ...(out as object), padding: 'x'.repeat(bytes) } : out;
  };
}

describe('Step Functions\' payload and history limits (real ASL, real handlers, real redis + Celery, ECS emulator)', () => {
  let stack: LocalStack;
  afterEach(async () => {
    await stack?.stop();
  });

  test('a simple cycle writes 16 history events, as counted by hand', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, queues: ['q1'], minWorkers: 1, initialDesired: 1 } } });
    const r = await stack.cycle();
    expect(r.states).toEqual(['MeasureQueues', 'ComputePlan', 'AnyChanges?', 'NoChange']);
    // ExecutionStarted; MeasureQueues and ComputePlan: TaskStateEntered, LambdaFunctionScheduled,
    // LambdaFunctionStarted, LambdaFunctionSucceeded, TaskStateExited (5 each); AnyChanges?:
    // ChoiceStateEntered, ChoiceStateExited; NoChange: SucceedStateEntered, SucceedStateExited; ExecutionSucceeded.
    expect(r.historyEvents).toBe(1 + 5 + 5 + 2 + 2 + 1);
    expect(executionHistoryEvents(['Task', 'Task', 'Choice', 'Succeed'])).toBe(16);
  });

  test('arithmetic of retries, caught errors and Map iterations', () => {
    expect(stateHistoryEvents('Task', { attempts: 3 })).toBe(1 + 9 + 1);
    expect(stateHistoryEvents('Task', { outcome: 'failed' })).toBe(4); // no TaskStateExited: ExecutionFailed follows
    expect(stateHistoryEvents('Map', { iterations: 2 })).toBe(2 + 4 + 2);
    expect(stateHistoryEvents('Fail')).toBe(1);
  });

  test('a state whose output is 300 KiB fails the execution with States.DataLimitExceeded; CycleFailed never runs', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, queues: ['q1'], initialDesired: 1 } } });
    const ran: string[] = [];
    const r = await stack.cycle({}, { wrap: padded('MeasureQueues', 300 * 1024, ran) });
    expect(r).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(r.cause).toMatch(new RegExp(`^The state 'MeasureQueues' returned a result of 30\\d{4} bytes, over the ${PAYLOAD_LIMIT_BYTES}-byte payload quota\\.$`));
    expect(r.states).toEqual(['MeasureQueues']);
    expect(ran).toEqual(['MeasureQueues']);
    // ExecutionStarted; TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted; ExecutionFailed.
    expect(r.historyEvents).toBe(5);
  });

  test('inside the Map too: no Catch runs, so ReleaseAfterError does not, and the lock stays until its lease ends', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, queues: ['q1'], initialDesired: 0 } } });
    await stack.publishRecorded('q1', keys('p', 100), 0.05);
    const ran: string[] = [];
    const r = await stack.cycle({}, { wrap: padded('CheckCooldown', 300 * 1024, ran) });
    expect(r).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringMatching(/^The state 'CheckCooldown' returned a result of \d+ bytes/) });
    expect(ran).toEqual(['MeasureQueues', 'ComputePlan', 'CheckCooldown']);
    expect(r.states).not.toContain('ReleaseAfterError');
    expect(r.states).not.toContain('CycleFailed');
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(0);
    // What the terminal error costs on AWS as well: the cleanup state that would release the lock never ran.
    expect(await stack.client.get('celery-autoscaler:local:lock:web')).toBe(r.executionName);
  });

  test('a Map whose collected results exceed the limit fails the same way, after its iterations, before Summarize', async () => {
    stack = await LocalStack.start({
      services: { web: { ...svc, queues: ['q1'], initialDesired: 0 }, api: { ...svc, queues: ['q2'], initialDesired: 0 } },
    });
    await stack.publishRecorded('q1', keys('w', 100), 0.05);
    await stack.publishRecorded('q2', keys('a', 100), 0.05);
    const ran: string[] = [];
    // Each iteration's result (150 KiB) is under the limit; the two together are not.
    const r = await stack.cycle({}, { wrap: padded('ScaleUp', 150 * 1024, ran) });
    expect(r).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringMatching(/^The state 'ApplyChanges' has an output of \d+ bytes/) });
    expect(ran.filter((s) => s === 'ScaleUp')).toHaveLength(2);
    expect(ran).not.toContain('Summarize');
    expect(r.states).not.toContain('Summarize');
    expect(r.states).not.toContain('CycleFailed');
    expect(stack.ecs.callsOf('UpdateService')).toHaveLength(2); // what the iterations did stays done
  });

  test('past the history quota the execution fails with States.Runtime (a lowered quota, to reach it quickly)', async () => {
    stack = await LocalStack.start({ services: { web: { ...svc, queues: ['q1'], minWorkers: 1, initialDesired: 1 } } });
    // Started 1 + MeasureQueues 5 = 6; ComputePlan's entry takes it to 9; its exit would make 11 > 9.
    const r = await stack.cycle({}, { historyEventsLimit: 10 });
    expect(r).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: 'The execution reached the maximum number of history events (10).', historyEvents: 10 });
    expect(r.states).toEqual(['MeasureQueues', 'ComputePlan']);
  });
});
