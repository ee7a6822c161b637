import { InvalidArgumentError } from 'commander';
import { brokerUrlProblem } from '../lib/config/broker-db';

/**
 * Parsers for flags, with the config's rules: commander prints the flag, the value and this rule
 * in one line ("option '--timeout <ms>' argument 'abc' is invalid. must be …"), exit 2.
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

/** A flag whose value must match a pattern; `rule` says what is expected. */
export function patternFlag(pattern: RegExp, rule: string): (v: string) => string {
  return (v: string) => {
    if (!pattern.test(v)) throw new InvalidArgumentError(rule);
    return v;
  };
}

/** --broker-url: a redis:// or rediss:// URL that parses, checked before anything connects. */
export function brokerUrlFlag(v: string): string {
  const problem = brokerUrlProblem(v);
  if (problem) throw new InvalidArgumentError(problem);
  return v;
}

/** --endpoint, --ecs-endpoint: an http(s) URL. */
export function endpointFlag(v: string): string {
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(v).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new InvalidArgumentError('must be an http:// or https:// URL');
  return v;
}

/** A stage names the stack, the state machine and the Redis prefix: Serverless's own rule. */
export const stageFlag = patternFlag(/^[a-zA-Z0-9-]{1,40}$/, 'must be letters, digits and - (at most 40)');

/** An AWS region name, e.g. us-east-1, eu-central-2, us-gov-west-1. */
export const regionFlag = patternFlag(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1');

/** A Step Functions state machine ARN. */
export const stateMachineArnFlag = patternFlag(/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, 'must be a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)');

/** Step Functions' execution name rule: 1–80 characters, no whitespace, brackets, wildcards or control characters. */
export const executionNameFlag = patternFlag(/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/, 'must be 1–80 characters without spaces or any of < > { } [ ] ? * " # % \\ ^ | ~ ` $ & , ; : /');

/** Every value flag: an empty value is never what was meant (it would silently become a default). */
export function nonEmpty<T>(parse?: (v: string, previous: T) => T): (v: string, previous: T) => T | string {
  return (v: string, previous: T) => {
    if (v.trim() === '') throw new InvalidArgumentError('must not be empty');
    return parse ? parse(v, previous) : v;
  };
}
