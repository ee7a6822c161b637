import type { PolicyMetrics } from './metrics';
import type { PolicyName } from './policies/types';
import { meetsTarget, POLICY_LABELS, type PolicyRun } from './run';

export const TABLE_HEAD = ['policy', 'paid w-min', '× best known', '× bound', 'busy w-min', 'paid/busy', 'in target', 'p95 wait', 'max wait', 'scale actions', 'reversals', 'interrupted', 'completed'];

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const secs = (x: number): string => (x >= 3600 ? `${(x / 3600).toFixed(1)} h` : `${Math.round(x)} s`);

/** A ratio over the bound: '–' where there is none (no task, no bound above 0). */
const ratioCell = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));

export function metricCells(label: string, m: PolicyMetrics): string[] {
  return [
    label, int(m.paidMinutes), m.xOracle === undefined ? '–' : m.xOracle.toFixed(2), ratioCell(m.xBound), int(m.busyMinutes), m.ratio.toFixed(2), `${m.withinTargetPct.toFixed(1)}%`,
    secs(m.p95WaitSeconds), secs(m.maxWaitSeconds), String(m.scaleActions), String(m.reversals), String(m.interrupted),
    m.completed === m.tasks ? int(m.completed) : `${int(m.completed)} of ${int(m.tasks)}`,
  ];
}

/** The policy's name; the fixed fleet's with its size (of one service, or of each). */
export const policyLabel = (run: PolicyRun, service: string | null = null): string =>
  run.fleet ? `${POLICY_LABELS.fixed} ×${service === null ? Object.values(run.fleet).join('+') : run.fleet[service]}` : POLICY_LABELS[run.policy];

/** One row per policy, for one service or for all of them. */
export function policyRows(runs: PolicyRun[], service: string | null): string[][] {
  return runs.map((r) => metricCells(policyLabel(r, service), service === null ? r.total : r.byService[service]));
}

/** The project's goal on one trace (docs/simulator.md, "Goal"): only printed when asked for (`--goal`, the bench). */
export interface GoalVerdict {
  /** Whether maxWorkers allows the target at all (the best known schedule meets it on every service). */
  feasible: boolean;
  withinTarget: boolean;
  /** Paid worker-minutes over the best known schedule's (the hindsight search's). */
  xOracle: number;
  xOracleOk: boolean;
  /** Baselines that meet the target and cost less than the planner. */
  cheaper: PolicyName[];
  reversals: number;
  /** The best known schedule's reversals: it follows the load it knows, so it turns only where the load does. */
  oracleReversals: number;
  /** No more reversals than the best known schedule's. */
  reversalsOk: boolean;
  met: boolean;
}

// Paid at most a tenth over the best known schedule: close enough that what is left is the price of
// reacting (the reactive search shows how much of it), not of sizing.
export const GOAL = { xOracle: 1.1 };

export function goalVerdict(runs: PolicyRun[]): GoalVerdict | null {
  const ours = runs.find((r) => r.policy === 'planner');
  const oracle = runs.find((r) => r.policy === 'oracle');
  if (!ours || !oracle) return null;
  const feasible = meetsTarget(oracle);
  const withinTarget = meetsTarget(ours) || !feasible;
  const cheaper = runs.filter((r) => r.policy !== 'planner' && r.policy !== 'oracle' && meetsTarget(r) && r.total.paidMinutes < ours.total.paidMinutes - 1e-6).map((r) => r.policy);
  const xOracle = ours.total.paidMinutes / oracle.total.paidMinutes;
  const xOracleOk = xOracle <= GOAL.xOracle;
  const reversalsOk = ours.total.reversals <= oracle.total.reversals;
  return { feasible, withinTarget, xOracle, xOracleOk, cheaper, reversals: ours.total.reversals, oracleReversals: oracle.total.reversals, reversalsOk, met: withinTarget && xOracleOk && cheaper.length === 0 && reversalsOk };
}

/** A ratio as the tables show it, with as many more decimals as it takes not to read as the goal itself (1.1004 > 1.10). */
export function ratioText(x: number, goal = GOAL.xOracle): string {
  let d = 2;
  while (d < 6 && x !== goal && x.toFixed(d) === goal.toFixed(d)) d += 1;
  return x.toFixed(d);
}

export function verdictLine(v: GoalVerdict): string {
  const parts = [
    `${v.withinTarget ? 'target met' : 'target NOT met'}${v.feasible ? '' : ' (maxWorkers does not allow it: the best known schedule misses it too)'}`,
    `paid ${ratioText(v.xOracle)} × best known ${v.xOracleOk ? '≤' : '>'} ${GOAL.xOracle.toFixed(2)}`,
    v.cheaper.length === 0 ? 'no baseline meeting the target is cheaper' : `cheaper and meeting the target: ${v.cheaper.map((p) => POLICY_LABELS[p]).join(', ')}`,
    `${v.reversals} reversal${v.reversals === 1 ? '' : 's'} ${v.reversalsOk ? '≤' : '>'} the best known's ${v.oracleReversals}`,
  ];
  return `${v.met ? 'goal met' : 'goal NOT met'}: ${parts.join('; ')}`;
}

export function markdownTable(head: string[], rows: string[][]): string {
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
