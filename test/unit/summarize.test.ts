import type { SummarizeInput } from '../../lib/cycle/payloads';
import { summarize, type Summary } from '../../lib/cycle/summarize';
import { cycle } from '../support/fake-env';

// Summarize is pure (it touches no port): its table is the whole test.
describe('Summarize: one line per service, and the cycle error if any failed', () => {
  const rows: [string, Omit<SummarizeInput, 'cycle'>, Omit<Summary, 'cycle'>][] = [
    ['each service’s result is its line', { holds: [], results: [{ service: 'web', result: 'scaled up 2 → 5: backlog' }] },
      { actions: ['web: scaled up 2 → 5: backlog'], holds: [], failed: [] }],
    ['a branch with no result says done', { holds: [], results: [{ service: 'web' }] }, { actions: ['web: done'], holds: [], failed: [] }],
    ['holds and repairs are carried with their service', { holds: [{ service: 'api', reason: 'at max' }], recovered: ['web: repaired'], results: [] },
      { actions: [], holds: ['api: at max'], failed: [], recovered: ['web: repaired'] }],
    ['a failed branch fails the cycle with the Lambda message as cause',
      { holds: [], results: [{ service: 'web', failed: true, error: { Error: 'EcsTransientError', Cause: JSON.stringify({ errorMessage: 'throttled' }) } }, { service: 'api', result: 'scaled up 1 → 2: backlog' }] },
      { actions: ['web: failed: EcsTransientError', 'api: scaled up 1 → 2: backlog'], holds: [], failed: ['web'], error: 'ServiceScalingFailed', cause: 'web: EcsTransientError: throttled' }],
    ['a failed branch’s own result line is kept', { holds: [], results: [{ service: 'web', failed: true, result: 'failed: X: y', error: { Error: 'X', Cause: 'y' } }] },
      { actions: ['web: failed: X: y'], holds: [], failed: ['web'], error: 'ServiceScalingFailed', cause: 'web: X: y' }],
    ['two failed branches: the cause names each, one after the other',
      { holds: [], results: [{ service: 'web', failed: true, error: { Error: 'EcsTransientError', Cause: JSON.stringify({ errorMessage: 'throttled' }) } }, { service: 'api', failed: true, error: { Error: 'LockLostError', Cause: 'lock expired' } }] },
      { actions: ['web: failed: EcsTransientError', 'api: failed: LockLostError'], holds: [], failed: ['web', 'api'], error: 'ServiceScalingFailed', cause: 'web: EcsTransientError: throttled; api: LockLostError: lock expired' }],
  ];
  test.each(rows)('%s', (_name, input, expected) => {
    expect(summarize({ cycle: cycle(), ...input })).toEqual({ cycle: cycle(), ...expected });
  });
});
