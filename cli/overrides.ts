import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { readTextFile, resolveCycleSettings, type AutoscalerConfig, type CycleSettings } from '../lib/config';
import { ValidationError } from '../lib/errors';
import { UsageError } from './usage';

/** The flags `plan` and `run` share: an execution's input, from a file and/or flags. */
export interface OverrideOptions {
  input?: string;
  set: string[];
  skipCooldown?: boolean;
  note?: string;
  dryRun?: boolean;
}

const SET = /^([A-Za-z0-9_-]+)\.([A-Za-z]+)=(.*)$/;

/** Repeatable and comma-separated; the shape of each assignment is checked as the flag is read. */
const collect = (v: string, prev: string[]): string[] => {
  const parts = v.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = parts.find((p) => !SET.test(p));
  if (parts.length === 0 || bad !== undefined) throw new InvalidArgumentError(`${parts.length > 1 ? `"${bad}": ` : ''}expected SERVICE.KEY=VALUE, e.g. default.minWorkers=2`);
  return [...prev, ...parts];
};

/** The note's limit is the execution input's (lib/config/overrides.ts): said as the flag is read. */
const note = (v: string): string => {
  if (v.length > 500) throw new InvalidArgumentError(`must be at most 500 characters (got ${v.length})`);
  return v;
};

export function addOverrideOptions(cmd: Command): Command {
  return cmd
    .option('--input <file>', 'execution input as a JSON file (the document the console takes); flags are applied on top')
    .option('--set <service.key=value>', 'per-service override, repeatable or comma-separated; keys: minWorkers, maxWorkers, targetMinutes, desired (e.g. --set default.minWorkers=2)', collect, [])
    .option('--skip-cooldown', 'ignore the cooldowns for this run')
    .option('--note <text>', 'why this run was started (kept in the execution input)', note);
}

function readInputFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new UsageError('--input', `${file}: no such file`);
  let text: string;
  try {
    text = readTextFile(file, `input ${file}`);
  } catch (e) {
    throw new UsageError('--input', `${file}: ${(e as ValidationError).issues?.join('; ') ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError('--input', `${file}: not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError('--input', `${file}: must be a JSON object`);
  return raw as Record<string, unknown>;
}

/** "default.minWorkers=2" → services.default.minWorkers = 2 (a non-number is kept, for the schema to name). */
function applySet(input: Record<string, unknown>, assignment: string): void {
  const m = SET.exec(assignment);
  if (!m) throw new UsageError('--set', `"${assignment}": expected SERVICE.KEY=VALUE, e.g. default.minWorkers=2`);
  const [, service, key, value] = m;
  const services = (typeof input.services === 'object' && input.services !== null ? input.services : {}) as Record<string, Record<string, unknown>>;
  services[service] = { ...(services[service] ?? {}), [key]: /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value };
  input.services = services;
}

/** The issues of an input the config refuses, or null. */
function refused(config: AutoscalerConfig, input: Record<string, unknown>): string[] | null {
  try {
    resolveCycleSettings(config, input);
    return null;
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
}

/**
 * The execution input the flags describe, validated against the config exactly as
 * MeasureQueues will validate it (an unknown service, above hardMaxWorkers, min > max…). What
 * it refuses is a usage error naming the flag that brought it: --input when the file alone is
 * refused, else --set.
 */
export function executionInput(config: AutoscalerConfig, opts: OverrideOptions): { input: Record<string, unknown>; settings: CycleSettings } {
  const fromFile = opts.input ? readInputFile(opts.input) : {};
  const fileIssues = opts.input ? refused(config, structuredClone(fromFile)) : null;
  if (fileIssues) throw new UsageError('--input', `${opts.input}: ${fileIssues.join('; ')}`);
  const input = fromFile;
  if (opts.dryRun) input.dryRun = true;
  if (opts.skipCooldown) input.skipCooldown = true;
  if (opts.note !== undefined) input.note = opts.note;
  for (const s of opts.set) applySet(input, s);
  const issues = refused(config, input);
  // The file passed alone and the note's limit is checked as it is read: what is left came from --set.
  if (issues) throw new UsageError('--set', `${opts.set.join(',')}: ${issues.join('; ')}`);
  return { input, settings: resolveCycleSettings(config, input) };
}
