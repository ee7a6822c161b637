import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ZodType, ZodTypeDef } from 'zod';
import type { Env, Step } from '../cycle/ports';
import { runAsync } from '../cycle/ports';
import { PayloadTooLargeError, ValidationError } from '../errors';
import { bytesOf, clip, PAYLOAD_BUDGET_BYTES, PAYLOAD_LIMIT_BYTES } from '../cycle/sizes';
import { getRuntime } from '../runtime';
import { envOf } from '../runtime-env';
import { logger, metrics } from './observability';

/** An error's message, as the next state reads it in Cause. */
const ERROR_MESSAGE_MAX = 2000;

/**
 * One Task state's handler: Powertools' parser validates the state's input against its schema,
 * its logger carries the Lambda context (cold start, request id, function) plus the execution
 * and service on every line, and the step runs over the real ports. Typed errors pass through,
 * so the state machine's Retry/Catch see their names (`BrokerUnavailableError`, …).
 */
export type StepHandler = (event: unknown, context: Context) => Promise<unknown>;

export function stepHandler<I, O>(name: string, schema: ZodType<I, ZodTypeDef, unknown>, work: (env: Env, input: I) => Step<O>, after?: (output: O, input: I, env: Env) => void): StepHandler {
  const started = new WeakMap<object, number>();
  return middy(async (input: I): Promise<O> => {
    const keys = input as { cycle?: { execution?: string }; execution?: string; service?: string };
    logger.appendKeys({ step: name, execution: keys.cycle?.execution ?? keys.execution, ...(keys.service ? { workerService: keys.service } : {}) });
    const env = envOf(await getRuntime());
    const output = await runAsync(work(env, input));
    // Step Functions would end the whole execution, uncaught, past 256 KiB: fail here, where Catch cleans up.
    const size = bytesOf(output);
    if (size > PAYLOAD_BUDGET_BYTES) throw new PayloadTooLargeError(`${name} output is ${size} bytes, over the ${PAYLOAD_BUDGET_BYTES}-byte budget of a state (Step Functions' limit is ${PAYLOAD_LIMIT_BYTES})`);
    after?.(output, input, env);
    return output;
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        started.set(request, Date.now());
      },
      after: (request) => {
        logger.info(`${name} done`, { output: request.response as Record<string, unknown>, ms: Date.now() - (started.get(request) ?? Date.now()) });
      },
      onError: (request) => {
        const err = request.error as Error & { cause?: unknown };
        // A payload that does not match its schema is a wiring fault; say which state and why.
        if (err?.name === 'ParseError') request.error = new ValidationError(`${name} input`, [String((err.cause as Error | undefined)?.message ?? err.message)]);
        // The message becomes the state's Cause, which travels in the next state's input: keep it a line.
        const e = request.error as Error;
        if (typeof e?.message === 'string' && e.message.length > ERROR_MESSAGE_MAX) e.message = clip(e.message, ERROR_MESSAGE_MAX);
        logger.error(`${name} failed`, { errorName: (request.error as Error).name, errorMessage: (request.error as Error).message });
      },
    })
    .use({
      after: () => flushMetrics(),
      onError: () => flushMetrics(),
    })
    .use(parser({ schema }));
}

function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** What the local stack hands a handler in place of Lambda's context. */
export function localContext(functionName: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
