import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goalVerdict, loadBoundSolver, policyRows, simulate, TABLE_HEAD, verdictLine } from '../lib/simulate';
import { buildFamily, JUDGING_SEEDS, TUNING_SEEDS, WORKLOAD_FAMILIES } from '../lib/simulate/families';
import { generate, logNormal, poisson } from '../lib/simulate/generate';
import { buildReference, REFERENCE_TRACES } from '../lib/simulate/reference';
import { GOAL, markdownTable, ratioText, type GoalVerdict } from '../lib/simulate/report';
import { oracleRun, POLICY_LABELS, POLICY_NAMES, runPolicy, simulateTrace, type PolicyRun } from '../lib/simulate/run';
import { horizonPolicy } from '../lib/simulate/policies/planner';
import { closureHash } from '../scripts/imports';
import { formatTraceCsv, type Trace } from '../lib/simulate/trace';
import type { SimSetup } from '../lib/simulate/policies/types';

/** The files this section's figures come from: this file and all it imports (the simulator, the planner, the cycle). */
export const simulateSourcesLine = (): string => `<!-- simulate sources ${closureHash('bench/simulate.ts')} -->`;

/** Families are judged on seeds no tuning used (the tuning seeds are for development). */
const SEEDS = JUDGING_SEEDS;
const MILLION = 1_000_000;

const worstService = (run: PolicyRun): number => Object.values(run.byService).reduce((a, m) => Math.min(a, m.withinTargetPct), 100);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

interface Outcome {
  name: string;
  runs: PolicyRun[];
  /** The planner's paid worker-minutes over the reactive oracle's (no foresight beyond a cycle). */
  xReactive: number;
  verdict: GoalVerdict;
  /** The horizon model (in development) judged by the same goal, against the same best known schedule (which does not see its run). */
  model: { run: PolicyRun; verdict: GoalVerdict };
  setup: SimSetup;
  trace: Trace;
}

function outcome(trace: Trace, setup: SimSetup): Outcome {
  const runs = simulateTrace(trace, setup);
  const reactive = oracleRun(trace, setup, runs.filter((r) => r.policy !== 'oracle'), { reactive: true });
  const ours = runs.find((r) => r.policy === 'planner') as PolicyRun;
  const best = runs.find((r) => r.policy === 'oracle') as PolicyRun;
  const model = runPolicy(trace, setup, horizonPolicy(setup));
  model.total.xOracle = model.total.paidMinutes / best.total.paidMinutes;
  model.total.xBound = (model.total.paidMinutes / best.total.paidMinutes) * (best.total.xBound as number);
  const asPlanner = [{ ...model, policy: 'planner' as const }, ...runs.filter((r) => r.policy !== 'planner')];
  return { name: trace.name, runs, verdict: goalVerdict(runs) as GoalVerdict, model: { run: model, verdict: goalVerdict(asPlanner) as GoalVerdict }, setup, trace, xReactive: ours.total.paidMinutes / reactive.total.paidMinutes };
}

const planner = (o: Outcome): PolicyRun => o.runs.find((r) => r.policy === 'planner') as PolicyRun;
const oracle = (o: Outcome): PolicyRun => o.runs.find((r) => r.policy === 'oracle') as PolicyRun;

const worstMedian = (xs: number[]): string => `${xs.reduce((a, b) => Math.max(a, b), 0).toFixed(2)} / ${median(xs).toFixed(2)}`;

/** One family's row: the goal's measures over its workloads. */
function familyRow(name: string, outcomes: Outcome[]): string[] {
  const x = outcomes.map((o) => o.verdict.xOracle);
  const worstX = x.reduce((a, b) => Math.max(a, b), 0);
  const xBound = outcomes.map((o) => planner(o).total.xBound as number);
  const bestBound = outcomes.map((o) => oracle(o).total.xBound as number);
  const worst = outcomes.reduce((a, o) => Math.min(a, worstService(planner(o))), 100);
  const oracleWorst = outcomes.reduce((a, o) => Math.min(a, worstService(oracle(o))), 100);
  const reversals = outcomes.map((o) => o.verdict.reversals);
  const dearer = outcomes.filter((o) => o.verdict.cheaper.length > 0);
  const cheaper = [...new Set(dearer.flatMap((o) => o.verdict.cheaper))].map((p) => POLICY_LABELS[p]);
  const met = outcomes.filter((o) => o.verdict.met).length;
  return [
    name, String(outcomes.length),
    `${ratioText(worstX)}${worstX > GOAL.xOracle ? ' ✗' : ''}`, median(x).toFixed(2),
    worstMedian(xBound), worstMedian(bestBound),
    `${outcomes.reduce((a, o) => Math.max(a, o.xReactive), 0).toFixed(2)} / ${median(outcomes.map((o) => o.xReactive)).toFixed(2)}`,
    `${worst.toFixed(1)}%${outcomes.some((o) => !o.verdict.withinTarget) ? ' ✗' : ''}`, `${oracleWorst.toFixed(1)}%`,
    `${reversals.reduce((a, b) => a + b, 0)} (max ${reversals.reduce((a, b) => Math.max(a, b), 0)})${outcomes.some((o) => !o.verdict.reversalsOk) ? ' ✗' : ''}`,
    dearer.length === 0 ? '0' : `${dearer.length} ✗ (${cheaper.join(', ')})`,
    `${met} of ${outcomes.length}`,
  ];
}

const FAMILY_HEAD = ['workloads', 'n', 'worst × best known', 'median × best known', 'worst / median × bound', 'best known: worst / median × bound', 'worst / median × reactive best known', 'worst in target (planner, worst service)', 'best known\'s worst in target', 'reversals (planner; ✗: more than the best known on some workload)', 'dearer than a baseline meeting the target', 'goal met'];

const MODEL_HEAD = ['workloads', 'goal met: planner / model', 'target missed (where the best known meets it): planner / model', 'worst in target: planner / model', 'median × best known: planner / model', 'worst × best known: planner / model', 'median × bound: planner / model', 'reversals: planner / model'];

/** One family's row of the switch's test: the deployed planner and the horizon model, judged alike. */
function modelRow(name: string, outcomes: Outcome[]): string[] {
  const both = <T>(f: (run: PolicyRun, v: GoalVerdict) => T): [T[], T[]] => [outcomes.map((o) => f(planner(o), o.verdict)), outcomes.map((o) => f(o.model.run, o.model.verdict))];
  const pair = <T>(xs: [T[], T[]], show: (v: T[]) => string): string => `${show(xs[0])} / ${show(xs[1])}`;
  const count = (bs: boolean[]): string => String(bs.filter(Boolean).length);
  const worst = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);
  return [
    name,
    pair(both((_, v) => v.met), count),
    pair(both((r, v) => v.feasible && worstService(r) < 99), count),
    pair(both((r) => worstService(r)), (xs) => `${xs.reduce((a, b) => Math.min(a, b), 100).toFixed(1)}%`),
    pair(both((_, v) => v.xOracle), (xs) => median(xs).toFixed(2)),
    pair(both((_, v) => v.xOracle), (xs) => worst(xs).toFixed(2)),
    pair(both((r) => r.total.xBound as number), (xs) => median(xs).toFixed(2)),
    pair(both((_, v) => v.reversals), (xs) => String(xs.reduce((a, b) => a + b, 0))),
  ];
}

function details(o: Outcome): string {
  const facts = o.setup.services.map((s) => `${s.name}: ${s.config.queues.join(', ')}; concurrency ${s.worker.concurrency}${s.worker.acksLate ? ' (acks_late)' : ''}; μ ${s.config.tasksPerWorkerPerMinute}/min; target ${s.config.targetMinutes} min; start-up ${s.config.startupSeconds} s; ${s.config.minWorkers}–${s.config.maxWorkers} workers`).join(' — ');
  const tables = o.setup.services.length > 1
    ? [...o.setup.services.map((s) => `${s.name}:\n\n${markdownTable(TABLE_HEAD, policyRows(o.runs, s.name))}`), `all services:\n\n${markdownTable(TABLE_HEAD, policyRows(o.runs, null))}`]
    : [markdownTable(TABLE_HEAD, policyRows(o.runs, null))];
  return [`${o.trace.tasks.length.toLocaleString('en-US')} tasks over ${(o.trace.horizonSeconds / 3600).toFixed(1)} h. ${facts}.`, '', ...tables.flatMap((t) => [t, '']), verdictLine(o.verdict), ''].join('\n');
}

/** A day of a busy platform: ~1,000,000 tasks on three queues, as a CSV the simulator streams. */
function millionTaskCsv(): string {
  const day = 86_400;
  const perQueue = (MILLION / 3 / 1440) * 1.005;
  const tasks = generate(1, ['default', 'emails', 'reports'].map((q, i) => (r) =>
    poisson(r, q, 0, day, (t) => perQueue * (1 + 0.8 * Math.sin((2 * Math.PI * (t + i * 3600)) / day)), perQueue * 1.8, logNormal(2 + 2 * i, 0.8, 0.1, 300))));
  return formatTraceCsv(tasks);
}

/** The 1,000,000-task row, in a fresh process so its peak memory is its own. */
function millionRow(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-million-'));
  try {
    const csv = join(dir, 'day.csv');
    writeFileSync(csv, millionTaskCsv());
    const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, csv], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`1,000,000-task run failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { tasks: number; seconds: number; maxRssMb: number; policies: number; planner: string };
    return [`${r.tasks.toLocaleString('en-US')} tasks, 3 queues, 24 h (CSV streamed)`, String(r.policies), `${r.seconds.toFixed(1)} s${r.seconds > 60 ? ' ✗' : ''}`, `${Math.round(r.maxRssMb)} MB${r.maxRssMb > 2048 ? ' ✗' : ''}`, r.planner];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every workload family (the judging seeds) and every reference trace through every policy, against the best known schedule and the certified bound. */
export async function simulateBench(): Promise<string> {
  await loadBoundSolver();
  const started = process.hrtime.bigint();
  const families = WORKLOAD_FAMILIES.map((f) => ({ family: f, outcomes: SEEDS.map((seed) => { const b = buildFamily(f, seed); return outcome(b.trace, b.setup); }) }));
  const references = REFERENCE_TRACES.map((ref) => { const b = buildReference(ref, 1); return outcome(b.trace, b.setup); });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const million = millionRow();
  const all = [...families.flatMap((f) => f.outcomes), ...references];
  return [
    `## simulate: this planner against the best known schedule, the certified bound and the baselines, on generated workload families and the reference traces`,
    '',
    `${WORKLOAD_FAMILIES.length} families × judging seeds ${SEEDS[0]}–${SEEDS[SEEDS.length - 1]} (no tuning used them; tuning seeds ${TUNING_SEEDS[0]}–${TUNING_SEEDS[TUNING_SEEDS.length - 1]} are for development) and ${REFERENCE_TRACES.length} reference traces (seed 1), × ${POLICY_NAMES.length} policies (the fixed fleet by bisection, the best known schedule by the hindsight search) and one bound LP per service: ${seconds.toFixed(1)} s wall time. Model, search, bound, baselines and metrics: [simulator.md](simulator.md).`,
    '`× best known`: over the cheapest schedule the hindsight search found among its own and the baselines\' (an upper estimate of the optimum: ≥ 1 is built in where a baseline\'s schedule is the cheapest). `× bound`: over the certified lower bound, an LP no schedule starting ≥ 99% of tasks within the target can pay less than; the true optimum lies between the two.',
    'The reactive search runs the same schedules knowing each task only from the first cycle after it arrived (it keeps the durations): the planner\'s cost over it is what is left once the 60 s reaction time is charged to every controller.',
    `Goal per workload: ≥ 99% of tasks started within the target on every service (where the best known schedule shows maxWorkers allows it), paid ≤ ${GOAL.xOracle.toFixed(2)} × best known, never dearer than a baseline that meets the target, no more reversals than the best known schedule (which turns only where the load does). ✗ marks what misses; ${all.filter((o) => o.verdict.met).length} of ${all.length} workloads meet all of it.`,
    '',
    markdownTable(FAMILY_HEAD, [...families.map((f) => familyRow(f.family.name, f.outcomes)), ...references.map((o) => familyRow(`reference: ${o.name}`, [o]))]),
    '',
    '### The horizon model against this planner, judged alike',
    '',
    `The horizon model (docs/planner.md) replaces this planner's sizing once it does at least as well on every family; until then it runs beside it here, on the same judging seeds, by the same goal and against the same best known schedule (whose search does not see the model's run). It meets the goal on ${all.filter((o) => o.model.verdict.met).length} of ${all.length} workloads, this planner on ${all.filter((o) => o.verdict.met).length}.`,
    '',
    markdownTable(MODEL_HEAD, [...families.map((f) => modelRow(f.family.name, f.outcomes)), ...references.map((o) => modelRow(`reference: ${o.name}`, [o]))]),
    '',
    '### A day of a busy platform',
    '',
    markdownTable(['trace', 'policies', 'wall time (≤ 60 s)', 'peak RSS (≤ 2 GB)', 'planner'], [million]),
    '',
    `### Families, one workload each (seed ${SEEDS[0]})`,
    '',
    ...families.flatMap((f) => [`#### ${f.family.name}: ${f.family.description}`, '', details(f.outcomes[0])]),
    '### Reference traces (seed 1)',
    '',
    ...references.flatMap((o) => [`#### ${o.name}: ${(REFERENCE_TRACES.find((r) => r.name === o.name) as { description: string }).description}`, '', details(o)]),
    '',
    // What the figures were computed from (test/unit/generated-docs.test.ts fails once any of it changes).
    simulateSourcesLine(),
  ].join('\n');
}

async function millionMain(csv: string): Promise<void> {
  const started = process.hrtime.bigint();
  const sim = await simulate({ trace: csv, concurrency: 4 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ours = sim.runs.find((r) => r.policy === 'planner') as PolicyRun;
  process.stdout.write(`${JSON.stringify({
    tasks: sim.trace.tasks.length, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, policies: sim.runs.length,
    planner: `${(ours.total.xOracle ?? 0).toFixed(2)} × best known, ${(ours.total.xBound ?? 0).toFixed(2)} × bound, ${worstService(ours).toFixed(1)}% in target`,
  })}\n`);
}

if (require.main === module) void millionMain(process.argv[2]);
