import './promise-with-resolvers';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import definition from '../statemachines/autoscaler.asl.json';
import { handler as CheckCooldown } from '../functions/check-cooldown';
import { handler as CheckDrain } from '../functions/check-drain';
import { handler as ComputePlan } from '../functions/compute-plan';
import { handler as DrainWorkers } from '../functions/drain-workers';
import { handler as MeasureQueues } from '../functions/measure-queues';
import { handler as ReleaseAfterError } from '../functions/release-after-error';
import { handler as ReleaseProtection } from '../functions/release-protection';
import { handler as RestoreConsumers } from '../functions/restore-consumers';
import { handler as ScaleDown } from '../functions/scale-down';
import { handler as ScaleUp } from '../functions/scale-up';
import { handler as Summarize } from '../functions/summarize';
import { localContext, type StepHandler } from '../lib/lambda/step';

type Handler = (input: unknown) => Promise<unknown>;

let requests = 0;
/** A Lambda handler called as aws-local-stepfunctions calls a local one: input only, a local context made up. */
const local = (state: string, h: StepHandler): Handler => (input) => h(input, localContext(`celery-autoscaler-local-${state}`, `local-${(requests += 1)}`));

/** The real handlers, keyed by the Task state that runs them (states inside the Map too). */
export const stepHandlers: Record<string, Handler> = Object.fromEntries(Object.entries({
  MeasureQueues, ComputePlan, CheckCooldown, ScaleUp, DrainWorkers, CheckDrain, RestoreConsumers, ScaleDown, ReleaseProtection, ReleaseAfterError, Summarize,
}).map(([state, h]) => [state, local(state, h)]));

/** What CloudFormation's DefinitionSubstitutions does at deploy: placeholders → Lambda ARNs. */
function substituted(): StateMachineDefinition {
  const text = JSON.stringify(definition).replace(/\$\{(\w+)FunctionArn\}/g, (_m, fn: string) => `arn:aws:lambda:us-east-1:123456789012:function:celery-autoscaler-local-${fn}`);
  return JSON.parse(text) as StateMachineDefinition;
}

export interface LocalCycleResult {
  executionName: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** States entered: what Standard workflows bill as state transitions. */
  transitions: number;
  states: string[];
}

export interface LocalCycleOptions {
  executionName: string;
  /** Replaces the Wait states' seconds (drain polling) so local runs move quickly. */
  waitMs?: number;
  /** Replaces Retry intervals. */
  retryIntervalMs?: number;
  /** Wraps each handler, e.g. to inject faults or observe state inputs. */
  wrap?: (state: string, h: Handler) => Handler;
  onState?: (state: string, input: unknown) => void;
  /** Every event of the run as aws-local-stepfunctions reports it (the SFN emulator's history). */
  onEvent?: (ev: LocalEvent) => void;
}

/** The part of aws-local-stepfunctions' event log the project reads. */
export interface LocalEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/**
 * Executes statemachines/autoscaler.asl.json — the very file that is deployed — with
 * aws-local-stepfunctions, the real handlers as its Task states.
 */
export async function runLocalCycle(input: unknown, opts: LocalCycleOptions): Promise<LocalCycleResult> {
  const machine = new StateMachine(substituted(), { validationOptions: { checkArn: true } });
  const handlers: Record<string, (i: unknown) => Promise<never>> = {};
  for (const [state, h] of Object.entries(stepHandlers)) handlers[state] = (opts.wrap ? opts.wrap(state, h) : h) as (i: unknown) => Promise<never>;
  const waits = opts.waitMs === undefined ? undefined : { WaitForDrain: opts.waitMs, WaitForTasksToStop: opts.waitMs };
  const retries = opts.retryIntervalMs === undefined ? undefined
    : Object.fromEntries(Object.keys(stepHandlers).map((s) => [s, opts.retryIntervalMs as number]));
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: { Execution: { Name: opts.executionName, Id: `local:${opts.executionName}`, Input: input as never, StartTime: new Date().toISOString() } },
  });
  const states: string[] = [];
  const consume = (async () => {
    for await (const ev of execution.eventLogs) {
      opts.onEvent?.(ev as LocalEvent);
      if (ev.type === 'StateEntered') {
        states.push(ev.state.name);
        opts.onState?.(ev.state.name, ev.state.input);
      }
    }
  })();
  try {
    const output = await execution.result;
    await consume;
    return { executionName: opts.executionName, status: 'SUCCEEDED', output, transitions: states.length, states };
  } catch (e) {
    await consume.catch(() => undefined);
    const err = e as Error & { cause?: unknown };
    const { error, cause } = describeFailure(err);
    return { executionName: opts.executionName, status: 'FAILED', error, cause, transitions: states.length, states };
  }
}

/** aws-local-stepfunctions wraps the Fail state's error; unwrap to what the console would show. */
function describeFailure(err: Error & { cause?: unknown }): { error: string; cause: string } {
  const inner = (err.cause ?? err) as { name?: string; message?: string; cause?: unknown };
  const error = inner.name ?? err.name;
  const cause = typeof inner.cause === 'string' ? inner.cause : inner.message ?? err.message;
  return { error, cause };
}
