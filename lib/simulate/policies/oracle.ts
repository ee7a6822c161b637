import type { ServiceConfig } from '../../config';
import { startCycles, type CycleChange, type Decide } from '../cycle';
import type { SimService } from '../model';
import type { Trace } from '../trace';
import { plannerDecide } from './planner';
import { thresholdDecide } from './threshold';
import { clamp, type Policy, type SimSetup } from './types';

/**
 * How the oracle drives one service: a hindsight schedule of desired counts (one per cycle),
 * a constant fleet, or the decisions of another policy on the same cycle model (its schedule,
 * reproduced exactly: services are independent in the world and in the cycle).
 */
export type OracleChoice =
  | ({ kind: 'schedule'; desired: Int32Array } & ScheduleParams)
  | { kind: 'fixed'; workers: number }
  | { kind: 'planner' | 'threshold' };

/** One hindsight schedule family member: demand averaged over `smoothSeconds`, times `scale`. */
export interface ScheduleParams {
  smoothSeconds: number;
  scale: number;
  /** Keep a worker this long past its last need (0, or a start-up: an idle worker costs less than a new one's start-up). */
  holdSeconds: number;
  /** The demand as seen on arrival (0) or from the next cycle (the cycle's length): later demand can pack workers better. */
  seenEverySeconds: number;
}

/**
 * Slot-seconds busy in each second if every task of the service started on arrival: the
 * demand a work-conserving FIFO fleet serves. Fractional at both ends, so sub-second tasks at a
 * high rate count what they use, not a slot-second each. With `seenEverySeconds`, a task counts
 * from the first cycle after its arrival: the demand a controller without foresight could know.
 */
export function busySlots(trace: Trace, queues: string[], seconds: number, seenEverySeconds = 0): Float64Array {
  const mine = new Set(queues);
  const diff = new Float64Array(seconds + 2);
  const part = new Float64Array(seconds + 2);
  for (const t of trace.tasks) {
    if (!mine.has(t.queue)) continue;
    const seen = seenEverySeconds > 0 ? Math.ceil(t.arrival / seenEverySeconds) * seenEverySeconds : t.arrival;
    const s = Math.min(seen, seconds);
    const e = Math.min(seen + t.duration, seconds);
    const a = Math.floor(s);
    const b = Math.floor(e);
    if (a === b) {
      part[a] += e - s;
    } else {
      part[a] += a + 1 - s;
      part[b] += e - b;
      diff[a + 1] += 1;
      diff[b] -= 1;
    }
  }
  let run = 0;
  for (let j = 0; j < diff.length; j += 1) {
    run += diff[j];
    part[j] += run;
  }
  return part;
}

/**
 * Desired workers per cycle: the demand averaged over the trailing `smoothSeconds` (tasks then
 * start within about that long, so the fleet is flattened within the target's slack), in
 * workers, at its highest over the seconds the fleet of this cycle serves: from now (the
 * workers already there) until the next cycle's new workers are ready, plus `holdSeconds`.
 */
export function hindsightSchedule(busy: Float64Array, s: SimService, cycleSeconds: number, p: ScheduleParams): Int32Array {
  const c = s.worker.concurrency;
  const S = s.worker.startupSeconds;
  const n = busy.length;
  const w = Math.max(1, Math.round(p.smoothSeconds));
  const avg = new Float64Array(n);
  let sum = 0;
  for (let j = 0; j < n; j += 1) {
    sum += busy[j] - (j >= w ? busy[j - w] : 0);
    avg[j] = sum / Math.min(w, j + 1);
  }
  const cycles = Math.ceil(n / cycleSeconds) + 1;
  const out = new Int32Array(cycles);
  for (let k = 0; k < cycles; k += 1) {
    const from = k * cycleSeconds;
    const to = Math.min(n, from + cycleSeconds + S + p.holdSeconds);
    let peak = 0;
    for (let j = Math.min(from, n); j < to; j += 1) peak = Math.max(peak, avg[j]);
    out[k] = clamp(Math.ceil((p.scale * peak) / c - 1e-9), s.config.minWorkers, s.config.maxWorkers);
  }
  return out;
}

/** A schedule's Decide: at each cycle, ask for that cycle's count (the cycle drains what it removes). */
function scheduleDecide(name: string, desired: Int32Array, cycleSeconds: number, epochMs: number): Decide {
  return (observation, nowMs) => {
    const k = Math.min(desired.length - 1, Math.max(0, Math.round((nowMs - epochMs) / 1000 / cycleSeconds)));
    const obs = observation.services[name];
    const from = obs.ecs?.desired ?? obs.nodes.length;
    // Open-loop schedules can fall behind: never leave waiting tasks without a worker.
    const to = Math.max(desired[k], Object.values(obs.queues).some((q) => q > 0) ? 1 : 0);
    // μ only sets when a drain gives up on new work; the oracle knows there is none it did not plan for.
    return to === from ? [] : [{ service: name, to, direction: to > from ? 'up' : 'down', perWorkerPerMinute: Number.MAX_SAFE_INTEGER }];
  };
}

/** Cooldowns are a planner's knob, not the model's: a schedule scales when it says so. */
const noCooldowns = (cfg: ServiceConfig): ServiceConfig => ({ ...cfg, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 0 });

/** The oracle's policy for one choice per service, on the real cycle (lock, drain, ECS). */
export function oraclePolicy(setup: SimSetup, choices: Record<string, OracleChoice>, epochMs: number): Policy {
  const configs: Record<string, ServiceConfig> = {};
  const decides: Decide[] = [];
  for (const s of setup.services) {
    const choice = choices[s.name];
    const one = { [s.name]: s.config };
    configs[s.name] = choice.kind === 'schedule' ? noCooldowns(s.config) : s.config;
    if (choice.kind === 'schedule') decides.push(scheduleDecide(s.name, choice.desired, setup.cycleSeconds, epochMs));
    else if (choice.kind === 'planner') decides.push(plannerDecide(one));
    else if (choice.kind === 'threshold') decides.push(thresholdDecide(one));
  }
  return {
    name: 'oracle',
    initialWorkers: (s) => {
      const choice = choices[s.name];
      if (choice.kind === 'fixed') return choice.workers;
      return choice.kind === 'schedule' ? choice.desired[0] : s.config.minWorkers;
    },
    start: (cloud) => startCycles(cloud, configs, setup.cycleSeconds, (observation, nowMs, times) => {
      const changes: CycleChange[] = [];
      for (const d of decides) changes.push(...d(observation, nowMs, times));
      return changes;
    }),
  };
}
