import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { chartOf, GOAL, goalVerdict, parsePolicies, policyRows, REFERENCE_TRACES, simulate, TABLE_HEAD, UnknownServiceError, UnknownTraceError, verdictLine, WORKLOAD_FAMILIES, type Simulation } from '../../lib/simulate';
import type { GoalVerdict } from '../../lib/simulate/report';
import { policyLabel } from '../../lib/simulate/report';
import { loadConfigFlag } from '../config-file';
import { numberFlag } from '../flags';
import { table } from '../format';
import { UsageError } from '../usage';

interface Options {
  trace?: string;
  config?: string;
  service?: string;
  policies?: string;
  seed: number;
  out: string;
  json?: boolean;
  list?: boolean;
  goal?: boolean;
  concurrency?: number;
  prefetch?: number;
  acksLate?: boolean;
}

const seed = numberFlag({ int: true, min: 0, max: 2 ** 32 - 1 });
// A worker with no slot, or no prefetch, runs nothing (paid/busy would be Infinity).
const atLeastOne = numberFlag({ int: true, min: 1, max: 10_000 });
const policies = (v: string) => {
  try {
    parsePolicies(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return v;
};

function listTraces(): void {
  const all = [...REFERENCE_TRACES, ...WORKLOAD_FAMILIES];
  const w = all.reduce((a, t) => Math.max(a, t.name.length), 0);
  for (const t of REFERENCE_TRACES) process.stdout.write(`${t.name.padEnd(w)}  ${t.description}\n`);
  process.stdout.write('\nworkload families (a different workload per --seed):\n');
  for (const t of WORKLOAD_FAMILIES) process.stdout.write(`${t.name.padEnd(w)}  ${t.description}\n`);
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('replay a workload through this planner and the baselines (fixed fleet, threshold rule, KEDA, AWS target tracking): cost, waits, a chart')
    .option('-t, --trace <name|file.csv>', 'a reference trace or workload family (see --list), or a CSV of arrival_s,queue,duration_s')
    .option('-c, --config <file>', 'take the services (queues, bounds, μ, target, start-up, knobs) from this autoscaler config')
    .option('-s, --service <name>', 'simulate only this service')
    .option('-p, --policies <list>', 'comma-separated: planner,horizon,fixed,threshold,keda,aws,oracle (default: all but horizon, the planner in development; the hindsight search always runs, every cost is shown × its cost, the best known, and × the certified lower bound)', policies)
    .option('--seed <n>', 'seed of a reference trace or workload family', seed, 1)
    .option('--concurrency <n>', 'with a CSV or --config: worker concurrency (default: what makes the configured μ match the trace\'s durations, or 1 without a config); a reference trace keeps its own', atLeastOne)
    .option('--prefetch <n>', 'with a CSV or --config: worker_prefetch_multiplier (default 1)', atLeastOne)
    .option('--acks-late', 'with a CSV or --config: workers use task_acks_late (a started task stays unacked)')
    .option('-o, --out <dir>', 'where to write the chart', 'simulate-out')
    .option('--json', 'print the results as JSON')
    .option('--list', 'list the reference traces')
    .option('--goal', `also print the project's own goal verdict (× best known ≤ ${GOAL.xOracle.toFixed(2)}, in target, never dearer than a baseline that meets it, no more reversals than the best known)`)
    .addHelpText('after', `
Prints, per service, one row per policy: paid worker-minutes, over the best known schedule's
(the cheapest the hindsight search found) and over the certified lower bound (an LP no schedule
starting ≥ 99% within the target can pay less than), busy worker-minutes, paid/busy (1.0 is the
physical limit), the share of tasks started within the target, p95 and max wait, scale actions,
tasks interrupted by an ECS scale-in, and tasks completed; then writes an SVG of the tasks
waiting and the workers paid over time, one panel per policy.

Examples:
  npx celery-autoscaler simulate --list
  npx celery-autoscaler simulate --trace flood
  npx celery-autoscaler simulate --trace my-export.csv --config autoscaler.config.yml --service default`)
    .action(async (o: Options) => {
      if (o.list) return listTraces();
      if (!o.trace) throw new UsageError('--trace', 'is required: a reference trace or workload family (--list shows them) or a CSV file');
      const config = o.config ? { config: loadConfigFlag(o.config), source: o.config } : undefined;
      outputDir(o.out); // before the work: a place that cannot hold the chart is said at once
      const sim = await asUsage(() => simulate({
        trace: o.trace as string, config, service: o.service, seed: o.seed, policies: o.policies ? parsePolicies(o.policies) : undefined,
        concurrency: o.concurrency, prefetchMultiplier: o.prefetch, acksLate: o.acksLate,
      }));
      const chart = join(o.out, `simulate-${sim.trace.name}.svg`);
      writeFileSync(chart, chartOf(sim, (r) => policyLabel(r)));
      const verdict = goalVerdict(sim.runs);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({
          trace: { name: sim.trace.name, tasks: sim.trace.tasks.length, horizonSeconds: sim.trace.horizonSeconds },
          services: Object.fromEntries(sim.setup.services.map((s) => [s.name, { queues: s.config.queues, tasksPerWorkerPerMinute: s.config.tasksPerWorkerPerMinute, targetMinutes: s.config.targetMinutes, startupSeconds: s.config.startupSeconds, minWorkers: s.config.minWorkers, maxWorkers: s.config.maxWorkers, worker: s.worker }])),
          results: sim.runs.map((r) => ({ policy: r.policy, ...(r.fleet ? { fleet: r.fleet } : {}), total: r.total, byService: r.byService })),
          ...(o.goal ? { goal: verdict } : {}),
          chart,
        }, null, 2)}\n`);
        return;
      }
      process.stdout.write(simulationText(sim, chart, o.goal ? verdict : null));
    });
}

/** What `simulate` prints: a table per service (and for all of them), the goal only when asked. The README's sample is this text. */
export function simulationText(sim: Simulation, chart: string, verdict: GoalVerdict | null = null): string {
  const out = [`${sim.trace.name}: ${sim.trace.tasks.length.toLocaleString('en-US')} tasks over ${(sim.trace.horizonSeconds / 3600).toFixed(1)} h\n`];
  for (const s of sim.setup.services) {
    const c = s.config;
    out.push(`\n${s.name} (${c.queues.join(', ')}): ${c.tasksPerWorkerPerMinute}/min/worker, concurrency ${s.worker.concurrency}, prefetch ${s.worker.prefetchMultiplier}${s.worker.acksLate ? ', acks_late' : ''}, target ${c.targetMinutes} min, start-up ${c.startupSeconds} s, ${c.minWorkers}–${c.maxWorkers} workers\n`);
    out.push(table(TABLE_HEAD, policyRows(sim.runs, s.name)));
  }
  if (sim.setup.services.length > 1) out.push('\nall services\n', table(TABLE_HEAD, policyRows(sim.runs, null)));
  if (verdict) out.push(`\n${verdictLine(verdict)}\n`);
  out.push(`\nchart: ${chart}\n`);
  return out.join('');
}

/**
 * Creates `--out` one level at a time (Node's recursive mkdir loops forever under /proc) and says
 * which part cannot be made.
 */
function outputDir(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
    at = dirname(at);
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new UsageError('--out', `${dir}: ${at} is not a directory`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new UsageError('--out', `${dir}: cannot create ${d} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
}

/** A trace or service that does not exist is the flag's mistake: said naming it. */
async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UnknownTraceError) throw new UsageError('--trace', `: ${e.message}`);
    if (e instanceof UnknownServiceError) throw new UsageError('--service', `: ${e.message}`);
    throw e;
  }
}
