import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { ValidationError } from '../errors';
import { configSchema, type AutoscalerConfig } from './schema';

/** "services.default.maxWorkers: maxWorkers (50) is above hardMaxWorkers (40)". */
export function formatIssues(err: ZodError): string[] {
  return err.issues.map((i) => {
    const path = i.path.length > 0 ? i.path.join('.') : '(root)';
    return `${path}: ${i.message}`;
  });
}

export function parseConfig(raw: unknown, what = 'config'): AutoscalerConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ValidationError(what, formatIssues(result.error));
  return result.data;
}

export function parseConfigYaml(text: string, what = 'config'): AutoscalerConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ValidationError(what, [`not valid YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  return parseConfig(raw, what);
}

/** A file's text, or a ValidationError naming it ("invalid config x.yml: cannot read file: ENOENT"). */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValidationError(what, [`cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
}

export function loadConfigFile(path: string): AutoscalerConfig {
  return parseConfigYaml(readTextFile(path, `config ${path}`), `config ${path}`);
}
