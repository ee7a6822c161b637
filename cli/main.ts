import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { AutoscalerError } from '../lib/errors';
import { nonEmpty } from './flags';
import { UsageError } from './usage';
import { register as registerDemo } from './commands/demo';
import { register as registerMeasure } from './commands/measure';
import { register as registerSimulate } from './commands/simulate';
import { register as registerPlan } from './commands/plan';
import { register as registerRun } from './commands/run';
import { register as registerRecord } from './commands/record';
import { register as registerRelease } from './commands/release';

/** Exit code of a usage error (unknown option, bad or missing flag value, a refused override) in every command. */
export const EXIT_USAGE = 2;
/** Exit code of what cannot be done as asked: the broker or ECS unreachable, a config file's invalid contents. */
export const EXIT_FAILED = 1;

// Each command lives in cli/commands/<name>.ts and exports register(program); a command loads
// its heavy modules (SDK, ioredis, the local stack) inside its action, so --help answers at once.
// exitOverride before the commands are added: they inherit it, so a usage error is thrown to main.
export const program = new Command('celery-autoscaler')
  .description('Queue-driven autoscaling for Celery workers on AWS ECS')
  .version(version, '-V, --version')
  .exitOverride()
  .showHelpAfterError('(celery-autoscaler --help lists the commands)');
registerMeasure(program);
registerPlan(program);
registerRun(program);
registerDemo(program);
registerSimulate(program);
registerRecord(program);
registerRelease(program);

const hint = (command: string): string => `(celery-autoscaler ${command} --help lists the options)`;
let running = '';
program.hook('preAction', (_program, action) => { running = action.name(); });
for (const c of program.commands) {
  c.showHelpAfterError(hint(c.name()));
  // One rule for every flag that takes a value, this one's and any added later: an empty value
  // is a usage error naming the flag, never a silent default.
  for (const o of c.options) if (o.required || o.optional) o.argParser(nonEmpty(o.parseArg) as never);
}

// A reader that went away (`| head -1`) ends the output, not the process with a stack trace.
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

export async function main(argv: string[]): Promise<void> {
  // The SDK is pinned (package-lock): its notice about versions published later is not about this one.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  quietOnClosedPipe(process.stdout);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its one line (or the help, or the version) already.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    // One line an operator can act on; stack traces only when asked for.
    const err = e as Error;
    process.stderr.write(`error: ${err instanceof AutoscalerError ? err.message : String(err.message ?? err)}\n`);
    if (err instanceof UsageError) {
      // As commander says its own usage errors: the line, then where the options are listed.
      process.stderr.write(`${hint(running)}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    if (process.env.DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : EXIT_FAILED;
  }
}

if (require.main === module) void main(process.argv);
