import type { Command } from 'commander';
import '../../local/setup';
import { stopAllTracked } from '../../local/processes';
import { formatSummary, runDemo } from '../../local/demo';
import type { LocalStack } from '../../local/local-stack';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the autoscaler locally (redis-server, ECS emulator, real Celery workers, the real state machine) on a burst of tasks')
    .option('--short <n>', 'short tasks to send', (v) => Number(v), 2000)
    .option('--long <n>', 'long tasks (5-14 s) to send', (v) => Number(v), 12)
    .option('--cycle-seconds <s>', 'seconds between cycles', (v) => Number(v), 3)
    .option('--max-seconds <s>', 'stop after this long', (v) => Number(v), 300)
    .action(async (o: { short: number; long: number; cycleSeconds: number; maxSeconds: number }) => {
      let stack: LocalStack | undefined;
      process.once('SIGINT', () => {
        process.stdout.write('\ninterrupted: stopping everything the demo started…\n');
        void (stack ? stack.stop() : Promise.resolve()).finally(() => stopAllTracked().finally(() => process.exit(130)));
      });
      const summary = await runDemo({ shortTasks: o.short, longTasks: o.long, cycleSeconds: o.cycleSeconds, maxSeconds: o.maxSeconds, log: (l) => process.stdout.write(`${l}\n`) }, (s) => { stack = s; });
      process.stdout.write(`${formatSummary(summary)}\n`);
      if (summary.lost > 0 || summary.runTwice > 0) process.exitCode = 1;
    });
}
