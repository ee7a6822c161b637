// The autoscaler's own AWS bill per month, from list prices and the counts the project measured
// (transitions per cycle from local runs of the real ASL; the step durations docs/benchmarks.md
// holds, read from it), with allowances where nothing measures a figure yet.
// `npm run docs:cost` writes docs/cost.md; test/unit/generated-docs.test.ts keeps it current.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** us-east-1 list prices, read 2026-11-25 (sources in docs/cost.md). */
export const PRICES = {
  stateTransition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  schedulerInvocation: 1 / 1e6,
  customMetricMonth: 0.3,
  alarmMetricMonth: 0.1,
  dashboardMonth: 3,
  logIngestGb: 0.5,
  logStorageGbMonth: 0.03,
};
export const FREE = { stateTransitions: 4000, lambdaRequests: 1e6, lambdaGbSeconds: 400_000, schedulerInvocations: 14e6, customMetrics: 10, alarmMetrics: 10, dashboards: 3, logGb: 5 };

const CYCLES = 60 * 24 * 30; // rate(1 minute), a 30-day month
const MEMORY_GB = 256 / 1024;
/**
 * A figure a bench section measured, read from docs/benchmarks.md: the cost follows the latest run,
 * and a run that changes it makes docs/cost.md stale (test/unit/generated-docs.test.ts).
 */
function measured(section: string, row: RegExp, column: number): number {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'benchmarks.md'), 'utf8');
  const body = new RegExp(`<!-- bench:${section} -->([\\s\\S]*?)<!-- /bench:${section} -->`).exec(doc)?.[1] ?? '';
  const line = body.split('\n').find((l) => row.test(l));
  const value = Number(line?.split('|')[column + 1]?.trim().replace(/[^\d.]/g, ''));
  if (!line || !Number.isFinite(value)) throw new Error(`docs/benchmarks.md, section ${section}: no row ${row} (run npx tsx bench/run.ts ${section})`);
  return value;
}

/** AWS API and VPC round trips a step makes beyond what the local benchmarks measure. */
const NETWORK_MS = 70;
/** MeasureQueues' median for 20 workers and 50 queues (bench section measure). */
const MEASURE_MS = measured('measure', /^\| a cycle's measurement/, 2);
/**
 * Billed ms per invocation: MeasureQueues is the measured step plus its AWS round trips. No bench
 * section measures ComputePlan at two services or the other steps: theirs are allowances.
 */
const MS = { MeasureQueues: Math.round(MEASURE_MS + NETWORK_MS), ComputePlan: 20, other: 60 };
/** Allowances (no bench section measures logs): JSON logs and EMF per no-change cycle with Lambda's START/END/REPORT lines, and per further invocation. */
const LOG_KB = { noChange: 4.8, perExtraInvocation: 1.5 };

interface Month {
  /** `branch`: a Map branch run within a cycle counted elsewhere (no schedule of its own, no cycle's logs). */
  cycles: { count: number; transitions: number; invocations: { MeasureQueues: number; ComputePlan: number; other: number }; branch?: boolean }[];
  metrics: number;
  alarmMetrics: number;
  /** Billed ms and memory where they differ from the defaults above (a fleet of 1,000 workers). */
  ms?: typeof MS;
  memoryGb?: { MeasureQueues: number; ComputePlan: number; other: number };
}

/**
 * 1,000 workers × 200 task names, from docs/benchmarks.md: MeasureQueues (measure-fleet, median on
 * one core, as at 1,769 MB, one vCPU) and ComputePlan (plan-fleet, 512 MB), plus round trips.
 */
const FLEET_MS = {
  MeasureQueues: Math.round(measured('measure-fleet', /^\| 1000 \| 200 \|/, 3) + NETWORK_MS),
  ComputePlan: Math.round(measured('plan-fleet', /^\| this planner \|/, 3) + NETWORK_MS),
  other: 100,
};
const FLEET_MEMORY_GB = { MeasureQueues: 1769 / 1024, ComputePlan: 512 / 1024, other: MEMORY_GB };

/** 2 services (default: 2 queues, reports: 1) as in autoscaler.config.yml. */
const noChange = { transitions: 4, invocations: { MeasureQueues: 1, ComputePlan: 1, other: 0 } };
const scaleUp = { transitions: 10, invocations: { MeasureQueues: 1, ComputePlan: 1, other: 3 } };
/** A drain polled every 5 s for 60 s (p = 12), then 30 s for ECS to stop the task (s = 6): 13 + 3p + 3s transitions. */
const drain = (p: number, s: number) => ({ transitions: 13 + 3 * p + 3 * s, invocations: { MeasureQueues: 1, ComputePlan: 1, other: 5 + p + s } });

export const SCENARIOS: Record<string, Month> = {
  'quiet month: 2 services, no scaling': { cycles: [{ count: CYCLES, ...noChange }], metrics: 10, alarmMetrics: 3 },
  'busy month: each service scales up and drains down 12 times a day': (() => {
    const bursts = 2 * 12 * 30;
    return { cycles: [{ count: CYCLES - 2 * bursts, ...noChange }, { count: bursts, ...scaleUp }, { count: bursts, ...drain(12, 6) }], metrics: 16, alarmMetrics: 3 };
  })(),
  'fleet month: 50 services, 1,000 workers, 100 queues, each service scaling up and down 12 times a day': (() => {
    // A cycle's Map runs every service that changes; here the 50 services' bursts fall in separate cycles.
    const bursts = 50 * 12 * 30;
    return {
      cycles: [{ count: CYCLES, ...noChange }, { count: bursts, transitions: scaleUp.transitions - noChange.transitions, invocations: { MeasureQueues: 0, ComputePlan: 0, other: scaleUp.invocations.other }, branch: true },
        { count: bursts, transitions: drain(12, 6).transitions - noChange.transitions, invocations: { MeasureQueues: 0, ComputePlan: 0, other: drain(12, 6).invocations.other }, branch: true }],
      // PendingMessages per queue (100), InFlightTasks, DesiredWorkers, RunningWorkers per service (150), MeasureLatency; ScaleActions, DrainDuration per service.
      metrics: 100 + 150 + 1 + 100,
      alarmMetrics: 1 + 50,
      ms: FLEET_MS,
      memoryGb: FLEET_MEMORY_GB,
    };
  })(),
};

export function bill(m: Month, withFreeTier: boolean): [string, number, string][] {
  const sum = (f: (c: Month['cycles'][number]) => number) => m.cycles.reduce((a, c) => a + c.count * f(c), 0);
  const paid = (used: number, free: number) => Math.max(0, used - (withFreeTier ? free : 0));
  const transitions = sum((c) => c.transitions);
  const invocations = sum((c) => c.invocations.MeasureQueues + c.invocations.ComputePlan + c.invocations.other);
  const ms = m.ms ?? MS;
  const gb = m.memoryGb ?? { MeasureQueues: MEMORY_GB, ComputePlan: MEMORY_GB, other: MEMORY_GB };
  const gbSeconds = sum((c) => (c.invocations.MeasureQueues * ms.MeasureQueues * gb.MeasureQueues + c.invocations.ComputePlan * ms.ComputePlan * gb.ComputePlan + c.invocations.other * ms.other * gb.other) / 1000);
  const logGb = sum((c) => (c.branch ? 0 : LOG_KB.noChange) + (c.invocations.other * LOG_KB.perExtraInvocation)) / 1024 / 1024;
  const cycles = sum((c) => (c.branch ? 0 : 1));
  return [
    ['Step Functions state transitions', paid(transitions, FREE.stateTransitions) * PRICES.stateTransition, `${transitions.toLocaleString('en-US')} transitions`],
    ['Lambda requests', paid(invocations, FREE.lambdaRequests) * PRICES.lambdaRequest, `${invocations.toLocaleString('en-US')} invocations`],
    [`Lambda duration (arm64, ${m.memoryGb ? 'MeasureQueues 1,769 MB, ComputePlan 512 MB, others 256 MB' : '256 MB'})`, paid(gbSeconds, FREE.lambdaGbSeconds) * PRICES.lambdaArmGbSecond, `${Math.round(gbSeconds).toLocaleString('en-US')} GB-s`],
    ['EventBridge Scheduler', paid(cycles, FREE.schedulerInvocations) * PRICES.schedulerInvocation, `${cycles.toLocaleString('en-US')} invocations`],
    ['CloudWatch custom metrics', paid(m.metrics, FREE.customMetrics) * PRICES.customMetricMonth, `${m.metrics} metrics`],
    ['CloudWatch alarms', paid(m.alarmMetrics, FREE.alarmMetrics) * PRICES.alarmMetricMonth, `${m.alarmMetrics} alarm metrics`],
    ['CloudWatch dashboard', paid(1, FREE.dashboards) * PRICES.dashboardMonth, '1 dashboard'],
    ['CloudWatch Logs (ingest + 14 days stored)', paid(logGb, FREE.logGb) * PRICES.logIngestGb + logGb * (14 / 30) * PRICES.logStorageGbMonth, `${(logGb * 1024).toFixed(0)} MB`],
  ];
}

const usd = (x: number) => `$${x.toFixed(2)}`;

export function renderCostDocs(): string {
  const out: string[] = [
    '<!-- Generated by `npm run docs:cost` (scripts/cost.ts): change the inputs there. -->',
    '# What the autoscaler itself costs',
    '',
    'Per month at the default schedule (`rate(1 minute)`, 43,200 cycles in 30 days), us-east-1 list prices',
    'read on 2026-11-25. The workers it scales are not included: that is what it saves you.',
    '',
  ];
  for (const [name, m] of Object.entries(SCENARIOS)) {
    const full = bill(m, false);
    const free = bill(m, true);
    out.push(`## ${name}`, '', '| item | usage | list price | with the free tier |', '|---|---|---:|---:|');
    full.forEach(([item, cost, usage], i) => out.push(`| ${item} | ${usage} | ${usd(cost)} | ${usd(free[i][1])} |`));
    out.push(`| **total** | | **${usd(full.reduce((a, r) => a + r[1], 0))}** | **${usd(free.reduce((a, r) => a + r[1], 0))}** |`, '');
  }
  out.push(
    '## Inputs',
    '',
    '- **State transitions per cycle**, counted by running the real ASL locally: no change 4 (`MeasureQueues`,',
    '  `ComputePlan`, `AnyChanges?`, `NoChange`); a scale-up 10; a drained scale-down 13 + 3 per drain poll',
    '  (`WaitForDrain`, `CheckDrain`, `Drained?`, every 5 s) + 3 per wait for the tasks to stop. Retries count too.',
    `- **Lambda**: 256 MB arm64; billed ms per invocation assumed ${MS.MeasureQueues} (MeasureQueues), ${MS.ComputePlan} (ComputePlan),`,
    `  ${MS.other} (other steps): MeasureQueues is the ${MEASURE_MS} ms median the measure benchmark measured (20 workers, 50 queues) plus ${NETWORK_MS} ms for AWS API and VPC round trips; no benchmark`,
    '  measures ComputePlan at two services or the other steps, so theirs are allowances, mostly AWS API and VPC round trips. Cold starts are rare at one cycle a minute (containers stay warm).',
    '- **Metrics**: PendingMessages per queue (3) + InFlightTasks, DesiredWorkers, RunningWorkers per service (6) +',
    '  MeasureLatency = 10; ScaleActions, DrainDuration and DrainTimeouts per service add 6 once they are emitted.',
    '- **Alarms**: failed executions (1 metric) + drain timeouts over both services (2 metrics).',
    `- **Logs**: ${LOG_KB.noChange} KB per no-change cycle (JSON log lines and EMF documents, plus Lambda's own lines),`,
    `  ${LOG_KB.perExtraInvocation} KB per further invocation: allowances, as no benchmark measures the logs.`,
    '',
    '## Prices (us-east-1)',
    '',
    '| item | price | free tier per month |',
    '|---|---|---|',
    '| Step Functions Standard | $0.025 per 1,000 state transitions | 4,000 transitions (does not expire) |',
    '| Lambda requests | $0.20 per million | 1 million |',
    '| Lambda duration, arm64 | $0.0000133334 per GB-second | 400,000 GB-s |',
    '| EventBridge Scheduler | $1.00 per million invocations | 14 million |',
    '| CloudWatch custom metrics | $0.30 per metric-month (first 10,000) | 10 metrics |',
    '| CloudWatch standard alarms | $0.10 per alarm metric-month | 10 alarm metrics |',
    '| CloudWatch dashboards | $3.00 per dashboard-month | 3 dashboards (up to 50 metrics) |',
    '| CloudWatch Logs | $0.50 per GB ingested, $0.03 per GB-month stored | 5 GB |',
    '',
    'Sources: aws.amazon.com/step-functions/pricing, aws.amazon.com/lambda/pricing, aws.amazon.com/cloudwatch/pricing',
    '(free tier, dashboards, custom-metric tiers), and the EventBridge Scheduler price list. Check them before',
    'relying on the figures: prices change, and other regions differ.',
    '',
    '**At fleet scale** the custom metrics are most of the bill: one `PendingMessages` series per queue and three per',
    'service. The transitions grow with the scale actions, not with the workers: a drain\'s polls are per service.',
    '',
    '**Reading it**: the state machine is most of the bill. A slower schedule (`--param="scheduleRate=rate(2 minutes)"`)',
    'halves it; Express workflows would be cheaper per cycle but cannot run a drain longer than 5 minutes.',
    '',
  );
  return out.join('\n');
}

export const COST_DOCS = join(__dirname, '..', 'docs', 'cost.md');

if (require.main === module) {
  writeFileSync(COST_DOCS, renderCostDocs());
  process.stdout.write(`wrote ${COST_DOCS}\n`);
}
