import '../local/setup';
import { stopAllTracked } from '../local/processes';
import { soakMarkdown, soakSection, writeReportSection } from '../local/reliability-report';
import { faultKindsFor } from '../local/faults';
import { formatSoak, runSoak, type SoakResult } from '../local/soak';

/**
 * `npm run soak -- --minutes N --seed S [--broker redis|rabbitmq] [--write-report]`: the seeded
 * fault soak, on a redis-server or a RabbitMQ node of its own (each with its own broker faults);
 * `--kinds a,b` draws only those fault kinds. Exit 1 on any
 * invariant violation, with the seed and the command that replays it. Without --seed, a random
 * seed (printed first). `--seed 1,2,3` runs one soak per seed, one after the other; with
 * --write-report their tables replace the soak section of docs/reliability.md.
 */
async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const minutes = Number(arg('minutes') ?? 2);
  const broker = arg('broker') ?? 'redis';
  if (broker !== 'redis' && broker !== 'rabbitmq') throw new Error(`--broker must be redis or rabbitmq, not ${broker}`);
  const all = faultKindsFor(broker);
  const names = arg('kinds')?.split(',');
  const unknown = (names ?? []).filter((n) => !all.some((k) => k.name === n));
  if (unknown.length > 0) throw new Error(`no fault kind ${unknown.join(', ')} on ${broker}: ${all.map((k) => k.name).join(', ')}`);
  const kinds = names ? all.filter((k) => names.includes(k.name)) : undefined;
  const seeds = (arg('seed') ?? String(Math.floor(Math.random() * 2 ** 31))).split(',').map(Number);
  if (!(minutes > 0) || !seeds.every(Number.isInteger)) throw new Error('usage: npm run soak -- --minutes N [--seed S[,S…]] [--broker redis|rabbitmq] [--kinds k1,k2] [--write-report]');
  const results: SoakResult[] = [];
  for (const seed of seeds) {
    const result = await runSoak({ minutes, seed, broker, kinds, log: (l) => process.stdout.write(`${l}\n`) });
    results.push(result);
    process.stdout.write(`${formatSoak(result)}\n`);
    if (result.violations.length > 0) {
      process.stdout.write(`\nFAILED: ${result.violations.length} invariant violation(s) with seed ${seed}. Replay: ${result.command}\n`);
      process.exitCode = 1;
    }
  }
  if (process.argv.includes('--write-report')) writeReportSection(soakSection(broker), soakMarkdown(results));
}

// Ctrl-C (or SIGINT from a script) stops the brokers and workers the soak started, not only Node.
process.once('SIGINT', () => { void stopAllTracked().finally(() => process.exit(130)); });
void main().catch(async (e) => { console.error(e); await stopAllTracked(); process.exit(1); });
