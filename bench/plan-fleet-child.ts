import { gunzipSync, gzipSync } from 'node:zlib';
import { resolveCycleSettings } from '../lib/config';
import { decide, planCycle } from '../lib/cycle/compute-plan';
import { measure } from '../lib/cycle/measure-queues';
import type { Measurement } from '../lib/cycle/payloads';
import { all, call, runSync, type Env, type Step } from '../lib/cycle/ports';
import type { Observation } from '../lib/observation';
import type { ServiceHistory } from '../lib/planner';
import { horizonNeed } from '../lib/planner/horizon';
import { loadSolver } from '../lib/planner/lp';
import type { ScaleTimes } from '../lib/state/store';
import { Fleet, FLEETS } from './fleet';

/**
 * ComputePlan's work at 1,000 workers × 200 task names, as on Lambda: unpack the kept observation
 * and the service's history (gzipped JSON, as lib/state/store.ts keeps them), plan, pack the new
 * history. The fleet is built and two cycles fill the history first; what is measured is the
 * time and the memory the plan itself adds. With `model`, the plan is sized by the horizon model
 * (docs/planner.md) as the simulator's `horizon` policy sizes it, and loading its solver (HiGHS,
 * WebAssembly) is measured on its own first. Prints one JSON line.
 */
const withModel = process.argv[2] === 'model';

/** planCycle (lib/cycle/compute-plan.ts) with ComputePlan's decision sized by the horizon model. */
function* planWithModel(env: Env, m: Measurement, observation: Observation): Step<unknown> {
  const settings = resolveCycleSettings(env.config, m.input);
  const names = Object.keys(settings.services);
  const [histories, times] = yield* all<[Record<string, ServiceHistory | undefined>, Record<string, ScaleTimes>]>([env.history.loadHistories<ServiceHistory>(names), env.history.scaleTimes(names)]);
  const out = decide(settings.services, m, observation, { ...settings, horizon: horizonNeed }, { histories, times });
  yield* call(env.history.saveHistories(out.histories));
  return out.output;
}

async function main(): Promise<void> {
  let solver: { ms: number; addedMB: number } | undefined;
  if (withModel) {
    global.gc?.();
    const base = process.memoryUsage().rss;
    const t = process.hrtime.bigint();
    await loadSolver();
    solver = { ms: Number(process.hrtime.bigint() - t) / 1e6, addedMB: (process.memoryUsage().rss - base) / 2 ** 20 };
  }
  const plan = (env: Env, m: Measurement, o: Observation): unknown => (withModel ? runSync(planWithModel(env, m, o)) : runSync(planCycle(env, m, o)));
  const f = new Fleet(FLEETS['one service of 1,000 workers']);
  const env = f.env();
  for (let i = 0; i < 2; i += 1) {
    const r = runSync(measure(env, {}, `warm-${i}`));
    plan(env, r.measurement, r.observation);
    f.advance(60_000);
  }
  const r = runSync(measure(env, {}, 'measured'));
  const observationZ = gzipSync(JSON.stringify(r.observation), { level: 1 });
  const historyZ = gzipSync(JSON.stringify(f.store.loadHistories(['svc0'])), { level: 1 });
  const runs: { ms: number; addedMB: number }[] = [];
  for (let i = 0; i < 5; i += 1) {
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const tick = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 1);
    const t = process.hrtime.bigint();
    const observation = JSON.parse(gunzipSync(observationZ).toString('utf8'));
    f.store.saveHistories(JSON.parse(gunzipSync(historyZ).toString('utf8')));
    plan(env, r.measurement, observation);
    gzipSync(JSON.stringify(f.store.loadHistories(['svc0'])), { level: 1 });
    peak = Math.max(peak, process.memoryUsage().rss);
    clearInterval(tick);
    runs.push({ ms: Number(process.hrtime.bigint() - t) / 1e6, addedMB: (peak - base) / 2 ** 20 });
  }
  process.stdout.write(JSON.stringify({ runs, solver, observationKB: observationZ.length / 1024, historyKB: historyZ.length / 1024, rawMB: JSON.stringify(r.observation).length / 2 ** 20 }));
}

void main();
