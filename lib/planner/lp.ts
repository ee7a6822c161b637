import highsLoader, { type Highs } from 'highs';

/**
 * HiGHS (the `highs` package: the HiGHS solver compiled to WebAssembly), shared by the planner's
 * horizon model (lib/planner/horizon.ts) and the simulator's certified bound
 * (lib/simulate/bound.ts). Loading it is the only asynchronous step: the simulator loads it before
 * its runs (`simulate`); the deployed cycle does not use it yet.
 */
let solver: Highs | null = null;

export async function loadSolver(): Promise<void> {
  solver ??= await highsLoader();
}

/** A number as the LP format reads it: 12 significant digits, below 1e-9 written as 0. */
export const lpNumber = (x: number): string => (Math.abs(x) < 1e-9 ? '0' : x.toPrecision(12));

/** A linear program in CPLEX LP format: `obj` and `rows` are terms and rows as the format writes them. */
export interface LinearProgram {
  objective: string[];
  rows: string[];
  bounds: string[];
}

export interface LpSolution {
  objective: number;
  /** A column's value (0 for a column presolve removed or the LP never named). */
  value(column: string): number;
}

/** Solves a minimisation; throws unless HiGHS proves it optimal. */
export function solveLp(lp: LinearProgram, what: string): LpSolution {
  if (!solver) throw new Error(`${what}: the LP solver is not loaded (await loadSolver() first)`);
  const lines = (terms: string[]) => terms.reduce<string[]>((acc, t, i) => { if (i % 8 === 0) acc.push(` ${t}`); else acc[acc.length - 1] += ` ${t}`; return acc; }, []);
  const text = ['Minimize', ' obj:', ...lines(lp.objective), 'Subject To', ...lp.rows.map((r) => ` ${r}`), 'Bounds', ...lp.bounds.map((b) => ` ${b}`), 'End', ''].join('\n');
  const res = solver.solve(text, { presolve: 'on' });
  if (res.Status !== 'Optimal') throw new Error(`${what}: the LP was not solved (${res.Status})`);
  const columns = res.Columns as Record<string, { Primal: number } | undefined>;
  return { objective: res.ObjectiveValue, value: (c) => columns[c]?.Primal ?? 0 };
}
