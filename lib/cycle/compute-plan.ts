import { resolveCycleSettings, type ServiceConfig } from '../config';
import type { Observation } from '../observation';
import { emptyHistory, plan, type ServiceDecision, type ServiceHistory } from '../planner';
import type { ScaleTimes } from '../state/store';
import type { Change, Measurement, PlanOutput } from './payloads';
import { all, call, type Env, type Step } from './ports';

export interface PlanReadings {
  histories: Record<string, ServiceHistory | undefined>;
  times: Record<string, ScaleTimes>;
}

/** The planner over this cycle's measurement and stored history: the changes, the holds, the new history. */
export function decide(services: Record<string, ServiceConfig>, m: Measurement, opts: { desired?: Record<string, number>; skipCooldown: boolean; dryRun: boolean }, r: PlanReadings): { output: PlanOutput; decisions: ServiceDecision[]; histories: Record<string, ServiceHistory> } {
  const histories: Record<string, ServiceHistory> = {};
  for (const n of Object.keys(services)) histories[n] = { ...(r.histories[n] ?? emptyHistory()), ...r.times[n] };
  const observation: Observation = { at: m.cycle.at, services: m.services };
  const result = plan(services, observation, histories, m.cycle.at, { desired: opts.desired, skipCooldown: opts.skipCooldown });
  const changes: Change[] = result.changes
    .filter((c) => c.direction !== 'none' && c.to !== c.from)
    .map((c) => ({ service: c.service, from: c.from, to: c.to, direction: c.direction as 'up' | 'down', reason: c.reason, perWorkerPerMinute: Math.round(c.mu * 100) / 100 }));
  return {
    output: { cycle: m.cycle, dryRun: opts.dryRun, skipCooldown: opts.skipCooldown, changes, holds: result.holds, ...(m.recovered ? { recovered: m.recovered } : {}) },
    decisions: result.decisions,
    histories: result.histories,
  };
}

/**
 * ComputePlan, with every service's numbers (the `plan` command prints them). History is saved
 * on real runs only: a dry run changes nothing, not even the rates.
 */
export function* planCycle(env: Env, m: Measurement): Step<{ output: PlanOutput; decisions: ServiceDecision[] }> {
  const settings = resolveCycleSettings(env.config, m.input);
  const names = Object.keys(settings.services);
  const [histories, times] = yield* all<[Record<string, ServiceHistory | undefined>, Record<string, ScaleTimes>]>([env.history.loadHistories<ServiceHistory>(names), env.history.scaleTimes(names)]);
  const out = decide(settings.services, m, settings, { histories, times });
  if (!settings.dryRun) yield* call(env.history.saveHistories(out.histories));
  return { output: out.output, decisions: out.decisions };
}

/** ComputePlan: the state's output is the plan alone, small enough to read in the console. */
export function* computePlan(env: Env, m: Measurement): Step<PlanOutput> {
  return (yield* planCycle(env, m)).output;
}
