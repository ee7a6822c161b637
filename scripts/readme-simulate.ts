// Writes README.md's `simulate` sample from a real run (`npm run docs:readme`);
// test/unit/simulate-readme.test.ts fails when the README's sample is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulationText } from '../cli/commands/simulate';
import { simulate } from '../lib/simulate';

export const README = join(__dirname, '..', 'README.md');
const BLOCK = /(<!-- simulate-sample -->\n```\n)[\s\S]*?(```\n<!-- \/simulate-sample -->)/;

/** `npx celery-autoscaler simulate --trace bursts`, as it prints. */
export const readmeSample = async (): Promise<string> => simulationText(await simulate({ trace: 'bursts' }), 'simulate-out/simulate-bursts.svg');

/** The README with its sample block replaced (the block must exist). */
export function withSample(readme: string, sample: string): string {
  if (!BLOCK.test(readme)) throw new Error('README.md has no <!-- simulate-sample --> block');
  return readme.replace(BLOCK, (_m, open: string, close: string) => `${open}${sample}${close}`);
}

if (require.main === module) {
  void readmeSample().then((sample) => {
    writeFileSync(README, withSample(readFileSync(README, 'utf8'), sample));
    process.stdout.write(`wrote the simulate sample in ${README}\n`);
  });
}
