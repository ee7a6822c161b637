import '../local/setup';
import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { putSection, stamped } from '../bench/sections';
import { stopAllTracked } from '../local/processes';
import { runSoak, soakPlan, type SoakResult } from '../local/soak';

/**
 * `npm run soak:seeds -- --count 20 [--minutes M] [--broker redis|rabbitmq]`: a benchmark, not CI. Runs the seeded fault
 * soak on `count` fresh random seeds, one after the other, and prints one row per seed (tasks sent,
 * lost, run twice, destroyed by faults, violations, wall time). Exit 1 if any seed failed, with
 * each failing seed's replay command. The soak's own log goes to stderr with `--verbose`. The
 * table is also written to the `soak-seeds` section of docs/benchmarks.md (`soak-seeds-rabbitmq` on
 * RabbitMQ; with `--no-write`, not).
 */
async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const count = Number(arg('count') ?? 20);
  const minutes = Number(arg('minutes') ?? 2);
  const verbose = process.argv.includes('--verbose');
  const broker = arg('broker') ?? 'redis';
  if (broker !== 'redis' && broker !== 'rabbitmq') throw new Error(`--broker must be redis or rabbitmq, not ${broker}`);
  if (!(Number.isInteger(count) && count > 0) || !(minutes > 0)) throw new Error('usage: npm run soak:seeds -- --count N [--minutes M] [--broker redis|rabbitmq] [--verbose]');
  const plan = soakPlan(minutes);
  process.stdout.write(`${count} soak(s) of ${minutes} min on fresh random seeds: about ${Math.round((count * plan.expectedSeconds) / 60)} min in all (each about ${plan.expectedSeconds} s, at most ${plan.maxSeconds} s, plus start and stop)\n\n`);
  const header = ['seed', 'tasks sent', 'lost', 'run twice', 'destroyed by faults', 'violations', 'wall time'];
  const widths = [11, 10, 5, 9, 19, 10, 9];
  const row = (cells: (string | number)[]) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  process.stdout.write(`${row(header)}\n`);
  const failed: { seed: number; command: string; why: string }[] = [];
  const table: string[] = [];
  const results: SoakResult[] = [];
  for (let n = 0; n < count; n += 1) {
    const seed = randomInt(2 ** 31 - 1);
    const lines: string[] = [];
    const began = Date.now();
    let r: SoakResult | null = null;
    let error: string | null = null;
    try {
      r = await runSoak({ minutes, seed, broker, log: (l) => (verbose ? process.stderr.write(`${l}\n`) : lines.push(l)) });
    } catch (e) {
      error = (e as Error).message;
    }
    const wall = `${Math.round((Date.now() - began) / 1000)} s`;
    if (!r) {
      process.stdout.write(`${row([seed, '—', '—', '—', '—', 'error', wall])}\n`);
      table.push(`| ${seed} | — | — | — | — | the soak failed to run | ${wall} |`);
      failed.push({ seed, command: `npm run soak -- --minutes ${minutes} --seed ${seed}${broker === 'redis' ? '' : ` --broker ${broker}`}`, why: `the soak failed to run: ${error}` });
      continue;
    }
    results.push(r);
    const destroyed = Object.values(r.tasks.lostToFault).reduce((a, k) => a + k.length, 0);
    process.stdout.write(`${row([seed, r.tasks.sent, r.tasks.lost.length, r.tasks.runTwice.length, destroyed, r.violations.length, wall])}\n`);
    table.push(`| ${seed} | ${r.tasks.sent} | ${r.tasks.lost.length} | ${r.tasks.runTwice.length} | ${destroyed} | ${r.violations.length} | ${wall} |`);
    if (r.violations.length > 0) {
      failed.push({ seed, command: r.command, why: [...new Set(r.violations.map((v) => v.invariant))].join('; ') });
      // The whole log of a failing seed: its replay may not hit the same race.
      if (!verbose) process.stderr.write(`--- seed ${seed} log ---\n${lines.join('\n')}\n--- end of seed ${seed} ---\n`);
    }
  }
  const ok = count - failed.length;
  process.stdout.write(`\n${ok} of ${count} seed(s) held every invariant.\n`);
  for (const f of failed) process.stdout.write(`FAILED seed ${f.seed} (${f.why}). Replay: ${f.command}\n`);
  if (failed.length > 0) process.exitCode = 1;
  if (process.argv.includes('--no-write')) return;
  const file = join(__dirname, '..', 'docs', 'benchmarks.md');
  const section = broker === 'redis' ? 'soak-seeds' : `soak-seeds-${broker}`;
  const body = [
    `## ${section}: the seeded fault soak${broker === 'redis' ? '' : ' on RabbitMQ'} on ${count} fresh random seeds`,
    '',
    `\`npm run soak:seeds -- --count ${count} --minutes ${minutes}${broker === 'redis' ? '' : ` --broker ${broker}`}\` (scripts/soak-seeds.ts): each seed a ${minutes}-minute soak on ${broker === 'redis' ? 'a redis-server' : 'a RabbitMQ node'} and real Celery workers (${process.env.CELERY_PYTHONPATH ? 'the release CELERY_PYTHONPATH puts first' : "Debian's Celery"}) with every fault kind, drawn by the seed (docs/reliability.md). Seeds are drawn fresh by the run: none was used to tune anything.`,
    '',
    '| seed | tasks sent | lost | run twice | destroyed by faults | violations | wall time |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...table,
    '',
    `${ok} of ${count} seeds held every invariant.${failed.map((f) => ` Seed ${f.seed} failed (${f.why}).`).join('')}`,
  ].join('\n');
  writeFileSync(file, putSection(readFileSync(file, 'utf8'), section, stamped(body)));
}

// Ctrl-C (or SIGINT from a script) stops the brokers and workers the soak started, not only Node.
process.once('SIGINT', () => { void stopAllTracked().finally(() => process.exit(130)); });
void main().catch(async (e) => { console.error(e); await stopAllTracked(); process.exit(1); });
