import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { AutoscalerConfig } from '../config';
import { AutoscalerError } from '../errors';
import { loadBoundSolver } from './bound';
import { renderChart } from './chart';
import type { PolicyName, SimSetup } from './policies/types';
import { buildReference, findReferenceTrace, referenceTraceNames } from './reference';
import { ALL_POLICIES, POLICY_NAMES, simulateTrace, type PolicyRun } from './run';
import { defaultSetup, onlyService, setupFromConfig, UnknownServiceError, type WorkerOptions } from './setup';
import { buildFamily, familyNames, findFamily } from './families';
import { readTraceCsv, traceFromTasks, type Trace } from './trace';

export { REFERENCE_TRACES } from './reference';
export { loadBoundSolver } from './bound';
export { WORKLOAD_FAMILIES } from './families';
export { GOAL, goalVerdict, policyRows, TABLE_HEAD, verdictLine } from './report';
export { POLICY_LABELS, POLICY_NAMES, type PolicyRun } from './run';

/** The trace asked for is no reference trace, family or file. */
export class UnknownTraceError extends AutoscalerError {}
export { UnknownServiceError } from './setup';

export interface SimulateRequest extends WorkerOptions {
  /** A reference trace's or a workload family's name, or a CSV file. */
  trace: string;
  config?: { config: AutoscalerConfig; source: string };
  service?: string;
  policies?: PolicyName[];
  seed?: number;
}

export interface Simulation {
  trace: Trace;
  setup: SimSetup;
  runs: PolicyRun[];
}

export function parsePolicies(list: string): PolicyName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(ALL_POLICIES as string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new AutoscalerError(`unknown polic${bad.length === 1 ? 'y' : 'ies'} ${bad.map((b) => `"${b}"`).join(', ') || '(none given)'}: choose from ${ALL_POLICIES.join(', ')}`);
  return names as PolicyName[];
}

/** The trace and its services: a reference trace (seeded) or a user's CSV, with a config's services when given. */
export function loadSimulation(req: SimulateRequest): { trace: Trace; setup: SimSetup } {
  const ref = findReferenceTrace(req.trace);
  const family = findFamily(req.trace);
  let trace: Trace;
  let setup: SimSetup;
  if (ref || family) {
    const built = ref ? buildReference(ref, req.seed ?? 1) : buildFamily(family as NonNullable<typeof family>, req.seed ?? 1);
    trace = built.trace;
    setup = req.config ? setupFromConfig(req.config.config, trace.tasks, req.config.source, req) : built.setup;
  } else if (existsSync(req.trace)) {
    const tasks = readTraceCsv(req.trace);
    trace = traceFromTasks(basename(req.trace, extname(req.trace)), tasks);
    setup = req.config ? setupFromConfig(req.config.config, tasks, req.config.source, req) : defaultSetup(tasks, req);
  } else {
    throw new UnknownTraceError(`no reference trace, workload family or file "${req.trace}" (reference traces: ${referenceTraceNames().join(', ')}; families: ${familyNames().join(', ')})`);
  }
  if (req.service) {
    const one = onlyService(setup, trace.tasks, req.service);
    return { trace: { ...trace, tasks: one.tasks }, setup: one.setup };
  }
  return { trace, setup };
}

/** Runs every policy on the trace; asynchronous only to load the bound's LP solver (WebAssembly). */
export async function simulate(req: SimulateRequest): Promise<Simulation> {
  await loadBoundSolver();
  const { trace, setup } = loadSimulation(req);
  if (trace.tasks.length === 0) throw new UnknownServiceError(`the trace has no task for service ${req.service}`);
  return { trace, setup, runs: simulateTrace(trace, setup, req.policies ?? POLICY_NAMES) };
}

/** The chart of a simulation: every service added up, one panel per policy. */
export function chartOf(sim: Simulation, labels: (run: PolicyRun) => string): string {
  const targets = [...new Set(sim.setup.services.map((s) => s.config.targetMinutes))];
  return renderChart(
    sim.runs.map((r) => ({ label: labels(r), samples: r.world.samples, metrics: r.total, endedAt: r.world.end > sim.trace.horizonSeconds * 1.001 ? r.world.end : undefined })),
    { title: `${sim.trace.name}: ${sim.trace.tasks.length.toLocaleString('en-US')} tasks — tasks waiting and workers paid, per policy`, horizonSeconds: sim.trace.horizonSeconds, targetLabel: targets.length === 1 ? `${targets[0]} min` : 'their targets' },
  );
}
