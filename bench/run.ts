import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../local/setup';
import { cliBench } from './cli';
import { ecsCallsBench } from './ecs-calls';
import { lambdaBench } from './lambda';
import { measureBench } from './measure';
import { measureFleetBench } from './measure-fleet';
import { measureRabbitmqBench } from './measure-rabbitmq';
import { payloadBench } from './payloads';
import { planFleetBench } from './plan-fleet';
import { putSection, stamped } from './sections';
import { simulateBench } from './simulate';

// Each benchmark exports run(): a markdown section. Goals live here, never in timed tests.
type Section = { name: string; run: () => Promise<string> };
const sections: Section[] = [
  { name: 'measure', run: measureBench },
  { name: 'measure-rabbitmq', run: measureRabbitmqBench },
  { name: 'measure-fleet', run: measureFleetBench },
  { name: 'cli', run: cliBench },
  { name: 'lambda', run: lambdaBench },
  { name: 'simulate', run: simulateBench },
  { name: 'payloads', run: payloadBench },
  { name: 'plan-fleet', run: planFleetBench },
  { name: 'ecs-calls', run: ecsCallsBench },
];

const FILE = join(__dirname, '..', 'docs', 'benchmarks.md');
const HEADER = '# Benchmarks\n\nWritten by `npm run bench` (every section) or `npx tsx bench/run.ts <section>` (one; the others stay as they were).\n';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !sections.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')} (sections: ${sections.map((s) => s.name).join(', ')})`);
  let doc = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  for (const s of sections) {
    if (only.length > 0 && !only.includes(s.name)) continue;
    process.stderr.write(`bench: ${s.name}…\n`);
    const body = await s.run();
    doc = putSection(doc, s.name, stamped(body));
    mkdirSync(join(__dirname, '..', 'docs'), { recursive: true });
    writeFileSync(FILE, doc);
  }
  process.stdout.write(doc);
}

if (require.main === module) void main().catch((e) => { console.error(e); process.exit(1); });
