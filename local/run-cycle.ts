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
import {
  DATA_LIMIT_ERROR, HISTORY_EVENTS_LIMIT, HISTORY_LIMIT_ERROR, HistoryCounter, PAYLOAD_LIMIT_BYTES, historyLimitCause, payloadBytes,
} from '../lib/sfn-limits';

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
  /**
   * The events Step Functions would have written to this execution's history, ExecutionStarted
   * and its end included (lib/sfn-limits.ts has the arithmetic); a Standard workflow fails at 25,000.
   */
  historyEvents: number;
}

export interface LocalCycleOptions {
  executionName: string;
  /** Replaces the Wait states' seconds (drain polling) so local runs move quickly. */
  waitMs?: number;
  /** Replaces Retry intervals. */
  retryIntervalMs?: number;
  /** Wraps each handler, e.g. to inject faults or observe state inputs. */
  wrap?: (state: string, h: Handler) => Handler;
  /** Called as a state is entered; a Task's handler starts only after it returned (see runLocalCycle). */
  onState?: (state: string, input: unknown) => void;
  /** Every event of the run as aws-local-stepfunctions reports it (the SFN emulator's history). */
  onEvent?: (ev: LocalEvent) => void;
  /** Lowers the history quota (HISTORY_EVENTS_LIMIT) so a test can reach it in a short run. */
  historyEventsLimit?: number;
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
 * aws-local-stepfunctions, the real handlers as its Task states, under Step Functions' hard limits
 * (lib/sfn-limits.ts), which aws-local-stepfunctions does not enforce itself:
 *
 * - a state's input or output over PAYLOAD_LIMIT_BYTES ends the execution FAILED with
 *   `States.DataLimitExceeded`, which no Catch sees ("Handling errors in Step Functions
 *   workflows": a terminal error that cannot be caught by States.ALL), so no cleanup state runs;
 * - past the 25,000-event history quota ("Step Functions service quotas", "Avoid reaching the
 *   history quota") the execution fails with `States.Runtime`.
 *
 * What is checked where: a Task's effective input (after InputPath/Parameters) and its Lambda
 * result in the handler wrapper, before and after the handler; every state's raw input
 * (StateEntered, which for an iteration's first state is the Map's ItemSelector result) and its
 * effective output (StateExited: after ResultSelector/ResultPath/OutputPath, a Map's collected
 * results included) from the event log. aws-local-stepfunctions offers no hook that can fail a
 * state from outside, only `abort()` of the whole execution, and delivers its event log
 * asynchronously; so every Task first lets the event log catch up, and runs nothing once the
 * execution has failed. A Choice, Pass, Wait or Succeed state that follows an oversized one may
 * still be entered by the library meanwhile (they have no effect); it is not reported. The effective
 * input of a non-Task state with InputPath/Parameters is not computed (our Pass and Choice states
 * only shrink theirs).
 */
export async function runLocalCycle(input: unknown, opts: LocalCycleOptions): Promise<LocalCycleResult> {
  const machine = new StateMachine(substituted(), { validationOptions: { checkArn: true } });
  const historyLimit = opts.historyEventsLimit ?? HISTORY_EVENTS_LIMIT;
  let failure: { error: string; cause: string } | undefined;
  let abort = (): void => undefined;
  const fail = (error: string, cause: string): void => {
    if (failure) return;
    failure = { error, cause };
    abort();
  };
  const tooLarge = (state: string, what: string, value: unknown): boolean => {
    const bytes = payloadBytes(value);
    if (bytes <= PAYLOAD_LIMIT_BYTES) return false;
    fail(DATA_LIMIT_ERROR, `The state '${state}' ${what} of ${bytes} bytes, over the ${PAYLOAD_LIMIT_BYTES}-byte payload quota.`);
    return true;
  };
  /** Outermost around each handler, so it sees what the state machine would receive. */
  const limited = (state: string, h: Handler): Handler => async (taskInput) => {
    await new Promise((resolve) => setImmediate(resolve)); // the event log catches up first
    if (failure || tooLarge(state, 'has an input', taskInput)) return null; // the execution has ended: no Lambda runs
    const result = await h(taskInput);
    if (failure || tooLarge(state, 'returned a result', result)) return null;
    return result;
  };
  const handlers: Record<string, (i: unknown) => Promise<never>> = {};
  for (const [state, h] of Object.entries(stepHandlers)) handlers[state] = limited(state, opts.wrap ? opts.wrap(state, h) : h) as (i: unknown) => Promise<never>;
  const waits = opts.waitMs === undefined ? undefined : { WaitForDrain: opts.waitMs, WaitForTasksToStop: opts.waitMs };
  const retries = opts.retryIntervalMs === undefined ? undefined
    : Object.fromEntries(Object.keys(stepHandlers).map((s) => [s, opts.retryIntervalMs as number]));
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: { Execution: { Name: opts.executionName, Id: `local:${opts.executionName}`, Input: input as never, StartTime: new Date().toISOString() } },
  });
  abort = execution.abort;
  const states: string[] = [];
  const counter = new HistoryCounter();
  let history = 1; // ExecutionStarted
  const consume = (async () => {
    for await (const ev of execution.eventLogs) {
      if (failure) continue; // the execution has ended: what the library still does is not history
      const e = ev as LocalEvent;
      if (e.type === 'StateEntered' && e.state && tooLarge(e.state.name, 'has an input', e.state.input)) {
        states.push(e.state.name);
        continue;
      }
      if (e.type === 'StateExited' && e.state && tooLarge(e.state.name, 'has an output', e.state.output)) continue;
      const added = counter.count(e, e.state?.type);
      // Event number `historyLimit` may only be the execution's end ("Avoid reaching the history quota").
      if (history + added > historyLimit - 1) {
        history = historyLimit - 1;
        fail(HISTORY_LIMIT_ERROR, historyLimitCause(historyLimit));
        continue;
      }
      history += added;
      opts.onEvent?.(e);
      if (e.type === 'StateEntered' && e.state) {
        states.push(e.state.name);
        opts.onState?.(e.state.name, e.state.input);
      }
    }
  })();
  const failed = (f: { error: string; cause?: string }): LocalCycleResult => ({
    executionName: opts.executionName, status: 'FAILED', error: f.error, cause: f.cause, transitions: states.length, states, historyEvents: history + 1,
  });
  try {
    const output = await execution.result;
    await consume;
    if (failure) return failed(failure); // the last states' payloads, seen once the log caught up (the execution's output is the last state's)
    return { executionName: opts.executionName, status: 'SUCCEEDED', output, transitions: states.length, states, historyEvents: history + 1 };
  } catch (e) {
    await consume.catch(() => undefined);
    if (failure) return failed(failure);
    return failed(describeFailure(e as Error & { cause?: unknown }));
  }
}

/** aws-local-stepfunctions wraps the Fail state's error; unwrap to what the console would show. */
function describeFailure(err: Error & { cause?: unknown }): { error: string; cause: string } {
  const inner = (err.cause ?? err) as { name?: string; message?: string; cause?: unknown };
  const error = inner.name ?? err.name;
  const cause = typeof inner.cause === 'string' ? inner.cause : inner.message ?? err.message;
  return { error, cause };
}
