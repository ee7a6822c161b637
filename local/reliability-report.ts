import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_KINDS } from './faults';
import type { SoakResult } from './soak';

export const RELIABILITY_MD = join(__dirname, '..', 'docs', 'reliability.md');

/**
 * docs/reliability.md has one section per source (the end-to-end scenarios, the soak), each
 * between `<!-- name:start -->` and `<!-- name:end -->`: each source rewrites its own and keeps the others.
 */
export function writeReportSection(name: string, markdown: string, file = RELIABILITY_MD): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability report\n';
  const at = text.indexOf(start);
  const next = at >= 0 ? `${text.slice(0, at)}${block}${text.slice(text.indexOf(end) + end.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

/** The soak's section: one table per fault kind, then the run's totals and its invariant violations. */
export function soakMarkdown(runs: SoakResult[]): string {
  const day = new Date().toISOString().slice(0, 10);
  const out = [
    '## Seeded fault soak',
    '',
    `Written by \`npm run soak -- --minutes N --seed S --write-report\` on ${day}: ${runs.map((r) => `seed ${r.seed} (${r.minutes} min)`).join(', ')}. ` +
      'The local stack (a real redis-server, real Celery workers as the ECS emulator\'s tasks, the real state machine every 2 s, overlapping as the schedule does) runs waves of load while faults drawn from the seed hit it; the invariants of issue 12 are checked every cycle and at the end. The same command replays a run. Faults and invariants: `local/faults.ts`, `local/invariants.ts`.',
    '',
  ];
  for (const kind of FAULT_KINDS) {
    out.push(`### ${kind.name}: ${kind.title}`, '', '| seed | injected | landed | tasks destroyed by the fault itself | violations after it | what it did (first 3) |', '|---:|---:|---:|---:|---:|---|');
    for (const r of runs) {
      const f = r.faults[kind.name];
      if (!f) continue;
      out.push(`| ${r.seed} | ${f.injected} | ${f.landed} | ${f.destroyed} | ${f.violations} | ${f.details.slice(0, 3).join('; ').replace(/\|/g, '/') || '—'} |`);
    }
    out.push('');
  }
  out.push('### Totals', '', '| seed | min | executions (failed) | tasks sent | completed | lost | run twice | destroyed by faults | waiting in unacked | scale-ups / drained scale-downs | drain timeouts | dead cycles repaired | s to minimum | violations |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of runs) {
    const destroyed = Object.values(r.tasks.lostToFault).reduce((a, k) => a + k.length, 0);
    const v = r.violations.length === 0 ? '0' : `**${r.violations.length}**: ${[...new Set(r.violations.map((x) => x.invariant))].join('; ')}`;
    out.push(`| ${r.seed} | ${r.minutes} | ${r.executions} (${r.failedExecutions}) | ${r.tasks.sent} | ${r.tasks.completed} | ${r.tasks.lost.length} | ${r.tasks.runTwice.length} | ${destroyed} | ${r.tasks.waitingInUnacked.length} | ${r.scaleUps} / ${r.drainedScaleDowns} | ${r.drainTimeouts} | ${r.recoveries} | ${r.secondsToMinimum ?? '—'} | ${v} |`);
  }
  const all = runs.flatMap((r) => r.violations.map((v) => `- seed ${r.seed}, ${v.cycle >= 0 ? `cycle ${v.cycle}` : 'at the end'}: **${v.invariant}**: ${v.detail}`));
  if (all.length > 0) out.push('', '### Violations', '', ...all.slice(0, 40));
  return out.join('\n');
}
