import { resolveCycleSettings } from '../config';
import type { Observation } from '../observation';
import { emptyHistory, plan, type ServiceDecision, type ServiceHistory } from '../planner';
import type { Runtime } from '../runtime';
import type { Change, Measurement, PlanOutput } from './payloads';

/**
 * The planner over this cycle's measurement and the stored history, with every service's
 * numbers (the `plan` command prints them). History is saved on real runs only: a dry run
 * changes nothing, not even the EWMAs.
 */
export async function planCycle(rt: Runtime, m: Measurement): Promise<{ output: PlanOutput; decisions: ServiceDecision[] }> {
  const settings = resolveCycleSettings(rt.config, m.input);
  const names = Object.keys(settings.services);
  const [stored, times] = await Promise.all([rt.state.loadHistories<ServiceHistory>(names), rt.state.scaleTimes(names)]);
  const histories: Record<string, ServiceHistory> = {};
  for (const n of names) histories[n] = { ...(stored[n] ?? emptyHistory()), ...times[n] };
  const observation: Observation = { at: m.cycle.at, services: m.services };
  const result = plan(settings.services, observation, histories, m.cycle.at, { desired: settings.desired, skipCooldown: settings.skipCooldown });
  if (!settings.dryRun) await rt.state.saveHistories(result.histories);
  const changes: Change[] = result.changes
    .filter((c) => c.direction !== 'none' && c.to !== c.from)
    .map((c) => ({ service: c.service, from: c.from, to: c.to, direction: c.direction as 'up' | 'down', reason: c.reason, perWorkerPerMinute: Math.round(c.mu * 100) / 100 }));
  return { output: { cycle: m.cycle, dryRun: settings.dryRun, skipCooldown: settings.skipCooldown, changes, holds: result.holds, ...(m.recovered ? { recovered: m.recovered } : {}) }, decisions: result.decisions };
}

/** ComputePlan: the state's output is the plan alone, small enough to read in the console. */
export async function computePlan(rt: Runtime, m: Measurement): Promise<PlanOutput> {
  return (await planCycle(rt, m)).output;
}
