import type { PolicyMetrics } from './metrics';
import type { PolicyName } from './policies/types';
import { meetsTarget, POLICY_LABELS, type PolicyRun } from './run';

export const TABLE_HEAD = ['policy', 'paid w-min', 'busy w-min', 'paid/busy', 'in target', 'p95 wait', 'max wait', 'scale actions', 'interrupted', 'completed'];

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const secs = (x: number): string => (x >= 3600 ? `${(x / 3600).toFixed(1)} h` : `${Math.round(x)} s`);

export function metricCells(label: string, m: PolicyMetrics): string[] {
  return [
    label, int(m.paidMinutes), int(m.busyMinutes), m.ratio.toFixed(2), `${m.withinTargetPct.toFixed(1)}%`,
    secs(m.p95WaitSeconds), secs(m.maxWaitSeconds), String(m.scaleActions), String(m.interrupted),
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

/** The goal on one trace: target, paid/busy, and the saving against the best baseline that meets the target. */
export interface GoalVerdict {
  /** Whether maxWorkers allows the target at all (the fixed fleet at its max meets it). */
  feasible: boolean;
  withinTarget: boolean;
  ratio: number;
  ratioOk: boolean;
  /** The cheapest baseline that starts ≥ 99% within the target, if any. */
  best?: { policy: PolicyName; paidMinutes: number };
  /** 1 − ours / best. */
  saving?: number;
  savingOk: boolean;
  met: boolean;
}

export const GOAL = { ratio: 1.25, saving: 0.25 };

export function goalVerdict(runs: PolicyRun[]): GoalVerdict | null {
  const ours = runs.find((r) => r.policy === 'planner');
  if (!ours) return null;
  const fixed = runs.find((r) => r.policy === 'fixed');
  const feasible = fixed ? meetsTarget(fixed) : true;
  const withinTarget = meetsTarget(ours) || !feasible;
  const meeting = runs.filter((r) => r.policy !== 'planner' && meetsTarget(r))
    .sort((a, b) => a.total.paidMinutes - b.total.paidMinutes);
  const best = meeting[0] ? { policy: meeting[0].policy, paidMinutes: meeting[0].total.paidMinutes } : undefined;
  const saving = best ? 1 - ours.total.paidMinutes / best.paidMinutes : undefined;
  const ratioOk = ours.total.ratio <= GOAL.ratio;
  const savingOk = saving === undefined || saving >= GOAL.saving;
  return { feasible, withinTarget, ratio: ours.total.ratio, ratioOk, best, saving, savingOk, met: withinTarget && ratioOk && savingOk };
}

export function verdictLine(v: GoalVerdict): string {
  const parts = [
    `${v.withinTarget ? 'target met' : 'target NOT met'}${v.feasible ? '' : ' (maxWorkers does not allow it)'}`,
    `paid/busy ${v.ratio.toFixed(2)} ${v.ratioOk ? '≤' : '>'} ${GOAL.ratio}`,
    v.best && v.saving !== undefined
      ? `${Math.round(v.saving * 100)}% ${v.saving >= 0 ? 'fewer' : 'more'} paid worker-minutes than the best baseline meeting the target (${POLICY_LABELS[v.best.policy]}) ${v.savingOk ? '≥' : '<'} ${GOAL.saving * 100}%`
      : 'no baseline meets the target',
  ];
  return `${v.met ? 'goal met' : 'goal NOT met'}: ${parts.join('; ')}`;
}

export function markdownTable(head: string[], rows: string[][]): string {
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
