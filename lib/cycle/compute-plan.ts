import { resolveCycleSettings, type ServiceConfig } from '../config';
import { MeasurementLostError } from '../errors';
import type { Observation } from '../observation';
import { emptyHistory, plan, type ServiceDecision, type ServiceHistory } from '../planner';
import type { HorizonSizing } from '../planner/horizon';
import type { ScaleTimes } from '../state/store';
import type { Change, Cycle, Measurement, PlanOutput } from './payloads';
import { OBSERVATION_TTL_MS } from './measure-queues';
import { all, call, type Env, type Step } from './ports';
import { clip } from './sizes';

export interface PlanReadings {
  histories: Record<string, ServiceHistory | undefined>;
  times: Record<string, ScaleTimes>;
}

/** The planner over this cycle's observation and stored history: the changes, the holds, the new history. */
export function decide(services: Record<string, ServiceConfig>, m: Pick<Measurement, 'cycle' | 'recovered'>, observation: Observation, opts: { desired?: Record<string, number>; skipCooldown: boolean; dryRun: boolean; horizon?: HorizonSizing }, r: PlanReadings): { output: PlanOutput; decisions: ServiceDecision[]; histories: Record<string, ServiceHistory> } {
  const histories: Record<string, ServiceHistory> = {};
  for (const n of Object.keys(services)) histories[n] = { ...(r.histories[n] ?? emptyHistory()), ...r.times[n] };
  const result = plan(services, observation, histories, m.cycle.at, { desired: opts.desired, skipCooldown: opts.skipCooldown, horizon: opts.horizon });
  const changes: Change[] = result.changes
    .filter((c) => c.direction !== 'none' && c.to !== c.from)
    .map((c) => ({ service: c.service, from: c.from, to: c.to, direction: c.direction as 'up' | 'down', reason: clip(c.reason), perWorkerPerMinute: Math.round(c.mu * 100) / 100 }));
  const holds = result.holds.map((h) => ({ service: h.service, reason: clip(h.reason) }));
  return {
    output: { cycle: m.cycle, dryRun: opts.dryRun, skipCooldown: opts.skipCooldown, changes, holds, ...(m.recovered ? { recovered: m.recovered } : {}) },
    decisions: result.decisions,
    histories: result.histories,
  };
}

/**
 * The plan with every service's numbers (the `plan` command prints them), over an observation in
 * hand. History is saved on real runs only: a dry run changes nothing, not even the rates.
 */
export function* planCycle(env: Env, m: Pick<Measurement, 'cycle' | 'input' | 'recovered'>, observation: Observation): Step<{ output: PlanOutput; decisions: ServiceDecision[] }> {
  const settings = resolveCycleSettings(env.config, m.input);
  const names = Object.keys(settings.services);
  const [histories, times] = yield* all<[Record<string, ServiceHistory | undefined>, Record<string, ScaleTimes>]>([env.history.loadHistories<ServiceHistory>(names), env.history.scaleTimes(names)]);
  const out = decide(settings.services, m, observation, settings, { histories, times });
  if (!settings.dryRun) yield* call(env.history.saveHistories(out.histories));
  return { output: out.output, decisions: out.decisions };
}

/** The observation MeasureQueues kept for this execution; without it nothing is planned. */
export function* observationOf(env: Env, cycle: Cycle): Step<Observation> {
  const observation = yield* call(env.history.observation(cycle.execution));
  if (!observation) throw new MeasurementLostError(`the measurement of ${cycle.execution} is no longer in the autoscaler's state (the broker lost its data, or ComputePlan ran more than ${OBSERVATION_TTL_MS / 60_000} minutes after MeasureQueues): nothing is scaled; the next cycle measures again`);
  return observation;
}

/** ComputePlan: reads the cycle's observation from the store; its output is the plan alone. */
export function* computePlan(env: Env, m: Measurement): Step<PlanOutput> {
  return (yield* planCycle(env, m, yield* observationOf(env, m.cycle))).output;
}
