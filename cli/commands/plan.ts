import type { Command } from 'commander';
import type { AutoscalerConfig } from '../../lib/config';
import { InvalidArgumentError } from 'commander';
import { AutoscalerError } from '../../lib/errors';
import { brokerUrlFlag, endpointFlag, regionFlag, stageFlag } from '../flags';
import { UsageError } from '../usage';
import { round1, table } from '../format';
import { addOverrideOptions, type OverrideOptions } from '../overrides';

interface PlanOptions extends OverrideOptions {
  config: string;
  brokerUrl?: string;
  stage: string;
  region?: string;
  ecsEndpoint?: string;
  ecs: boolean;
  current?: string;
  json?: boolean;
}

/** ECS could not be read for a plan that needs it: the table's "current" would be a guess. */
export class EcsUnreadableError extends AutoscalerError {}

/** --current's shape, checked as the flag is read; the names are checked against the config later. */
function currentFlag(v: string): string {
  if (!/^\s*(\d+|[A-Za-z0-9_-]+=\d+(\s*,\s*[A-Za-z0-9_-]+=\d+)*)\s*$/.test(v)) throw new InvalidArgumentError('expected N (every service) or NAME=N[,NAME=N]');
  return v;
}

/** "3" → every service 3; "default=2,reports=0" → each named (every service must be named). */
export function parseCurrent(config: AutoscalerConfig, spec: string | undefined): Record<string, number> {
  const names = Object.keys(config.services);
  if (spec === undefined) throw new UsageError('--current', 'is required with --no-ecs: the current workers, --current N or --current NAME=N[,NAME=N]');
  if (/^\d+$/.test(spec.trim())) return Object.fromEntries(names.map((n) => [n, Number(spec)]));
  const out: Record<string, number> = {};
  const issues: string[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(part);
    if (!m) issues.push(`"${part}": expected NAME=N`);
    else if (!names.includes(m[1])) issues.push(`${m[1]}: unknown service (configured: ${names.join(', ')})`);
    else out[m[1]] = Number(m[2]);
  }
  for (const n of names) if (!(n in out) && issues.length === 0) issues.push(`${n}: no current count given`);
  if (issues.length > 0) throw new UsageError('--current', `${spec}: ${issues.join('; ')}`);
  return out;
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description('dry run of one full cycle against the live broker (and ECS): what would it do right now? Changes nothing, not even the planner\'s history')
    .option('-c, --config <file>', 'autoscaler config', 'autoscaler.config.yml')
    .option('--broker-url <url>', 'broker URL (default: BROKER_URL, the config\'s url, or its SSM parameter)', brokerUrlFlag)
    .option('--stage <stage>', 'whose history and cooldowns to read (Redis prefix celery-autoscaler:<stage>:)', stageFlag, 'dev')
    .option('--region <region>', 'AWS region of the ECS services (default: AWS_REGION or us-east-1)', regionFlag)
    .option('--ecs-endpoint <url>', 'ECS API endpoint (default: ECS_ENDPOINT, else AWS)', endpointFlag)
    .option('--no-ecs', 'do not call ECS: take the current worker counts from --current')
    .option('--current <counts>', 'with --no-ecs: N for every service, or NAME=N[,NAME=N]', currentFlag)
    .option('--json', 'print JSON');
  addOverrideOptions(cmd).action(async (opts: PlanOptions) => {
    const [{ loadConfigFlag }, { executionInput }, { brokerUrl, reachBroker }, { measure }, { planCycle }, { runAsync }, { createEcsClient, EcsService }, { inFlightTotal, pendingTotal }, { assembleRuntime }, { envOf }, { createAppAutoScalingClient }] = await Promise.all([
      import('../config-file'), import('../overrides'), import('../broker'), import('../../lib/cycle/measure-queues'), import('../../lib/cycle/compute-plan'), import('../../lib/cycle/ports'),
      import('../../lib/ecs'), import('../../lib/observation'), import('../../lib/runtime'), import('../../lib/runtime-env'), import('../../lib/ecs/other-autoscaling'),
    ]);
    /** ECS as --current describes it: a dry run from a laptop with no AWS access. */
    class FixedCountEcs extends EcsService {
      constructor(cluster: string, service: string, private readonly count: number) {
        super(null as never, cluster, service);
      }
      override async describe() { return { desired: this.count, running: this.count, pending: 0, deploymentInProgress: false }; }
      override async tasks() { return []; }
      override async taskArns() { return []; }
      override async describeTasks() { return []; }
    }
    const config = loadConfigFlag(opts.config);
    const { input } = executionInput(config, { ...opts, dryRun: true });
    const current = opts.ecs ? null : parseCurrent(config, opts.current);
    const url = await brokerUrl(config, opts.brokerUrl);
    const countOf = new Map(Object.entries(config.services).map(([name, s]) => [`${s.cluster}/${s.service}`, current?.[name] ?? 0]));
    const rt = assembleRuntime(config, url, current
      ? { stage: opts.stage, ecsService: (cluster, service) => new FixedCountEcs(cluster, service, countOf.get(`${cluster}/${service}`) ?? 0), appAutoScalingClient: null }
      : { stage: opts.stage, ecsClient: createEcsClient({ endpoint: opts.ecsEndpoint, region: opts.region }), appAutoScalingClient: createAppAutoScalingClient({ endpoint: opts.ecsEndpoint, region: opts.region }) });
    try {
      await reachBroker(rt.broker, url);
      // Without ECS no running task shows a worker that did not answer: count the listeners on
      // the broker instead, and hold every service's scale-down on them as the cycle would.
      const env = envOf(rt);
      // `measure`, not the state's `measureQueues`: a dry run keeps nothing in the store.
      const [{ measurement: m, observation }, ping] = await Promise.all([runAsync(measure(env, input, `plan-${Date.now()}`)), current ? rt.broker.control.ping() : null]);
      const silent = ping ? Math.max(0, ping.expected - Object.keys(ping.replies).length) : 0;
      for (const s of Object.values(observation.services)) for (let i = 0; i < silent; i += 1) s.missingNodes.push('an unnamed worker (no reply to ping)');
      const unread = Object.values(observation.services).flatMap((s) => (s.ecs === null ? s.errors : []));
      if (unread.length > 0) throw new EcsUnreadableError(`cannot plan without the current worker counts: ${unread.join('; ')} — check the region (--region, AWS_REGION) and credentials, or plan with --no-ecs --current N`);
      const { output, decisions } = await runAsync(planCycle(env, m, observation));
      const rows = decisions.map((d) => {
        const s = observation.services[d.service];
        return {
          service: d.service, pending: pendingTotal(s), inFlight: inFlightTotal(s), throughput: d.mu, throughputMeasured: d.muMeasured,
          arrivalsPerMinute: d.lambda, current: d.from, target: d.to, change: d.to === d.from ? 'none' : d.direction, reason: d.reason,
          ...(s.missingNodes.length || s.errors.length ? { missingNodes: s.missingNodes, errors: s.errors } : {}),
        };
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ at: new Date(m.cycle.at).toISOString(), stage: opts.stage, dryRun: true, services: rows, changes: output.changes, holds: output.holds }, null, 2)}\n`);
        return;
      }
      process.stdout.write(table(
        ['service', 'pending', 'in flight', 'tasks/min/worker', 'arrivals/min', 'current', 'target', 'reason'],
        rows.map((r) => [r.service, String(r.pending), String(r.inFlight), `${round1(r.throughput)} ${r.throughputMeasured ? 'measured' : 'configured'}`, round1(r.arrivalsPerMinute), String(r.current), String(r.target), r.reason]),
        [0, 7],
      ));
      for (const r of rows) for (const e of [...(r.errors ?? []), ...(r.missingNodes ?? []).map((n) => `no answer from ${n}`)]) process.stdout.write(`  ${r.service}: ${e}\n`);
      process.stdout.write(`\ndry run: nothing was changed (history read from celery-autoscaler:${opts.stage}:, not written)\n`);
    } finally {
      rt.close();
    }
  });
}
