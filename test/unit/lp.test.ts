import { loadSolver, lpNumber, solveLp } from '../../lib/planner/lp';

/** The LP edge of the planner and the simulator's bound: numbers as the LP format reads them, and a program HiGHS cannot solve is an error. */
describe('lp', () => {
  test('a number below 1e-9 is written as 0, others to 12 significant digits', () => {
    expect(lpNumber(0)).toBe('0');
    expect(lpNumber(-9.99e-10)).toBe('0');
    expect(lpNumber(1e-9)).toBe('1.00000000000e-9');
    expect(lpNumber(2 / 3)).toBe('0.666666666667');
  });

  test('before the solver is loaded, solving says so', () => {
    jest.isolateModules(() => {
      const fresh = require('../../lib/planner/lp') as typeof import('../../lib/planner/lp');
      expect(() => fresh.solveLp({ objective: ['+ 1 x'], rows: ['c: x >= 1'], bounds: [] }, 'the test')).toThrow('the test: the LP solver is not loaded (await loadSolver() first)');
    });
  });

  test('solves a minimisation of many terms, and a program with no solution is an error, not an answer', async () => {
    await loadSolver();
    // 20 columns x0..x19, each at least its index + 1 and costing 1: the objective is 1 + … + 20 = 210.
    const cols = Array.from({ length: 20 }, (_, i) => `x${i}`);
    const sol = solveLp({ objective: cols.map((c) => `+ 1 ${c}`), rows: cols.map((c, i) => `r${i}: ${c} >= ${i + 1}`), bounds: [] }, 'sum');
    expect(sol.objective).toBeCloseTo(210, 9);
    expect(sol.value('x19')).toBeCloseTo(20, 9);
    expect(sol.value('nope')).toBe(0);
    expect(() => solveLp({ objective: ['+ 1 x'], rows: ['c: x >= 2'], bounds: ['0 <= x <= 1'] }, 'the bound')).toThrow('the bound: the LP was not solved (Infeasible)');
  });
});
