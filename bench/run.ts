import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../test/support/setup';
import { measureBench } from './measure';

// Each benchmark exports run(): a markdown section. Goals live here, never in timed tests.
type Section = { name: string; run: () => Promise<string> };
const sections: Section[] = [{ name: 'measure', run: measureBench }];

async function main(): Promise<void> {
  const only = process.argv[2];
  const parts: string[] = [`# Benchmarks\n\nRun with \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (node ${process.version}).\n`];
  for (const s of sections) {
    if (only && s.name !== only) continue;
    process.stderr.write(`bench: ${s.name}…\n`);
    parts.push(await s.run());
  }
  const out = parts.join('\n');
  mkdirSync(join(__dirname, '..', 'docs'), { recursive: true });
  writeFileSync(join(__dirname, '..', 'docs', 'benchmarks.md'), out);
  process.stdout.write(out);
}

void main().catch((e) => { console.error(e); process.exit(1); });
