import { Command } from 'commander';
import { AutoscalerError } from '../lib/errors';
import { register as registerDemo } from './commands/demo';
import { register as registerMeasure } from './commands/measure';
import { register as registerSimulate } from './commands/simulate';
import { register as registerPlan } from './commands/plan';
import { register as registerRun } from './commands/run';

// Each command lives in cli/commands/<name>.ts and exports register(program).
const program = new Command('celery-autoscaler')
  .description('Queue-driven autoscaling for Celery workers on AWS ECS')
  .showHelpAfterError();
registerMeasure(program);
registerPlan(program);
registerRun(program);
registerDemo(program);
registerSimulate(program);

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // One line an operator can act on; stack traces only when asked for.
    const err = e as Error;
    process.stderr.write(`error: ${err instanceof AutoscalerError ? err.message : String(err.message ?? err)}\n`);
    if (process.env.DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
  }
}

if (require.main === module) void main(process.argv);
