import type { ServiceConfig } from '../config';
import type { Observation, ServiceObservation } from '../observation';
import { inFlightTotal, pendingTotal } from '../observation';
import { effectiveMu, emptyRates, updateRates, type RateState } from './rates';

export { completedBetween, effectiveMu, emptyRates, updateRates, type RateState } from './rates';

/** What the planner remembers between cycles (JSON, bounded: stored in Redis every cycle). */
export interface ServiceHistory {
  rates: RateState;
  /** [epoch ms, recommended workers], the stabilization window plus the entry just before it. */
  recs: [number, number][];
  /** Since when there has been no work and no arrivals (null while there is). */
  idleSince: number | null;
  lastScaleUpAt?: number;
  lastScaleDownAt?: number;
}

export const emptyHistory = (): ServiceHistory => ({ rates: emptyRates(), recs: [], idleSince: null });

export interface ServiceDecision {
  service: string;
  from: number;
  to: number;
  direction: 'up' | 'down' | 'none';
  reason: string;
  /** The numbers behind the reason. */
  work: number;
  lambda: number;
  mu: number;
  /** μ came from history (else it is the configured tasksPerWorkerPerMinute). */
  muMeasured: boolean;
  needed: number;
}

export interface PlanOptions {
  /** A desired count set by hand for this run. */
  desired?: number;
  skipCooldown?: boolean;
}

/** Arrivals below this (tasks/min) count as none, for idleness. */
const IDLE_LAMBDA = 0.01;
const ceil = (x: number): number => Math.ceil(x - 1e-9);
const round1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/**
 * Workers needed to finish `work` plus what arrives within the target, counting start-up:
 * existing workers work the whole T, added ones only T − S:
 *   N·μ·T + (N* − N)·μ·(T − S) ≥ W + λ·T,   and never fewer than ⌈λ/μ⌉.
 * With N = 0 and S = 0 this is the seed's rule ⌈W / (μ·T)⌉.
 */
export function workersNeeded(work: number, lambda: number, mu: number, targetMin: number, startupMin: number, current: number): number {
  const demand = work + lambda * targetMin;
  const keepUp = lambda < IDLE_LAMBDA ? 0 : ceil(lambda / mu);
  if (demand <= 0) return keepUp;
  const steady = ceil(demand / (mu * targetMin));
  if (steady <= current) return Math.max(steady, keepUp);
  const window = targetMin - startupMin;
  // When start-up eats the whole target, added workers still help as soon as they start.
  const added = window > 0 ? ceil((demand - current * mu * targetMin) / (mu * window)) : steady - current;
  return Math.max(current + added, keepUp);
}

export function cooldownVerdict(cfg: ServiceConfig, direction: 'up' | 'down', history: Pick<ServiceHistory, 'lastScaleUpAt' | 'lastScaleDownAt'>, now: number): { allowed: boolean; reason: string } {
  if (direction === 'up') {
    const since = history.lastScaleUpAt === undefined ? Infinity : (now - history.lastScaleUpAt) / 1000;
    const left = cfg.scaleUpCooldownSeconds - since;
    return left > 0 ? { allowed: false, reason: `scale-up cooldown: ${Math.ceil(left)} s left of ${cfg.scaleUpCooldownSeconds} s` } : { allowed: true, reason: 'no cooldown' };
  }
  const last = Math.max(history.lastScaleUpAt ?? -Infinity, history.lastScaleDownAt ?? -Infinity);
  const left = cfg.scaleDownCooldownSeconds - (now - last) / 1000;
  return left > 0 ? { allowed: false, reason: `scale-down cooldown: ${Math.ceil(left)} s left of ${cfg.scaleDownCooldownSeconds} s` } : { allowed: true, reason: 'no cooldown' };
}

export function recordScale(history: ServiceHistory, direction: 'up' | 'down', now: number): ServiceHistory {
  return direction === 'up' ? { ...history, lastScaleUpAt: now } : { ...history, lastScaleDownAt: now };
}

/** Current workers: the ECS desired count; without ECS, the nodes that answered. */
const currentWorkers = (obs: ServiceObservation): number => obs.ecs?.desired ?? obs.nodes.length;

export function planService(name: string, cfg: ServiceConfig, obs: ServiceObservation, history: ServiceHistory, now: number, opts: PlanOptions = {}): { decision: ServiceDecision; history: ServiceHistory } {
  const rates: RateState = updateRates(history.rates ?? emptyRates(), obs, now);
  const pending = pendingTotal(obs);
  const inFlight = inFlightTotal(obs);
  const work = pending + inFlight;
  const lambda = rates.lambda ?? 0;
  const { mu, measured } = effectiveMu(rates, cfg.tasksPerWorkerPerMinute);
  const from = currentWorkers(obs);
  const T = cfg.targetMinutes;
  const S = cfg.startupSeconds / 60;

  const idle = work === 0 && (rates.lastArrivalRate ?? 0) < IDLE_LAMBDA;
  const idleSince = idle ? history.idleSince ?? now : null;
  const idleFor = idleSince === null ? 0 : (now - idleSince) / 60_000;

  let needed = workersNeeded(work, idle ? 0 : lambda, mu, T, S, from);
  let why = `backlog ${work} (${pending} pending, ${inFlight} in flight), arrivals ${round1(lambda)}/min, ${round1(mu)}/min/worker${measured ? ' measured' : ''}, ${T} min target, ${round1(S)} min start-up → ${needed}`;
  if (work > 0 && needed === 0) needed = 1;
  if (idle && from > 0 && idleFor < cfg.idleMinutes) {
    needed = Math.max(needed, 1);
    why = `idle for ${round1(idleFor)} of ${cfg.idleMinutes} min → keep 1`;
  }
  const recommended = Math.min(cfg.maxWorkers, Math.max(cfg.minWorkers, needed));
  const bound = recommended !== needed ? ` (${recommended === cfg.maxWorkers ? 'max' : 'min'} ${recommended})` : '';

  // The stabilization window: recommendations within it, plus the last one before it.
  const windowStart = now - cfg.stabilizationSeconds * 1000;
  const recs: [number, number][] = [...(history.recs ?? []), [now, recommended]];
  const firstInWindow = recs.findIndex(([at]) => at >= windowStart);
  const kept = recs.slice(Math.max(0, firstInWindow - 1));
  const next: ServiceHistory = { ...history, rates, recs: kept, idleSince };

  const decide = (to: number, reason: string, direction: ServiceDecision['direction'] = to > from ? 'up' : to < from ? 'down' : 'none') => ({
    decision: { service: name, from, to, direction, reason, work, lambda, mu, muMeasured: measured, needed: recommended },
    history: next,
  });

  if (opts.desired !== undefined) {
    const to = Math.min(cfg.maxWorkers, Math.max(cfg.minWorkers, opts.desired));
    return decide(to, `set by hand to ${to} (plan would be ${recommended}: ${why}${bound})`);
  }

  if (recommended > from) {
    if (from > 0 && recommended <= from * cfg.scaleUpThreshold && from >= cfg.minWorkers) {
      return decide(from, `${why}${bound}; within scale-up threshold ×${cfg.scaleUpThreshold} of ${from}`, 'none');
    }
    const cd = opts.skipCooldown ? null : cooldownVerdict(cfg, 'up', history, now);
    if (cd && !cd.allowed && from >= cfg.minWorkers) return decide(from, `${why}${bound}; ${cd.reason}`, 'none');
    return decide(recommended, `${why} workers${bound}`);
  }

  if (recommended < from) {
    if (obs.errors.length > 0) return decide(from, `no scale-down: measurement incomplete (${obs.errors[0]})`, 'none');
    if (obs.missingNodes.length > 0) return decide(from, `no scale-down: ${obs.missingNodes.length} worker(s) did not answer (${obs.missingNodes.slice(0, 3).join(', ')})`, 'none');
    if (obs.ecs?.deploymentInProgress) return decide(from, 'no scale-down: an ECS deployment is in progress', 'none');
    if (from > cfg.maxWorkers) return decide(cfg.maxWorkers, `above maxWorkers ${cfg.maxWorkers}: ${why}${bound}`);
    const covered = kept.length > 0 && kept[0][0] <= windowStart;
    if (!covered) {
      const seen = Math.round((now - (kept[0]?.[0] ?? now)) / 1000);
      return decide(from, `${why}${bound}; scale-down waits for stabilization (${seen} s of ${cfg.stabilizationSeconds} s)`, 'none');
    }
    const stable = Math.max(...kept.filter(([at], i) => at >= windowStart || i === 0).map(([, r]) => r));
    if (stable >= from) return decide(from, `${why}${bound}; highest in the ${cfg.stabilizationSeconds} s window is ${stable}`, 'none');
    if (stable > from * cfg.scaleDownThreshold && stable > 0) {
      return decide(from, `${why}${bound}; ${stable} is above the scale-down threshold ×${cfg.scaleDownThreshold} of ${from}`, 'none');
    }
    const cd = opts.skipCooldown ? null : cooldownVerdict(cfg, 'down', history, now);
    if (cd && !cd.allowed) return decide(from, `${why}${bound}; ${cd.reason}`, 'none');
    const idleNote = stable === 0 ? `idle for ${round1(idleFor)} min → 0` : why;
    return decide(stable, `${idleNote} workers (highest in ${cfg.stabilizationSeconds} s window)${bound}`);
  }
  return decide(from, `${why}${bound}; no change`, 'none');
}

export function plan(
  services: Record<string, ServiceConfig>,
  observation: Observation,
  histories: Record<string, ServiceHistory>,
  now: number,
  opts: { desired?: Record<string, number>; skipCooldown?: boolean } = {},
): { changes: ServiceDecision[]; holds: { service: string; reason: string }[]; histories: Record<string, ServiceHistory>; decisions: ServiceDecision[] } {
  const changes: ServiceDecision[] = [];
  const decisions: ServiceDecision[] = [];
  const holds: { service: string; reason: string }[] = [];
  const out: Record<string, ServiceHistory> = {};
  for (const [name, cfg] of Object.entries(services)) {
    const obs = observation.services[name];
    if (!obs) {
      holds.push({ service: name, reason: 'not measured' });
      continue;
    }
    const { decision, history } = planService(name, cfg, obs, histories[name] ?? emptyHistory(), now, { desired: opts.desired?.[name], skipCooldown: opts.skipCooldown });
    out[name] = history;
    decisions.push(decision);
    if (decision.direction === 'none' || decision.to === decision.from) holds.push({ service: name, reason: decision.reason });
    else changes.push(decision);
  }
  return { changes, holds, histories: out, decisions };
}
