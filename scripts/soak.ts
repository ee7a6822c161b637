import '../local/setup';
import { stopAllTracked } from '../local/processes';
import { soakMarkdown, writeReportSection } from '../local/reliability-report';
import { formatSoak, runSoak } from '../local/soak';

/**
 * `npm run soak -- --minutes N --seed S [--write-report]`: the seeded fault soak. Exit 1 on any
 * invariant violation, with the seed and the command that replays it. Without --seed, a random
 * seed (printed first).
 */
async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const minutes = Number(arg('minutes') ?? 2);
  const seed = arg('seed') !== undefined ? Number(arg('seed')) : Math.floor(Math.random() * 2 ** 31);
  if (!(minutes > 0) || !Number.isInteger(seed)) throw new Error('usage: npm run soak -- --minutes N [--seed S] [--write-report]');
  const result = await runSoak({ minutes, seed, log: (l) => process.stdout.write(`${l}\n`) });
  process.stdout.write(`${formatSoak(result)}\n`);
  if (process.argv.includes('--write-report')) writeReportSection('soak', soakMarkdown([result]));
  if (result.violations.length > 0) {
    process.stdout.write(`\nFAILED: ${result.violations.length} invariant violation(s) with seed ${seed}. Replay: ${result.command}\n`);
    process.exitCode = 1;
  }
}

void main().catch(async (e) => { console.error(e); await stopAllTracked(); process.exit(1); });
