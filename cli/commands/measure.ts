import type { Command } from 'commander';
import type { BrokerMeasurement } from '../../lib/celery/measure';
import type { AutoscalerConfig } from '../../lib/config';
import { brokerUrlFlag, numberFlag } from '../flags';
import { table } from '../format';

/** Per service: pending per queue, and the nodes that consume its queues. */
export function measurementByService(config: AutoscalerConfig, m: BrokerMeasurement) {
  return Object.fromEntries(Object.entries(config.services).map(([name, s]) => [name, {
    queues: m.queues[name],
    nodes: m.nodes.filter((n) => n.queues.some((q) => s.queues.includes(q))).map(({ queues: _q, ...n }) => n),
  }]));
}

export function register(program: Command): void {
  program
    .command('measure')
    .description('read pending messages per queue and every worker\'s active/reserved/scheduled/processed tasks')
    .option('-c, --config <file>', 'autoscaler config', 'autoscaler.config.yml')
    .option('--broker-url <url>', 'broker URL (default: BROKER_URL, the config\'s url, or its SSM parameter)', brokerUrlFlag)
    .option('--timeout <ms>', 'how long to wait for workers to answer (like broker.controlTimeoutMs)', numberFlag({ int: true, min: 1, max: 60_000 }))
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; brokerUrl?: string; timeout?: number; json?: boolean }) => {
      const [{ brokerUrl, openBroker, reachBroker }, { measureBroker }, { loadConfigFlag }] = await Promise.all([import('../broker'), import('../../lib/celery/measure'), import('../config-file')]);
      const config = loadConfigFlag(opts.config);
      if (opts.timeout !== undefined) config.broker.controlTimeoutMs = opts.timeout;
      const url = await brokerUrl(config, opts.brokerUrl);
      const client = openBroker(config, url);
      try {
        await reachBroker(client, url);
        const m = await measureBroker(client, config);
        const services = measurementByService(config, m);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ at: new Date(m.at).toISOString(), services, missing: m.missing, unanswered: m.unanswered, unacked: m.unacked }, null, 2)}\n`);
          return;
        }
        for (const [name, s] of Object.entries(services)) {
          process.stdout.write(`\n${name}\n`);
          process.stdout.write(table(['queue', 'pending'], Object.entries(s.queues).map(([q, n]) => [q, String(n)])));
          process.stdout.write(table(['node', 'active', 'reserved', 'scheduled', 'processed'], s.nodes.map((n) => [n.node, String(n.active), String(n.reserved), String(n.scheduled), String(n.processed ?? '?')])));
        }
        if (m.missing.length || m.unanswered) process.stdout.write(`\nno answer from: ${[...m.missing, ...(m.unanswered ? [`${m.unanswered} unnamed worker(s)`] : [])].join(', ')}\n`);
      } finally {
        client.close();
      }
    });
}
