import { GOAL, ratioText, verdictLine } from '../../lib/simulate/report';

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
    const v = { feasible: true, withinTarget: true, xOracle: 1.1049, xOracleOk: false, cheaper: [], reversals: 1, met: false };
    expect(verdictLine(v)).toBe('goal NOT met: target met; paid 1.105 × best known > 1.10; no baseline meeting the target is cheaper; 1 reversal');
    expect(verdictLine({ ...v, xOracle: 1.02, xOracleOk: true, met: true, reversals: 0 })).toBe('goal met: target met; paid 1.02 × best known ≤ 1.10; no baseline meeting the target is cheaper; 0 reversals');
  });
});
