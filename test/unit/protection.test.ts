import { runSync } from '../../lib/cycle/ports';
import { clearProtection } from '../../lib/cycle/protection';
import { SERVICE, arn, fakeEnv, taskId } from '../support/fake-env';

/**
 * clearProtection over fake ports: the tasks the service's protection record names are unprotected
 * (never a listing of the service), except those known to be unprotected already, then the record
 * is forgotten. Each UpdateTaskProtection or store call it makes is one a test can see.
 */
describe('clearProtection: unprotect what the record names, then forget the record', () => {
  const rows: [string, string[], string[] | undefined, string[], number][] = [
    ['nothing recorded: no request and no record to forget', [], undefined, [`history.protectedTasks ${SERVICE}`], 0],
    ['every recorded task in the record', [arn(1), arn(2)], undefined,
      [`history.protectedTasks ${SERVICE}`, `ecs.unprotect ${SERVICE} [${arn(1)},${arn(2)}]`, `history.clearProtected ${SERVICE}`], 2],
    ['released tasks (named by id or ARN) are skipped, the rest unprotected', [arn(1), arn(2), arn(3)], [taskId(1), arn(3)],
      [`history.protectedTasks ${SERVICE}`, `ecs.unprotect ${SERVICE} [${arn(2)}]`, `history.clearProtected ${SERVICE}`], 1],
    ['every recorded task released already: no UpdateTaskProtection with an empty list, the record is still forgotten', [arn(1)], [taskId(1)],
      [`history.protectedTasks ${SERVICE}`, `history.clearProtected ${SERVICE}`], 0],
  ];
  test.each(rows)('%s', (_name, recorded, skip, calls, cleared) => {
    const env = fakeEnv();
    if (recorded.length > 0) env.store.saveProtected(SERVICE, recorded, 600_000);
    expect(runSync(clearProtection(env, SERVICE, skip))).toBe(cleared);
    expect(env.calls()).toEqual(calls);
    expect(env.store.protectedTasks(SERVICE)).toEqual([]);
  });
});
