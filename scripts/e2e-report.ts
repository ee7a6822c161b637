import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../test/support/setup';
import { runDemo, type DemoOptions, type DemoSummary } from '../test/support/demo';
import { stopAllTracked } from '../test/support/processes';

/**
 * Runs the zero-loss scenarios on the local stack (real redis-server, real Celery workers,
 * the real state machine, the ECS emulator) and writes docs/reliability.md.
 */
const base: Omit<DemoOptions, 'log'> = { shortTasks: 600, longTasks: 6, cycleSeconds: 2, maxSeconds: 300 };
const scenarios: { name: string; opts: Partial<DemoOptions> }[] = [
  { name: 'flood then idle (drained scale-downs)', opts: {} },
  { name: 'ECS throttling and 5xx bursts every 3rd cycle', opts: { beforeCycle: (c, s) => { if (c % 3 === 0) { s.ecs.injectFaults({ kind: 'throttle', count: 3 }); s.ecs.injectFaults({ kind: '5xx', count: 2 }); } } } },
  { name: 'Redis restarted before cycles 4 and 9', opts: { persistentRedis: true, beforeCycle: async (c, s) => { if (c === 4 || c === 9) await s.redis.restart(); } } },
  { name: 'two overlapping executions every tick', opts: { overlapping: true } },
];

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const sc of scenarios) {
    process.stderr.write(`e2e: ${sc.name}…\n`);
    const t = Date.now();
    const s: DemoSummary = await runDemo({ ...base, ...sc.opts, log: (l) => process.stderr.write(`  ${l.slice(0, 160)}\n`) });
    const ok = s.lost === 0 && s.runTwice === 0 && s.completed === s.sent && s.secondsToMinimum !== null;
    rows.push(`| ${sc.name} | ${s.cycles} (${s.failedCycles} failed) | ${s.sent} | ${s.lost} | ${s.runTwice} | ${s.scaleUps} / ${s.drains} | ${s.peakWorkers} | ${s.secondsToMinimum ?? '—'} | ${Math.round((Date.now() - t) / 1000)} | ${ok ? 'pass' : 'FAIL'} |`);
  }
  const out = [
    '# Reliability report',
    '',
    `Written by \`npm run e2e:report\` on ${new Date().toISOString().slice(0, 10)}: each scenario floods two services (${base.shortTasks} short tasks on two queues, ${base.longTasks} long ones of 5–14 s) on the local stack and runs the real state machine every ${base.cycleSeconds} s until every task is done and the fleet is back at its minimum. Every task counts its completions in Redis, so lost and duplicated are exact.`,
    '',
    '| scenario | cycles | tasks | lost | duplicated | scale-ups / drained scale-downs | peak workers | s to minimum | s | result |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    'Failed cycles are expected where a fault is injected (a cycle whose broker is down fails, scaling nothing); the next cycle recovers.',
    '',
  ].join('\n');
  writeFileSync(join(__dirname, '..', 'docs', 'reliability.md'), out);
  process.stdout.write(out);
}

void main().catch(async (e) => { console.error(e); await stopAllTracked(); process.exit(1); });
