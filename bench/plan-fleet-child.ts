import { gunzipSync, gzipSync } from 'node:zlib';
import { planCycle } from '../lib/cycle/compute-plan';
import { measure } from '../lib/cycle/measure-queues';
import { runSync } from '../lib/cycle/ports';
import { Fleet, FLEETS } from './fleet';

/**
 * ComputePlan's work at 1,000 workers × 200 task names, as on Lambda: unpack the kept observation
 * and the service's history (gzipped JSON, as lib/state/store.ts keeps them), plan, pack the new
 * history. The fleet is built and two cycles fill the history first; what is measured is the
 * time and the memory the plan itself adds. Prints one JSON line.
 */
const f = new Fleet(FLEETS['one service of 1,000 workers']);
const env = f.env();
for (let i = 0; i < 2; i += 1) {
  const r = runSync(measure(env, {}, `warm-${i}`));
  runSync(planCycle(env, r.measurement, r.observation));
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
  runSync(planCycle(env, r.measurement, observation));
  gzipSync(JSON.stringify(f.store.loadHistories(['svc0'])), { level: 1 });
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(tick);
  runs.push({ ms: Number(process.hrtime.bigint() - t) / 1e6, addedMB: (peak - base) / 2 ** 20 });
}
process.stdout.write(JSON.stringify({ runs, observationKB: observationZ.length / 1024, historyKB: historyZ.length / 1024, rawMB: JSON.stringify(r.observation).length / 2 ** 20 }));
