import '../local/setup';
import { stopAllTracked } from '../local/processes';
import { writeReportSection } from '../local/reliability-report';
import { runScenario } from '../local/scenario';
import { E2E_SCENARIOS, rabbitmqScenarios } from '../local/scenarios';

/**
 * Runs the end-to-end scenarios (the same list test/e2e runs) and writes their section of
 * docs/reliability.md (the soak writes its own: `npm run soak -- --write-report`).
 * `npm run e2e:report -- drain` runs only the scenarios whose name contains "drain" (and prints
 * the table without writing the file). `npm run e2e:report -- --broker rabbitmq` runs the scenarios on
 * RabbitMQ (the list test/e2e/zero-loss-rabbitmq-*.test.ts runs) into their own section.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const b = args.indexOf('--broker');
  const broker = b >= 0 ? args.splice(b, 2)[1] : 'redis';
  if (broker !== 'redis' && broker !== 'rabbitmq') throw new Error(`--broker must be redis or rabbitmq, not ${broker}`);
  const only = args[0];
  const list = broker === 'rabbitmq' ? rabbitmqScenarios() : E2E_SCENARIOS;
  const chosen = list.filter((e) => !only || e.scenario.name.includes(only));
  if (chosen.length === 0) throw new Error(`no scenario matches "${only}": ${list.map((e) => e.scenario.name).join('; ')}`);
  const rows: string[] = [];
  let failures = 0;
  for (const { scenario, check } of chosen) {
    process.stderr.write(`e2e: ${scenario.name}…\n`);
    const s = await runScenario(scenario, (l) => process.stderr.write(`  ${l}\n`));
    const failed = check(s);
    failures += failed.length > 0 ? 1 : 0;
    const lost = `${s.lost}${s.lostToFault ? ` (+${s.lostToFault} killed with the worker by the fault)` : ''}${s.waitingInUnacked ? ` (+${s.waitingInUnacked} waiting in kombu's unacked for redelivery)` : ''}`;
    rows.push(`| ${scenario.name} | ${s.cycles} (${s.failedCycles} failed) | ${s.sent} | ${lost} | ${s.runTwice} | ${s.scaleUps} / ${s.drains} (${s.drainedWorkers} workers) | ${s.drainTimeouts} | ${s.stoppedUndrained.length} | ${s.recoveries} | ${s.secondsToMinimum ?? '—'} | ${s.seconds} | ${failed.length === 0 ? 'pass' : `**FAIL**: ${failed.join('; ')}${s.lostKeys.length ? ` (lost: ${s.lostKeys.join(', ')}; ${s.lostInUnacked} in kombu's unacked)` : ''}`} |`);
  }
  const out = [
    broker === 'redis' ? '## End-to-end scenarios' : '## End-to-end scenarios on RabbitMQ',
    '',
    ...(broker === 'redis' ? [] : [
      `Written by \`npm run e2e:report -- --broker rabbitmq\` on ${new Date().toISOString().slice(0, 10)}: the scenarios above on a RabbitMQ node of their own (workers on \`pyamqp://\`, the autoscaler as a user with only the permissions it needs, state in DynamoDB on dynalite), as test/e2e/zero-loss-rabbitmq-*.test.ts runs them (local/scenarios.ts \`rabbitmqScenarios\`: the Redis-only restarts left out). Tasks count their completions in a Redis of the fixture's own.`,
      '',
    ]),
    `${broker === 'redis' ? 'Written' : 'On Redis, written'} by \`npm run e2e:report\` on ${new Date().toISOString().slice(0, 10)}. Each scenario runs the product on the local stack: a real redis-server, real Celery workers (prefork, prefetch 1) as the ECS emulator's tasks with a 2 s stop timeout (a worker stopped while busy loses its task), and the real state machine started every 2 s whether or not the previous execution has ended. Every task counts its completions in Redis, so *lost* and *duplicated* are exact. The scenarios and their checks are in \`local/scenarios.ts\`; \`npm test\` runs the same list.`,
    '',
    '| scenario | executions | tasks | lost | duplicated | scale-ups / drained scale-downs | drain timeouts | stopped without a drain | dead cycles repaired | s to minimum fleet | s | result |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    'Failed executions are expected only where a fault is injected: a cycle whose broker goes away fails and scales nothing down; a later cycle, once the dead one\'s lock lease has run out, gives any worker it left cancelled its queues back ("dead cycles repaired").',
    '',
    'When the broker itself dies, a message a worker had taken but not acknowledged waits in kombu\'s `unacked` until `visibility_timeout` (1 h) before Celery delivers it again: such a task is not lost, and is shown apart in that scenario ("waiting in kombu\'s unacked"). It happened in about one run in nine here. Everywhere else, a task in `unacked` at the end counts as lost. A task running on a worker the fault SIGKILLs is the fault\'s own loss (Celery acknowledges on start) and is shown apart too.',
    '',
  ].join('\n');
  if (!only) writeReportSection(broker === 'redis' ? 'e2e' : 'e2e-rabbitmq', out);
  process.stdout.write(out);
  if (failures > 0) process.exitCode = 1;
}

void main().catch(async (e) => { console.error(e); await stopAllTracked(); process.exit(1); });
