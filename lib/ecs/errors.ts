import { AutoscalerError } from '../errors';

/**
 * ECS failures, named for the state machine's Retry: `EcsTransientError` (throttling, 5xx,
 * network) is retried with backoff; `EcsError` (service not found, access denied, bad
 * request) fails the cycle at once with the cluster and service named.
 */
export class EcsError extends AutoscalerError {
  constructor(message: string, readonly retryable: boolean, readonly awsCode?: string) {
    super(message);
    this.name = retryable ? 'EcsTransientError' : 'EcsError';
  }
}

const TRANSIENT = new Set(['ThrottlingException', 'ServerException', 'ServiceUnavailableException', 'RequestLimitExceeded', 'TooManyRequestsException', 'InternalFailure', 'TimeoutError', 'RequestTimeout']);

export function toEcsError(e: unknown, what: string): EcsError {
  if (e instanceof EcsError) return e;
  const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const code = err.name ?? err.code ?? 'Error';
  const status = err.$metadata?.httpStatusCode ?? 0;
  const network = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].some((c) => String(err.code ?? err.message).includes(c));
  const retryable = TRANSIENT.has(code) || status >= 500 || network || Boolean(err.$retryable);
  return new EcsError(`${what}: ${code}: ${err.message ?? ''}`.trim(), retryable, code);
}
