import { EcsError, toEcsError } from '../../lib/ecs/errors';

// Which SDK failures Step Functions retries (EcsTransientError) and which fail the cycle at once
// (EcsError), and the one-line message each carries: `<what>: <code>: <message>`.
describe('toEcsError classifies SDK failures', () => {
  const rows: [string, Record<string, unknown>, boolean, string, string][] = [
    ['a transient code (throttling)', { name: 'ThrottlingException', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }, true, 'ThrottlingException', 'X: ThrottlingException: Rate exceeded'],
    ['a transient code without a status', { name: 'RequestLimitExceeded', message: 'slow down' }, true, 'RequestLimitExceeded', 'X: RequestLimitExceeded: slow down'],
    ['a bad request (status 400)', { name: 'AccessDeniedException', message: 'not allowed', $metadata: { httpStatusCode: 400 } }, false, 'AccessDeniedException', 'X: AccessDeniedException: not allowed'],
    ['status 499 is not a server error', { name: 'OddError', message: 'odd', $metadata: { httpStatusCode: 499 } }, false, 'OddError', 'X: OddError: odd'],
    ['status 500 exactly is a server error', { name: 'OddError', message: 'odd', $metadata: { httpStatusCode: 500 } }, true, 'OddError', 'X: OddError: odd'],
    ['status 503 is a server error', { name: 'OddError', message: 'odd', $metadata: { httpStatusCode: 503 } }, true, 'OddError', 'X: OddError: odd'],
    ['ECONNREFUSED in code (the message says otherwise)', { code: 'ECONNREFUSED', message: 'socket hang up' }, true, 'ECONNREFUSED', 'X: ECONNREFUSED: socket hang up'],
    ['ECONNRESET in code (the message says otherwise)', { code: 'ECONNRESET', message: 'socket hang up' }, true, 'ECONNRESET', 'X: ECONNRESET: socket hang up'],
    ['ETIMEDOUT in code (the message says otherwise)', { code: 'ETIMEDOUT', message: 'socket hang up' }, true, 'ETIMEDOUT', 'X: ETIMEDOUT: socket hang up'],
    ['EPIPE in code (the message says otherwise)', { code: 'EPIPE', message: 'socket hang up' }, true, 'EPIPE', 'X: EPIPE: socket hang up'],
    ['a network code only in the message', { name: 'Error', message: 'connect ETIMEDOUT 10.0.0.1:443' }, true, 'Error', 'X: Error: connect ETIMEDOUT 10.0.0.1:443'],
    ['a code that is not a network one', { code: 'ENOTSUP', message: 'nope' }, false, 'ENOTSUP', 'X: ENOTSUP: nope'],
    ['the SDK marks it retryable', { name: 'OddError', message: 'odd', $retryable: { throttling: false } }, true, 'OddError', 'X: OddError: odd'],
    ['name wins over code', { name: 'InvalidParameterException', code: 'ENOTSUP', message: 'bad' }, false, 'InvalidParameterException', 'X: InvalidParameterException: bad'],
    ['neither name nor code', { message: 'boom' }, false, 'Error', 'X: Error: boom'],
    ['no message: the line ends at the code', { name: 'OddError' }, false, 'OddError', 'X: OddError:'],
    ['an empty message: trimmed', { name: 'OddError', message: '' }, false, 'OddError', 'X: OddError:'],
  ];
  test.each(rows)('%s', (_n, err, retryable, code, message) => {
    const e = toEcsError(err, 'X');
    expect({ retryable: e.retryable, awsCode: e.awsCode, message: e.message, name: e.name }).toEqual({ retryable, awsCode: code, message, name: retryable ? 'EcsTransientError' : 'EcsError' });
  });

  test('an EcsError passes through as it is', () => {
    const e = new EcsError('already', false, 'ProtectionFailed');
    expect(toEcsError(e, 'X')).toBe(e);
  });
});
