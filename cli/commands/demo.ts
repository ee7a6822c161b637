import type { Command } from 'commander';
import type { LocalStack } from '../../local/local-stack';
import { numberFlag, patternFlag } from '../flags';

const count = numberFlag({ int: true, min: 0 });

/**
 * The demo's broker, and `measure` and `plan` command lines ready to paste into another terminal.
 * With state in the demo's own DynamoDB API (on RabbitMQ), `plan` reads its history there:
 * DYNAMODB_ENDPOINT in front of it points the DynamoDB client at it (lib/state/dynamo.ts).
 */
export function demoCommands(brokerUrl: string, configPath: string, ecsEndpoint: string, dynamoEndpoint?: string): string[] {
  return [
    `broker: ${brokerUrl}`,
    'while it runs, in another terminal:',
    `  npx celery-autoscaler measure --config ${configPath} --broker-url ${brokerUrl}`,
    `  ${dynamoEndpoint ? `DYNAMODB_ENDPOINT=${dynamoEndpoint} ` : ''}npx celery-autoscaler plan --config ${configPath} --broker-url ${brokerUrl} --ecs-endpoint ${ecsEndpoint} --stage local`,
  ];
}

const brokerFlag = patternFlag(/^(redis|rabbitmq)$/, 'must be redis or rabbitmq');

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the autoscaler locally (redis-server or RabbitMQ, ECS emulator, real Celery workers, the real state machine) on a burst of tasks')
    .option('--broker <broker>', 'redis, or rabbitmq (a RabbitMQ node of its own, state in a local DynamoDB API)', brokerFlag, 'redis')
    .option('--short <n>', 'short tasks to send', count, 2000)
    .option('--long <n>', 'long tasks (5-14 s) to send', count, 12)
    // Under a second, cycles overlap and each finds the last one's lock.
    .option('--cycle-seconds <s>', 'seconds between cycles', numberFlag({ min: 1, max: 3600 }), 3)
    .option('--max-seconds <s>', 'stop after this long', numberFlag({ min: 0, minExclusive: true }), 300)
    .action(async (o: { short: number; long: number; cycleSeconds: number; maxSeconds: number; broker: string }) => {
      await import('../../local/setup');
      const [{ stopAllTracked }, { formatSummary, runDemo }] = await Promise.all([import('../../local/processes'), import('../../local/demo')]);
      let stack: LocalStack | undefined;
      // Ctrl-C, or a SIGTERM (timeout, a supervisor): stop what it started, then exit 128 + signal.
      for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
        process.once(signal, () => {
          process.stdout.write('\ninterrupted: stopping everything the demo started…\n');
          void (stack ? stack.stop() : Promise.resolve()).finally(() => stopAllTracked().finally(() => process.exit(code)));
        });
      }
      const log = (l: string) => process.stdout.write(`${l}\n`);
      const broker = o.broker === 'rabbitmq' ? 'rabbitmq' : 'redis';
      const summary = await runDemo({ shortTasks: o.short, longTasks: o.long, cycleSeconds: o.cycleSeconds, maxSeconds: o.maxSeconds, log, broker }, (s) => {
        stack = s;
        // What the other commands need to look at the demo's broker and ECS while it runs.
        for (const l of demoCommands(s.brokerUrl, s.configPath, s.ecs.endpoint, s.dynamo?.endpoint)) log(l);
      });
      process.stdout.write(`${formatSummary(summary)}\n`);
      if (summary.lost > 0 || summary.runTwice > 0) process.exitCode = 1;
    });
}
