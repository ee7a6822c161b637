import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';

const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ComputePlan at 1,000 workers × 200 task names: time and memory, bundled like the Lambda, heap capped at 200 MB. */
export async function planFleetBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'plan-fleet-'));
  try {
    const out = join(dir, 'plan-fleet-child.js');
    buildSync({ entryPoints: [join(__dirname, 'plan-fleet-child.ts')], bundle: true, platform: 'node', target: 'node20', outfile: out, logLevel: 'error', external: ['@aws-sdk/*'] });
    const { stdout } = await run(process.execPath, ['--expose-gc', '--max-old-space-size=200', out], { maxBuffer: 1 << 24 });
    const r = JSON.parse(stdout) as { runs: { ms: number; addedMB: number }[]; observationKB: number; historyKB: number; rawMB: number };
    return [
      '## ComputePlan at 1,000 workers × 200 task names',
      '',
      'What ComputePlan does on Lambda for one service of 1,000 workers whose every worker has run 200 task names of 60 characters (`bench/plan-fleet-child.ts`, bundled with esbuild and run with the heap capped at 200 MB): read the observation MeasureQueues kept and the service\'s history from the state store (gzipped JSON), plan, write the history back. Five runs after two cycles of warm-up.',
      '',
      '| observation (JSON → stored) | history stored | median ms | max ms | median added RSS | max added RSS |',
      '|---:|---:|---:|---:|---:|---:|',
      `| ${r.rawMB.toFixed(1)} MB → ${r.observationKB.toFixed(0)} KB | ${r.historyKB.toFixed(0)} KB | ${median(r.runs.map((x) => x.ms)).toFixed(0)} | ${Math.max(...r.runs.map((x) => x.ms)).toFixed(0)} | ${median(r.runs.map((x) => x.addedMB)).toFixed(0)} MB | ${Math.max(...r.runs.map((x) => x.addedMB)).toFixed(0)} MB |`,
      '',
      'serverless.yml gives ComputePlan 512 MB from this: the plan adds the figure above to a Lambda runtime\'s own ~70 MB, and more memory buys CPU for the JSON work.',
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
