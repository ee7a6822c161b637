import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';

const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface ChildResult { runs: { ms: number; addedMB: number }[]; solver?: { ms: number; addedMB: number }; observationKB: number; historyKB: number; rawMB: number }

/**
 * ComputePlan at 1,000 workers × 200 task names: time and memory, bundled like the Lambda, heap
 * capped at 200 MB; once with this planner and once with the horizon model, whose solver (the
 * `highs` package: a WebAssembly file beside its loader) is left out of the bundle and loaded from
 * node_modules, as a Lambda would ship it beside the bundle.
 */
export async function planFleetBench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'plan-fleet-'));
  try {
    const out = join(dir, 'plan-fleet-child.js');
    buildSync({ entryPoints: [join(__dirname, 'plan-fleet-child.ts')], bundle: true, platform: 'node', target: 'node20', outfile: out, logLevel: 'error', external: ['@aws-sdk/*', 'highs'] });
    const child = async (arg: string): Promise<ChildResult> => {
      const { stdout } = await run(process.execPath, ['--expose-gc', '--max-old-space-size=200', out, arg], { maxBuffer: 1 << 24, env: { ...process.env, NODE_PATH: join(__dirname, '..', 'node_modules') } });
      return JSON.parse(stdout) as ChildResult;
    };
    const rules = await child('rules');
    const model = await child('model');
    const row = (name: string, r: ChildResult) => `| ${name} | ${r.rawMB.toFixed(1)} MB → ${r.observationKB.toFixed(0)} KB | ${r.historyKB.toFixed(0)} KB | ${median(r.runs.map((x) => x.ms)).toFixed(0)} | ${Math.max(...r.runs.map((x) => x.ms)).toFixed(0)} | ${median(r.runs.map((x) => x.addedMB)).toFixed(0)} MB | ${Math.max(...r.runs.map((x) => x.addedMB)).toFixed(0)} MB |`;
    const solver = model.solver as { ms: number; addedMB: number };
    return [
      '## ComputePlan at 1,000 workers × 200 task names',
      '',
      'What ComputePlan does on Lambda for one service of 1,000 workers whose every worker has run 200 task names of 60 characters (`bench/plan-fleet-child.ts`, bundled with esbuild and run with the heap capped at 200 MB): read the observation MeasureQueues kept and the service\'s history from the state store (gzipped JSON), plan, write the history back. Five runs after two cycles of warm-up. The second row sizes the plan with the horizon model (docs/planner.md), which is not the deployed sizing yet: the figure its switch would change.',
      '',
      '| sizing | observation (JSON → stored) | history stored | median ms | max ms | median added RSS | max added RSS |',
      '|---|---:|---:|---:|---:|---:|---:|',
      row('this planner', rules),
      row('the horizon model', model),
      '',
      `Loading the model's solver (HiGHS compiled to WebAssembly, the \`highs\` package) took ${solver.ms.toFixed(0)} ms and ${solver.addedMB.toFixed(0)} MB of RSS, once per Lambda container: a cold start's cost, not a cycle's.`,
      '',
      'serverless.yml gives ComputePlan 512 MB from this: the plan adds the figure above to a Lambda runtime\'s own ~70 MB, and more memory buys CPU for the JSON work.',
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
