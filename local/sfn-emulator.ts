import { randomUUID } from 'node:crypto';
import definition from '../statemachines/autoscaler.asl.json';
import { runLocalCycle, type LocalEvent } from './run-cycle';
import { AwsApiError, startJsonApi, type ApiCall, type JsonApiServer } from './aws-json-api';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** A history event as the Step Functions JSON 1.0 API sends it: dates are epoch seconds. */
type HistoryEvent = { id: number; previousEventId: number; timestamp: number; type: string } & Record<string, unknown>;

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  done: Promise<void>;
}

const seconds = (ms: number) => ms / 1000;

/**
 * Step Functions for the `run` command's tests: the JSON 1.0 API (ListStateMachines,
 * StartExecution, DescribeExecution, GetExecutionHistory) reached by the real
 * @aws-sdk/client-sfn, each execution the real ASL over the real handlers (runLocalCycle) on
 * whatever LocalStack the test started. Records every call.
 */
export class SfnEmulator {
  private readonly executions = new Map<string, Execution>();
  private api!: JsonApiServer;
  readonly stateMachineArn: string;

  private constructor(readonly stateMachineName: string) {
    this.stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stateMachineName}`;
  }

  static async start(stage: string): Promise<SfnEmulator> {
    const emu = new SfnEmulator(`celery-autoscaler-${stage}`);
    emu.api = await startJsonApi('AWSStepFunctions', '1.0', (op, p) => emu.operation(op, p));
    return emu;
  }

  get endpoint(): string {
    return this.api.endpoint;
  }

  get calls(): ApiCall[] {
    return this.api.calls;
  }

  callsOf(operation: string): ApiCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  /** Waits for every execution started so far to end. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  async close(): Promise<void> {
    await this.idle();
    await this.api.close();
  }

  private execution(arn: unknown): Execution {
    const e = this.executions.get(String(arn));
    if (!e) throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return e;
  }

  private operation(op: string, p: Record<string, any>): unknown {
    switch (op) {
      case 'ListStateMachines':
        return {
          stateMachines: [this.stateMachineName, 'some-other-machine'].map((name) => ({
            stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`, name, type: 'STANDARD', creationDate: seconds(Date.now()),
          })),
        };
      case 'StartExecution': {
        if (p.stateMachineArn !== this.stateMachineArn) throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${p.stateMachineArn}'`);
        const name = String(p.name ?? randomUUID());
        const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${this.stateMachineName}:${name}`;
        if (this.executions.has(executionArn)) throw new AwsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
        const e = this.begin(executionArn, name, String(p.input ?? '{}'));
        return { executionArn, startDate: seconds(e.startDate) };
      }
      case 'DescribeExecution': {
        const e = this.execution(p.executionArn);
        return {
          executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status,
          startDate: seconds(e.startDate), input: e.input,
          ...(e.stopDate ? { stopDate: seconds(e.stopDate) } : {}),
          ...(e.output !== undefined ? { output: e.output } : {}),
          ...(e.error !== undefined ? { error: e.error, cause: e.cause } : {}),
        };
      }
      case 'GetExecutionHistory': {
        const e = this.execution(p.executionArn);
        const all = p.reverseOrder ? [...e.events].reverse() : e.events;
        const start = p.nextToken ? Number(p.nextToken) : 0;
        const max = Math.min(Number(p.maxResults) || 100, 1000);
        return { events: all.slice(start, start + max), ...(start + max < all.length ? { nextToken: String(start + max) } : {}) };
      }
      default:
        throw new AwsApiError('UnknownOperationException', `operation ${op} is not emulated`);
    }
  }

  private begin(executionArn: string, name: string, input: string): Execution {
    const e: Execution = { executionArn, stateMachineArn: this.stateMachineArn, name, input, status: 'RUNNING', startDate: Date.now(), events: [], done: Promise.resolve() };
    const add = (type: string, details: Record<string, unknown> = {}, at = Date.now()) => {
      e.events.push({ id: e.events.length + 1, previousEventId: e.events.length, timestamp: seconds(at), type, ...details });
    };
    add('ExecutionStarted', { executionStartedEventDetails: { input, roleArn: `arn:aws:iam::${ACCOUNT}:role/local` } });
    this.executions.set(executionArn, e);
    e.done = (async () => {
      const r = await runLocalCycle(JSON.parse(input), { executionName: name, waitMs: 200, retryIntervalMs: 50, onEvent: (ev) => historyOf(ev, add) });
      e.stopDate = Date.now();
      if (r.status === 'SUCCEEDED') {
        e.output = JSON.stringify(r.output);
        add('ExecutionSucceeded', { executionSucceededEventDetails: { output: e.output } });
      } else {
        e.error = r.error;
        e.cause = r.cause;
        add('ExecutionFailed', { executionFailedEventDetails: { error: r.error, cause: r.cause } });
      }
      e.status = r.status;
    })();
    return e;
  }
}

/** State name → ASL Type, inside the Map too: history event types are named after it. */
const stateTypes = new Map<string, string>();
(function collect(states: Record<string, { Type: string; ItemProcessor?: { States: Record<string, never> } }>) {
  for (const [name, s] of Object.entries(states)) {
    stateTypes.set(name, s.Type);
    if (s.ItemProcessor) collect(s.ItemProcessor.States);
  }
})(definition.States as never);

/** aws-local-stepfunctions' events → Step Functions history events (TaskStateEntered, …). */
function historyOf(ev: LocalEvent, add: (type: string, details: Record<string, unknown>, at: number) => void): void {
  if (!ev.state) return;
  const kind = stateTypes.get(ev.state.name) ?? ev.state.type;
  if (ev.type === 'StateEntered') add(`${kind}StateEntered`, { stateEnteredEventDetails: { name: ev.state.name, input: JSON.stringify(ev.state.input) } }, ev.timestamp);
  if (ev.type === 'StateExited') add(`${kind}StateExited`, { stateExitedEventDetails: { name: ev.state.name, output: JSON.stringify(ev.state.output ?? null) } }, ev.timestamp);
}
