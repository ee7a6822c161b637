import { pollSecondsFor } from '../lib/cycle/drain-workers';
import { DRAIN_NODES_BUDGET_BYTES, PAYLOAD_BUDGET_BYTES, PAYLOAD_LIMIT_BYTES } from '../lib/cycle/sizes';
import { drainOneByOne, Fleet, FLEETS, runFleetCycle, type FleetShape, type Sizes } from './fleet';
import { HISTORY_EVENTS_LIMIT } from '../lib/sfn-limits';

/** One service of N workers (100 queues, 200 task names of 60 characters), a drain of N/10 emptying one by one; and 50 services. */
const COLUMNS: [string, FleetShape, number][] = [
  ['10 workers', { ...FLEETS['one service of 1,000 workers'], workersPerService: 10 }, 1],
  ['100 workers', { ...FLEETS['one service of 1,000 workers'], workersPerService: 100 }, 10],
  ['1,000 workers', FLEETS['one service of 1,000 workers'], 100],
  ['50 services × 20', FLEETS['50 services of 20 workers'], 10],
];

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);


/**
 * The largest input and output of every state, in KiB, when the real steps run a cycle with a
 * drain over synthetic fleets (bench/fleet.ts). Deterministic: a test regenerates it and fails
 * when docs/benchmarks.md is stale.
 */
export function payloadSection(): string {
  const runs: Sizes[] = COLUMNS.map(([, shape, k]) => drainOneByOne(new Fleet(shape), k).sizes);
  const states = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  const rows = states.map((s) => `| ${s} | ${runs.map((r) => (r[s] ? `${kib(r[s].input)} / ${kib(r[s].output)}` : '–')).join(' | ')} |`);
  const worst = Math.max(...runs.flatMap((r) => Object.values(r).flatMap((x) => [x.input, x.output])));
  // 50 services draining at once for 10 minutes, one worker emptying a minute: the history's worst day.
  const fleet = new Fleet(FLEETS['50 services of 20 workers']);
  const services = Object.fromEntries(Object.keys(fleet.config.services).map((s) => [s, { desired: 10 }]));
  const long = runFleetCycle(fleet, { services, skipCooldown: true }, (_s, _poll, draining, elapsed) => (elapsed >= 60_000 * (11 - draining.length) ? draining.slice(0, 1) : []));
  return [
    '## Payloads: the largest state input / output at fleet scale (KiB)',
    '',
    `Step Functions fails a state over ${PAYLOAD_LIMIT_BYTES / 1024} KiB, uncaught; each state here must stay within ${PAYLOAD_BUDGET_BYTES / 1024} KiB. The real steps of one cycle run over synthetic fleets (\`bench/fleet.ts\`): one service of N workers with 100 queues and 200 task names of 60 characters that every worker has run, whose drain of N/10 workers empties one worker per poll; and 50 services of 20 workers draining 10 each at once. A drain takes the nodes that fit ${DRAIN_NODES_BUDGET_BYTES / 1024} KiB (a few hundred); per-worker detail waits in the state store for ComputePlan. \`test/unit/fleet-scale.test.ts\` asserts the budget on the same runs, and this table is checked against a fresh run by \`test/unit/generated-docs.test.ts\`.`,
    '',
    `| state | ${COLUMNS.map(([c]) => c).join(' | ')} |`,
    `|---|${COLUMNS.map(() => '---:').join('|')}|`,
    ...rows,
    '',
    `History: 50 services draining 10 workers each for 10 minutes at once (one emptying a minute, each removed as it empties) write ${long.historyEvents.toLocaleString('en-US')} history events in one execution (quota ${HISTORY_EVENTS_LIMIT.toLocaleString('en-US')}): their polls space out to every ${pollSecondsFor(fleet.config.services.svc0.drainTimeoutSeconds, long.plan.changes.length)} s.`,
    '',
    `Largest: ${kib(worst)} KiB (budget ${PAYLOAD_BUDGET_BYTES / 1024} KiB). "ReleaseAfterError (input)" is CheckDrain's input with a 2,000-character Cause, what a failed poll hands its Catch; a branch result is what the Map collects for Summarize.`,
  ].join('\n');
}

export async function payloadBench(): Promise<string> {
  return payloadSection();
}
