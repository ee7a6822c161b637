import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { endpointFlag, executionNameFlag, numberFlag, regionFlag, stageFlag, stateMachineArnFlag } from '../flags';
import { addOverrideOptions, type OverrideOptions } from '../overrides';

/** 0 succeeded; 1 failed, timed out or aborted; 2 the input was invalid and nothing was started (a usage error, cli/main.ts). */
export const EXIT_FAILED = 1;

interface RunOptions extends OverrideOptions {
  config: string;
  stage: string;
  stateMachineArn?: string;
  region?: string;
  endpoint?: string;
  name?: string;
  wait: boolean;
  pollInterval: number;
}

const executionName = (): string => `run-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('start an execution of the deployed state machine with overrides, follow it to the end, print the decisions and the console link')
    .option('-c, --config <file>', 'the config the stack was deployed with: overrides are checked against it before anything is sent', 'autoscaler.config.yml')
    .option('--stage <stage>', 'find the state machine celery-autoscaler-<stage>', stageFlag, 'dev')
    .option('--state-machine-arn <arn>', 'the state machine to start (default: found by name from --stage)', stateMachineArnFlag)
    .option('--region <region>', 'AWS region (default: AWS_REGION or us-east-1)', regionFlag)
    .option('--endpoint <url>', 'Step Functions API endpoint (default: SFN_ENDPOINT, else AWS)', endpointFlag)
    .option('--name <name>', 'execution name (default: run-<time>-<random>)', executionNameFlag)
    .option('--dry-run', 'measure and plan only; nothing is scaled, no history is written')
    .option('--no-wait', 'print the execution ARN and return at once')
    .option('--poll-interval <s>', 'seconds between status polls', numberFlag({ min: 0, minExclusive: true }), 2);
  addOverrideOptions(cmd).action(async (opts: RunOptions) => {
    const [{ loadConfigFlag }, { executionInput }, { consoleLink, createSfnClient, findStateMachine, follow, outcomeLines, startExecution }] = await Promise.all([
      import('../config-file'), import('../overrides'), import('../sfn'),
    ]);
    // A refused override is a usage error (exit 2) and nothing is started; a config file whose
    // contents are invalid cannot be run (exit 1), as at deploy.
    const { input } = executionInput(loadConfigFlag(opts.config), opts);
    const client = createSfnClient({ endpoint: opts.endpoint, region: opts.region });
    const machine = opts.stateMachineArn ?? (await findStateMachine(client, `celery-autoscaler-${opts.stage}`));
    const executionArn = await startExecution(client, machine, input, opts.name ?? executionName());
    if (!opts.wait) {
      process.stdout.write(`${executionArn}\n`);
      return;
    }
    process.stdout.write(`started ${executionArn}\n`);
    const tty = process.stdout.isTTY === true;
    const started = Date.now();
    let last = '';
    const d = await follow(client, executionArn, {
      intervalMs: opts.pollInterval * 1000,
      onProgress: (line) => {
        const text = `${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s  ${line}`;
        // On a terminal one line rewritten in place; in a log, a line per change.
        if (tty) process.stdout.write(`\r\x1b[2K${text.slice(0, (process.stdout.columns ?? 120) - 1)}`);
        else if (line !== last) process.stdout.write(`${text}\n`);
        last = line;
      },
    });
    if (tty) process.stdout.write('\r\x1b[2K');
    process.stdout.write(`${d.status}\n${outcomeLines(d).join('\n')}\nconsole: ${consoleLink(executionArn)}\n`);
    if (d.status !== 'SUCCEEDED') process.exitCode = EXIT_FAILED;
  });
}
