/**
 * Step Functions' hard limits on one Standard-workflow execution, and the history arithmetic
 * that counts against one of them. Pure: the local state machine (`local/run-cycle.ts`) enforces
 * them on every run, and a scale test can compute what a long drain costs without running it.
 *
 * Sources (AWS Step Functions Developer Guide):
 * - "Step Functions service quotas" (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html):
 *   maximum input or output size for a task, state, or execution is 262,144 bytes of data as a
 *   UTF-8 encoded string; maximum execution history size of a Standard workflow is 25,000 events.
 * - "Handling errors in Step Functions workflows" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
 *   `States.DataLimitExceeded` is reported when the output of a connector or of a state, or the
 *   input of a state after Parameters processing, is larger than the payload size quota; it is a
 *   terminal error that cannot be caught by `States.ALL`.
 * - "Avoid reaching the history quota" (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html):
 *   when an execution reaches 24,999 events, event 25,000 is either ExecutionSucceeded, or
 *   ExecutionFailed and the execution fails.
 * - "HistoryEvent" (Step Functions API Reference) lists the event types counted below.
 */

/** Largest state/task input or output, in bytes of UTF-8 JSON. */
export const PAYLOAD_LIMIT_BYTES = 262_144;
/** Largest execution history of a Standard workflow, in events (the failing event included). */
export const HISTORY_EVENTS_LIMIT = 25_000;

/** The error Step Functions ends an execution with when a payload is too large: no Catch runs. */
export const DATA_LIMIT_ERROR = 'States.DataLimitExceeded';
/** What a failed execution that ran out of history reports (its ExecutionFailed event's error and cause). */
export const HISTORY_LIMIT_ERROR = 'States.Runtime';
export const historyLimitCause = (limit = HISTORY_EVENTS_LIMIT): string => `The execution reached the maximum number of history events (${limit}).`;

/** Size of a payload as Step Functions measures it: its JSON, UTF-8 encoded. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

export type StateKind = 'Task' | 'Map' | 'Choice' | 'Pass' | 'Wait' | 'Succeed' | 'Fail';

/** ExecutionStarted, then ExecutionSucceeded or ExecutionFailed. */
export const EXECUTION_EVENTS = 2;

export interface StateRun {
  /** Lambda invocations of a Task (1 + retries). */
  attempts?: number;
  /** `failed`: the error left the state uncaught (no …StateExited; the execution fails next). */
  outcome?: 'succeeded' | 'caught' | 'failed';
  /** A Map's iterations; their own states are counted separately, one call each. */
  iterations?: number;
}

/**
 * History events one visit of a state writes, as the HistoryEvent types name them:
 * - Task over a Lambda ARN: TaskStateEntered; per attempt LambdaFunctionScheduled,
 *   LambdaFunctionStarted, LambdaFunctionSucceeded|Failed|TimedOut; TaskStateExited unless the
 *   error was not caught;
 * - Map (inline): MapStateEntered, MapStateStarted; per iteration MapIterationStarted and
 *   MapIterationSucceeded|Failed; MapStateSucceeded|Failed; MapStateExited unless not caught;
 * - Choice, Pass, Wait, Succeed: …StateEntered, …StateExited;
 * - Fail: FailStateEntered (then the execution's ExecutionFailed).
 */
export function stateHistoryEvents(kind: StateKind, run: StateRun = {}): number {
  const exited = run.outcome === 'failed' ? 0 : 1;
  switch (kind) {
    case 'Task':
      return 1 + 3 * (run.attempts ?? 1) + exited;
    case 'Map':
      return 2 + 2 * (run.iterations ?? 0) + 1 + exited;
    case 'Fail':
      return 1;
    default:
      return 2;
  }
}

/** A whole execution: its states' events plus ExecutionStarted and its end. */
export function executionHistoryEvents(states: readonly (StateKind | { kind: StateKind; run?: StateRun })[]): number {
  return states.reduce((n, s) => n + (typeof s === 'string' ? stateHistoryEvents(s) : stateHistoryEvents(s.kind, s.run)), EXECUTION_EVENTS);
}

/**
 * The same arithmetic, event by event, over aws-local-stepfunctions' event log (StateEntered,
 * StateFailed, StateRetried, StateCaught, StateExited, MapIteration*): how many history events
 * each of them stands for. One per execution: it remembers which state visits failed.
 */
export class HistoryCounter {
  private readonly failed = new Set<string>();

  /** Events one library event stands for; `kind` is the state's ASL Type. */
  count(ev: { type: string; index?: number; state?: { name: string } }, kind: string | undefined): number {
    const key = `${ev.index ?? '-'}:${ev.state?.name ?? ''}`;
    switch (ev.type) {
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return 1;
      case 'StateEntered':
        this.failed.delete(key);
        return kind === 'Task' ? 3 : kind === 'Map' ? 2 : 1;
      case 'StateFailed':
        if (kind !== 'Task' && kind !== 'Map') return 0; // a Choice/Fail error goes straight to ExecutionFailed
        this.failed.add(key);
        return 1; // LambdaFunctionFailed, MapStateFailed
      case 'StateRetried':
        this.failed.delete(key);
        return kind === 'Task' ? 2 : 0; // LambdaFunctionScheduled, LambdaFunctionStarted
      case 'StateExited':
        if (kind !== 'Task' && kind !== 'Map') return 1;
        return this.failed.delete(key) ? 1 : 2; // (Lambda|MapState)Succeeded unless it failed and was caught; …StateExited
      default:
        return 0;
    }
  }
}
