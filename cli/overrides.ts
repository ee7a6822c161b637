import type { Command } from 'commander';
import { readTextFile, resolveCycleSettings, type AutoscalerConfig, type CycleSettings } from '../lib/config';
import { ValidationError } from '../lib/errors';

/** The flags `plan` and `run` share: an execution's input, from a file and/or flags. */
export interface OverrideOptions {
  input?: string;
  set: string[];
  skipCooldown?: boolean;
  note?: string;
  dryRun?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)];

export function addOverrideOptions(cmd: Command): Command {
  return cmd
    .option('--input <file>', 'execution input as a JSON file (the document the console takes); flags are applied on top')
    .option('--set <service.key=value>', 'per-service override, repeatable or comma-separated; keys: minWorkers, maxWorkers, targetMinutes, desired (e.g. --set default.minWorkers=2)', collect, [])
    .option('--skip-cooldown', 'ignore the cooldowns for this run')
    .option('--note <text>', 'why this run was started (kept in the execution input)');
}

function readInputFile(file: string): Record<string, unknown> {
  const text = readTextFile(file, `input ${file}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`input ${file}`, [`not valid JSON: ${(e as Error).message}`]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ValidationError(`input ${file}`, ['must be a JSON object']);
  return raw as Record<string, unknown>;
}

/** "default.minWorkers=2" → services.default.minWorkers = 2 (a non-number is kept, for the schema to name). */
function applySet(input: Record<string, unknown>, assignment: string): void {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z]+)=(.*)$/.exec(assignment);
  if (!m) throw new ValidationError('--set', [`"${assignment}": expected SERVICE.KEY=VALUE, e.g. default.minWorkers=2`]);
  const [, service, key, value] = m;
  const services = (typeof input.services === 'object' && input.services !== null ? input.services : {}) as Record<string, Record<string, unknown>>;
  services[service] = { ...(services[service] ?? {}), [key]: /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value };
  input.services = services;
}

/**
 * The execution input the flags describe, validated against the config exactly as
 * MeasureQueues will validate it (an unknown service, above hardMaxWorkers, min > max…).
 */
export function executionInput(config: AutoscalerConfig, opts: OverrideOptions): { input: Record<string, unknown>; settings: CycleSettings } {
  const input = opts.input ? readInputFile(opts.input) : {};
  if (opts.dryRun) input.dryRun = true;
  if (opts.skipCooldown) input.skipCooldown = true;
  if (opts.note !== undefined) input.note = opts.note;
  for (const s of opts.set) applySet(input, s);
  return { input, settings: resolveCycleSettings(config, input) };
}
