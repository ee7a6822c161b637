import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultKindsFor } from './faults';
import type { SoakBroker, SoakResult } from './soak';

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

/** How to read the soak's tables: what counts as the fault's own loss, and the known gaps. */
const SOAK_NOTES = [
  '**Reading the tables.** *Tasks destroyed by the fault itself* are the tasks a SIGKILLed (or frozen, then health-check-killed) worker had taken last and never finished, taken from the fixture\'s record of the worker that took each task (written in the worker\'s main process when the message arrives, before Celery can acknowledge it on start), so a task that started after the kill, on another worker, is never counted; the messages a Redis restarted without its data held; and a message a broker stop or a kill caught between kombu\'s BRPOP and its `unacked` write (docs/celery-facts.md). They are named per fault and are not the autoscaler\'s loss: the autoscaler never takes a message, and a task taken by a worker no fault killed, or started and never finished, stays its loss. *Waiting in unacked*: a message a worker had taken when its worker or broker was taken away sits in kombu\'s `unacked` until `visibility_timeout` (1 h), then Celery delivers it again: not lost, counted apart. Every other task must complete exactly once. A fault that found nothing to act on (no worker yet; no drain before the load ended) shows *landed* below *injected*.',
  '',
  '**Invariants** (checked every cycle, a 2-cycle grace where a repair needs a cycle): desired within [minWorkers, maxWorkers] and ≤ hardMaxWorkers; ECS stops only workers a drain emptied, and none running a task; no worker outside a live drain (its record and its cycle\'s lock) without its queues for more than 2 cycles; no lock with no expiry, longer than its lease, or held past its lease by an execution that ended; no scale-in protection with no cycle holding the service and no drain record for more than 2 cycles (one set before a fault wiped Redis lost its record with it and is the fault\'s: it expires on its own, and the next drain of the service clears it); after the load and the faults end, the fleet at its minimum within stabilization + drain timeout (+ idleMinutes for a service whose minimum is 0: its last worker stays until it has been idle that long) + 3 cycles (a cycle: the 2-s tick, or the slowest execution after the load if longer, so a loaded machine is not read as a slow scale-down), plus any time a stop held by the ecs-task-will-not-stop fault ran past the end of the load.',
  '',
  '**Redis restarted without its data in the middle of a drain.** The drain record is gone and the drained workers stay cancelled with no record saying so; the next MeasureQueues finds them through `active_queues` and gives them their queues back (self-healing; `recovered` in its output, the `QueuesRestored` metric). The soak checks that no worker goes without its queues for more than 2 cycles. `redis-wiped` picks, from the seed, to wipe at once or when the next drain is checked. A Redis restarted *with* its data can still lose the one message a worker had just popped (kombu\'s BRPOP and its `unacked` write are two commands, docs/celery-facts.md): the soak reads the broker before such a restart and counts a message there before and gone after as the restart\'s own loss.',
  '',
  '**A frozen worker** never answers remote control, which holds every scale-down of its service (fail safe). The soak gives it a container health check (killed 30 s after the freeze, as ECS replaces an unhealthy task); without one it would hold its service at its size for good. Give Celery workers an ECS health check (e.g. `celery inspect ping -d worker@$ECS_TASK_ID`).',
];

/** The section of docs/reliability.md a soak on this broker writes. */
export const soakSection = (broker: SoakBroker): string => (broker === 'redis' ? 'soak' : `soak-${broker}`);

/** On RabbitMQ: what its faults destroy and what they show. */
const RABBITMQ_NOTES = [
  '**On RabbitMQ** the stack is a RabbitMQ node of its own, the workers on `pyamqp://`, the autoscaler reaching it as a user with only the permissions it needs (docs/runbook.md) and keeping its state in DynamoDB (dynalite). Nothing falls between a queue and a worker there: a message delivered and not acknowledged goes back to its queue when the worker\'s channel closes, so a SIGKILLed worker destroys only the tasks it had started (acknowledged on start), and a broker restart or a closed connection destroys nothing: none is excused. A queue deleted under its workers takes its ready messages with it, and the workers, their consumer cancelled by the broker, reconnect and drop what they held unstarted (docs/celery-facts.md): the tasks of that queue not started when it went are that fault\'s, unless one starts later. A reconnect also drops a queue a worker had been given back after a drain (docs/celery-facts.md); the next cycle finds it through `active_queues` and gives it back. *Run again after a fault*: a task a worker had started (and acknowledged on start) when a fault broke its connection, before the ack reached the broker, is delivered again and runs twice; the fixture counts runs from a redelivered message, and a second run is the fault\'s only when every run past the first came from one and a connection-breaking fault (a broker restart, closed connections, a deleted queue, a killed worker) landed before it. Any other second run is counted against the autoscaler.',
];

/** The soak's section: one table per fault kind, then the run's totals and its invariant violations. */
export function soakMarkdown(runs: SoakResult[]): string {
  const day = new Date().toISOString().slice(0, 10);
  const broker = runs[0]?.broker ?? 'redis';
  if (runs.some((r) => r.broker !== broker)) throw new Error('one soak report per broker');
  const out = [
    broker === 'redis' ? '## Seeded fault soak' : `## Seeded fault soak on ${broker === 'rabbitmq' ? 'RabbitMQ' : broker}`,
    '',
    `Written by \`npm run soak -- --minutes N --seed S${broker === 'redis' ? '' : ` --broker ${broker}`} --write-report\` on ${day}: ${runs.map((r) => `seed ${r.seed} (${r.minutes} min)`).join(', ')}. ` +
      (broker === 'redis' ? '' : 'As the Redis soak above, on RabbitMQ (notes at the end). ') +
      'The local stack (a real broker, real Celery workers as the ECS emulator\'s tasks, the real state machine every 2 s, overlapping as the schedule does) runs waves of load while faults drawn from the seed hit it; the invariants below are checked every cycle and at the end. The same command replays a run. `--minutes N` lasts about N minutes: load and faults for N minutes less 30 s, then the last tasks and the return to the minimum (a run ends at most 90 s past N minutes; the summary says how long it ran). `npm run soak:seeds -- --count 20 [--minutes M]` runs fresh random seeds one after another, prints a row per seed and writes the table to docs/benchmarks.md (section soak-seeds). Faults and invariants: `local/faults.ts`, `local/invariants.ts`.',
    '',
  ];
  for (const kind of faultKindsFor(broker)) {
    out.push(`### ${kind.name}: ${kind.title}`, '', '| seed | injected | landed | tasks destroyed by the fault itself | result: invariants broken while it was the latest fault to land (a 3-cycle streak: when it began) | what it did (first 3) |', '|---:|---:|---:|---:|---|---|');
    for (const r of runs) {
      const f = r.faults[kind.name];
      if (!f) continue;
      const result = f.landed === 0 ? '—' : f.violations.length === 0 ? 'all held' : `**${f.violations.length}**: ${[...new Set(f.violations)].join('; ')}`;
      out.push(`| ${r.seed} | ${f.injected} | ${f.landed} | ${f.destroyed} | ${result} | ${f.details.slice(0, 3).join('; ').replace(/\|/g, '/') || '—'} |`);
    }
    out.push('');
  }
  out.push('### Totals', '', '| seed | min | executions (failed) | tasks sent | completed | lost | run twice | destroyed by faults | run again after a fault | waiting in unacked | scale-ups / drained scale-downs | drain timeouts | dead cycles repaired | s to minimum | violations |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of runs) {
    const destroyed = Object.values(r.tasks.lostToFault).reduce((a, k) => a + k.length, 0);
    const v = r.violations.length === 0 ? '0' : `**${r.violations.length}**: ${[...new Set(r.violations.map((x) => x.invariant))].join('; ')}`;
    const again = Object.values(r.tasks.runTwiceByFault ?? {}).reduce((a, k) => a + k.length, 0);
    out.push(`| ${r.seed} | ${r.minutes} | ${r.executions} (${r.failedExecutions}) | ${r.tasks.sent} | ${r.tasks.completed} | ${r.tasks.lost.length} | ${r.tasks.runTwice.length} | ${destroyed} | ${again} | ${r.tasks.waitingInUnacked.length} | ${r.scaleUps} / ${r.drainedScaleDowns} | ${r.drainTimeouts} | ${r.recoveries} | ${r.secondsToMinimum ?? '—'} | ${v} |`);
  }
  const all = runs.flatMap((r) => r.violations.map((v) => `- seed ${r.seed}, ${v.cycle >= 0 ? `cycle ${v.cycle}` : 'at the end'}: **${v.invariant}**: ${v.detail}`));
  if (all.length > 0) out.push('', '### Violations', '', ...all.slice(0, 40));
  out.push('', ...(broker === 'rabbitmq' ? [...RABBITMQ_NOTES, ''] : []), ...SOAK_NOTES);
  return out.join('\n');
}
