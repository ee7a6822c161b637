import { goalVerdict, policyRows, TABLE_HEAD, verdictLine } from "../lib/simulate";
import { buildReference, REFERENCE_TRACES } from '../lib/simulate/reference';
import { markdownTable, type GoalVerdict } from '../lib/simulate/report';
import { POLICY_LABELS, simulateTrace } from '../lib/simulate/run';

const SEED = 1;

const pct = (x: number): string => `${Math.round(x * 100)}%`;

function summaryCells(name: string, v: GoalVerdict, withinPct: number): string[] {
  return [
    name,
    v.met ? 'met' : '**not met**',
    `${withinPct.toFixed(1)}%${v.withinTarget ? '' : ' ✗'}`,
    `${v.ratio.toFixed(2)}${v.ratioOk ? '' : ' ✗'}`,
    v.best && v.saving !== undefined ? `${pct(v.saving)} vs ${POLICY_LABELS[v.best.policy]}${v.savingOk ? '' : ' ✗'}` : 'no baseline meets the target',
  ];
}

/** Every reference trace through every policy (the fixed fleet by bisection): the goal, measured. */
export async function simulateBench(): Promise<string> {
  const started = process.hrtime.bigint();
  const summary: string[][] = [];
  const sections: string[] = [];
  for (const ref of REFERENCE_TRACES) {
    const { trace, setup } = buildReference(ref, SEED);
    const runs = simulateTrace(trace, setup);
    const verdict = goalVerdict(runs) as GoalVerdict;
    const ours = runs.find((r) => r.policy === 'planner');
    // The goal holds per service: show the worst one.
    summary.push(summaryCells(ref.name, verdict, ours ? Math.min(...Object.values(ours.byService).map((m) => m.withinTargetPct)) : 0));
    const facts = setup.services.map((s) => `${s.name}: ${s.config.queues.join(', ')}; concurrency ${s.worker.concurrency}${s.worker.acksLate ? ' (acks_late)' : ''}; μ ${s.config.tasksPerWorkerPerMinute}/min; target ${s.config.targetMinutes} min; start-up ${s.config.startupSeconds} s; ${s.config.minWorkers}–${s.config.maxWorkers} workers`).join(' — ');
    const tables = setup.services.length > 1
      ? [...setup.services.map((s) => `${s.name}:\n\n${markdownTable(TABLE_HEAD, policyRows(runs, s.name))}`), `all services:\n\n${markdownTable(TABLE_HEAD, policyRows(runs, null))}`]
      : [markdownTable(TABLE_HEAD, policyRows(runs, null))];
    sections.push([`### ${ref.name}: ${ref.description}`, '', `${trace.tasks.length.toLocaleString('en-US')} tasks over ${(trace.horizonSeconds / 3600).toFixed(1)} h. ${facts}.`, '', ...tables.flatMap((t) => [t, '']), verdictLine(verdict), ''].join('\n'));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return [
    `## simulate: this planner against the baselines on the reference traces (seed ${SEED})`,
    '',
    `All ${REFERENCE_TRACES.length} reference traces × 5 policies, the fixed fleet found by bisection: ${seconds.toFixed(1)} s wall time. Model, baselines and metrics: [simulator.md](simulator.md).`,
    `Goal per trace: ≥ 99% of tasks started within the target (every service, where maxWorkers allows it), paid/busy ≤ 1.25, and ≥ 25% fewer paid worker-minutes than the best baseline that meets the same target. ✗ marks what misses.`,
    '',
    markdownTable(['trace', 'goal', 'started within target (worst service)', 'paid/busy', 'saving vs best baseline meeting the target'], summary),
    '',
    ...sections,
  ].join('\n');
}
