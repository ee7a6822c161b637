import type { Command } from 'commander';
import { loadConfigFlag } from '../config-file';
import { brokerUrlFlag, stageFlag } from '../flags';
import { UsageError } from '../usage';

interface ReleaseOptions {
  service?: string;
  config: string;
  stage: string;
  brokerUrl?: string;
  dryRun?: boolean;
}

export function register(program: Command): void {
  program
    .command('release')
    .description('give every drained worker its queues back, clear the scale-in protection the autoscaler set, remove its lease and drain records: to stop using it')
    .option('-s, --service <name>', 'only this service (default: every configured service)')
    .option('-c, --config <file>', 'the config the stack was deployed with', 'autoscaler.config.yml')
    .option('--stage <stage>', 'whose records (celery-autoscaler:<stage>:…)', stageFlag, 'dev')
    .option('--broker-url <url>', 'broker URL (default: BROKER_URL, the config\'s url, or its SSM parameter)', brokerUrlFlag)
    .option('--dry-run', 'say what it would do, change nothing')
    .addHelpText('after', `
Run it after turning the schedule off (docs/runbook.md, "Removing the autoscaler"): it takes no lock.
Prints one line per action; exits 1 when a worker did not confirm its queues.`)
    .action(async (o: ReleaseOptions) => {
      const [{ brokerUrl }, { assembleRuntime }, { envOf }, { runAsync }, { releaseServices }] = await Promise.all([
        import('../broker'), import('../../lib/runtime'), import('../../lib/runtime-env'), import('../../lib/cycle/ports'), import('../../lib/cycle/release-service'),
      ]);
      const config = loadConfigFlag(o.config);
      const services = o.service ? [o.service] : Object.keys(config.services);
      if (o.service && !config.services[o.service]) throw new UsageError('--service', `${o.service}: not in ${o.config} (${Object.keys(config.services).join(', ')})`);
      const rt = assembleRuntime(config, await brokerUrl(config, o.brokerUrl), { stage: o.stage });
      try {
        const actions = await runAsync(releaseServices(envOf(rt), services, o.dryRun === true));
        for (const a of actions) process.stdout.write(`${a.service}: ${a.did}\n`);
        if (actions.some((a) => a.failed)) process.exitCode = 1;
      } finally {
        rt.close();
      }
    });
}
