import type { PolicyMetrics } from '../../lib/simulate/metrics';
import { GOAL, goalVerdict, ratioText, verdictLine } from '../../lib/simulate/report';
import type { PolicyName } from '../../lib/simulate/policies/types';
import type { PolicyRun } from '../../lib/simulate/run';

const metrics = (m: Partial<PolicyMetrics>): PolicyMetrics => ({ tasks: 100, completed: 100, paidMinutes: 100, busyMinutes: 50, ratio: 2, withinTargetPct: 100, p95WaitSeconds: 0, maxWaitSeconds: 0, scaleActions: 0, reversals: 0, interrupted: 0, peakWorkers: 1, ...m });
const runOf = (policy: PolicyName, m: Partial<PolicyMetrics>): PolicyRun => ({ policy, world: undefined as never, total: metrics(m), byService: { default: metrics(m) } });

describe('the goal verdict as printed', () => {
  test('a ratio just over the goal reads over it: more decimals where two would show the goal itself', () => {
    expect(GOAL.xOracle).toBe(1.1);
    expect(ratioText(1.1049)).toBe('1.105');
    expect(ratioText(1.0951)).toBe('1.095');
    expect(ratioText(1.1)).toBe('1.10');
    expect(ratioText(1.12)).toBe('1.12');
    expect(ratioText(0.5)).toBe('0.50');
    expect(ratioText(1.1004)).toBe('1.1004');
    expect(ratioText(1.1000004)).toBe('1.100000');
  });

  test('the verdict line names the ratio, the goal and which side of it the run is', () => {
    const v = { feasible: true, withinTarget: true, xOracle: 1.1049, xOracleOk: false, cheaper: [], reversals: 1, oracleReversals: 2, reversalsOk: true, met: false };
    expect(verdictLine(v)).toBe('goal NOT met: target met; paid 1.105 × best known > 1.10; no baseline meeting the target is cheaper; 1 reversal ≤ the best known\'s 2');
    expect(verdictLine({ ...v, xOracle: 1.02, xOracleOk: true, met: true, reversals: 0, oracleReversals: 0 })).toBe('goal met: target met; paid 1.02 × best known ≤ 1.10; no baseline meeting the target is cheaper; 0 reversals ≤ the best known\'s 0');
    expect(verdictLine({ ...v, xOracle: 1.02, xOracleOk: true, reversals: 3, oracleReversals: 1, reversalsOk: false })).toBe('goal NOT met: target met; paid 1.02 × best known ≤ 1.10; no baseline meeting the target is cheaper; 3 reversals > the best known\'s 1');
  });

  test('the goal: in target, within a tenth of the best known, no cheaper baseline in target, no more reversals than the best known', () => {
    const best = runOf('oracle', { paidMinutes: 100, reversals: 2 });
    expect(goalVerdict([runOf('planner', { paidMinutes: 105, reversals: 2 }), best])).toMatchObject({ met: true, reversalsOk: true, oracleReversals: 2 });
    expect(goalVerdict([runOf('planner', { paidMinutes: 105, reversals: 3 }), best])).toMatchObject({ met: false, reversalsOk: false, xOracleOk: true });
    expect(goalVerdict([runOf('planner', { paidMinutes: 111, reversals: 0 }), best])).toMatchObject({ met: false, xOracleOk: false, reversalsOk: true });
    expect(goalVerdict([runOf('planner', { paidMinutes: 105, withinTargetPct: 98 }), best])).toMatchObject({ met: false, withinTarget: false });
    // A baseline that is cheaper and in target fails the goal; one that strands a task is not in target.
    expect(goalVerdict([runOf('planner', { paidMinutes: 105 }), runOf('keda', { paidMinutes: 90 }), best])).toMatchObject({ met: false, cheaper: ['keda'] });
    expect(goalVerdict([runOf('planner', { paidMinutes: 105 }), runOf('aws', { paidMinutes: 50, withinTargetPct: 99.8, completed: 99 }), best])).toMatchObject({ met: true, cheaper: [] });
  });
});
