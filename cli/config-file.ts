import { existsSync, statSync } from 'node:fs';
import { parseConfigYaml, readTextFile, type AutoscalerConfig } from '../lib/config';
import { UsageError } from './usage';

/**
 * The config a `--config` flag names. A path that is not a readable file is the flag's mistake
 * (exit 2, naming the flag); a file whose contents break the schema cannot be run (exit 1, the
 * path and the rule, as at deploy).
 */
export function loadConfigFlag(path: string, flag = '--config'): AutoscalerConfig {
  if (!existsSync(path)) throw new UsageError(flag, `${path}: no such file (pass the autoscaler config, e.g. --config autoscaler.config.yml)`);
  if (statSync(path).isDirectory()) throw new UsageError(flag, `${path}: is a directory, not a config file`);
  return parseConfigYaml(readTextFile(path, `config ${path}`), `config ${path}`);
}
