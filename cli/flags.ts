import { InvalidArgumentError } from 'commander';
import { brokerUrlProblem } from '../lib/config/broker-db';

/**
 * Parsers for numeric flags, with the config's rules: commander prints the flag, the value
 * and this rule in one line ("option '--timeout <ms>' argument 'abc' is invalid. must be …").
 */
export function numberFlag(rule: { int?: boolean; min: number; minExclusive?: boolean; max?: number }): (v: string) => number {
  const kind = rule.int ? 'a whole number' : 'a number';
  const text = `must be ${kind} ${rule.minExclusive ? '>' : '≥'} ${rule.min}${rule.max !== undefined ? ` and ≤ ${rule.max}` : ''}`;
  return (v: string) => {
    const n = v.trim() === '' ? NaN : Number(v);
    const ok = Number.isFinite(n) && (!rule.int || Number.isInteger(n)) && (rule.minExclusive ? n > rule.min : n >= rule.min) && (rule.max === undefined || n <= rule.max);
    if (!ok) throw new InvalidArgumentError(text);
    return n;
  };
}

/** --broker-url: a redis:// or rediss:// URL that parses, checked before anything connects. */
export function brokerUrlFlag(v: string): string {
  const problem = brokerUrlProblem(v);
  if (problem) throw new InvalidArgumentError(problem);
  return v;
}
