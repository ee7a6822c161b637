import { AutoscalerError } from '../lib/errors';

/**
 * The command was asked for something wrong (a flag's value, a missing flag, an override the
 * config refuses): exit 2, the flag first in the one line. What cannot be done with a right
 * request (a broker that does not answer, ECS that cannot be read, a config file whose
 * contents are invalid) stays an AutoscalerError: exit 1.
 */
export class UsageError extends AutoscalerError {
  constructor(readonly flag: string, problem: string) {
    super(`${flag}${problem.startsWith(':') ? '' : ' '}${problem}`);
  }
}
