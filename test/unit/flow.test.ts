import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BRANCH_ENDS, BRANCH_FLOW, type BranchState } from '../../lib/cycle/flow';
import { changeSchema, drainStatusSchema, nothingSchema } from '../../lib/cycle/payloads';
import { cooldownOutput, drain } from '../support/fake-env';

/**
 * The simulator routes a branch by BRANCH_FLOW; Step Functions by the ASL. For every Task and
 * Wait state of ApplyChanges and every value the payload schemas allow for what the Choice
 * states read, both must lead to the same state.
 */
const definition = JSON.parse(readFileSync(join(__dirname, '..', '..', 'statemachines', 'autoscaler.asl.json'), 'utf8'));

interface Rule {
  Variable?: string;
  StringEquals?: string;
  BooleanEquals?: boolean;
  IsPresent?: boolean;
  And?: Rule[];
  Next?: string;
}
interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Choices?: Rule[];
  Default?: string;
}
const OPERATORS = new Set(['Variable', 'StringEquals', 'BooleanEquals', 'IsPresent', 'And', 'Next', 'Comment']);

/** `$.a.b` and `$.a[0]`: the paths the Choice states use. */
function lookup(doc: unknown, path: string): { present: boolean; value?: unknown } {
  if (!path.startsWith('$')) throw new Error(`not a path: ${path}`);
  let cur: unknown = doc;
  for (const part of path.slice(1).match(/\.[^.[]+|\[\d+\]/g) ?? []) {
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part.slice(1);
    if (cur === null || typeof cur !== 'object' || !(key in (cur as object))) return { present: false };
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return { present: cur !== undefined, value: cur };
}

/** A Choice rule, as Step Functions evaluates it; an operator it does not know fails the test. */
function matches(rule: Rule, doc: unknown): boolean {
  const unknown = Object.keys(rule).filter((k) => !OPERATORS.has(k));
  if (unknown.length > 0) throw new Error(`the evaluator does not know ${unknown.join(', ')}: extend it`);
  if (rule.And) return rule.And.every((r) => matches(r, doc));
  const v = lookup(doc, rule.Variable as string);
  if (rule.IsPresent !== undefined) return v.present === rule.IsPresent;
  if (rule.StringEquals !== undefined) return v.present && v.value === rule.StringEquals;
  if (rule.BooleanEquals !== undefined) return v.present && v.value === rule.BooleanEquals;
  throw new Error(`a rule with no comparison: ${JSON.stringify(rule)}`);
}

/** Where the ASL goes after `from` outputs `doc`: through any Choice states, to the next Task, Wait or end. */
function aslNext(states: Record<string, State>, from: string, doc: unknown): string {
  const s = states[from];
  if (s.End) return 'End';
  let next = s.Next as string;
  while (states[next]?.Type === 'Choice') {
    const choice = states[next];
    next = choice.Choices?.find((r) => matches(r, doc))?.Next ?? (choice.Default as string);
  }
  return next;
}

const branch: Record<string, State> = definition.States.ApplyChanges.ItemProcessor.States;

describe('BRANCH_FLOW routes every payload as the ASL does', () => {
  const statuses = drainStatusSchema.options;
  const directions = changeSchema.shape.direction.options;
  const cooldowns = [true, false].flatMap((allowed) => directions.map((direction) => cooldownOutput({ allowed, direction })));
  const drains = statuses.map((status) => drain({ status }));
  const nothing = { service: 'web', status: nothingSchema.shape.status.value, result: 'no scale-down' };
  const payloads: Record<BranchState, unknown[]> = {
    CheckCooldown: cooldowns,
    ScaleUp: [{ service: 'web', status: 'scaledUp', result: 'scaled up' }],
    DrainWorkers: [nothing, ...drains],
    WaitForDrain: drains,
    CheckDrain: drains,
    ScaleDown: drains,
    RestoreConsumers: drains,
    WaitForTasksToStop: drains,
    ReleaseProtection: drains,
  };
  const label = (doc: unknown) => {
    const d = doc as { status?: string; allowed?: boolean; direction?: string };
    return d.status ?? `allowed ${d.allowed}, ${d.direction}`;
  };
  const rows = (Object.keys(BRANCH_FLOW) as BranchState[]).flatMap((state) => payloads[state].map((doc) => [state, label(doc), doc] as const));

  test.each(rows)('%s with %s', (state, _label, doc) => {
    const simulator = (BRANCH_FLOW[state] as (o: unknown) => string)(doc);
    expect(simulator).toBe(aslNext(branch, state, doc));
  });

  // What each outcome must lead to, written from the design (docs/architecture.md), not read off
  // either copy: a route that is wrong in both the ASL and BRANCH_FLOW fails here.
  const INTENT: [BranchState, Record<string, unknown>, string, string][] = [
    ['CheckCooldown', { allowed: false, direction: 'up' }, 'HeldByCooldown', 'a held service does nothing'],
    ['CheckCooldown', { allowed: false, direction: 'down' }, 'HeldByCooldown', 'a held service does nothing'],
    ['CheckCooldown', { allowed: true, direction: 'up' }, 'ScaleUp', 'a scale-up raises the count at once'],
    ['CheckCooldown', { allowed: true, direction: 'down' }, 'DrainWorkers', 'a scale-down drains first'],
    ['ScaleUp', { status: 'scaledUp' }, 'End', 'a scale-up ends its branch'],
    ['DrainWorkers', { status: 'nothing' }, 'NothingToDrain', 'nobody to drain ends the branch'],
    ['DrainWorkers', { status: 'draining' }, 'WaitForDrain', 'cancelled workers are polled'],
    ['CheckDrain', { status: 'waiting' }, 'WaitForDrain', 'still busy: poll again'],
    ['CheckDrain', { status: 'draining' }, 'WaitForDrain', 'still busy: poll again'],
    ['CheckDrain', { status: 'release' }, 'ScaleDown', 'an emptied worker is removed at once'],
    ['CheckDrain', { status: 'timedOut' }, 'RestoreConsumers', 'a drain out of time gives the queues back'],
    ['CheckDrain', { status: 'abandoned' }, 'RestoreConsumers', 'a drain overtaken by new work gives the queues back'],
    ['ScaleDown', { status: 'draining' }, 'WaitForDrain', 'others still drain: poll them'],
    ['ScaleDown', { status: 'abandoned' }, 'RestoreConsumers', 'new work at the last look: the rest get their queues back'],
    ['ScaleDown', { status: 'stopping' }, 'WaitForTasksToStop', 'all removed: wait for ECS to stop them'],
    ['RestoreConsumers', { status: 'stopping' }, 'ReleaseProtection', 'queues given back: then protection is cleared'],
    ['RestoreConsumers', { status: 'done' }, 'ReleaseProtection', 'queues given back: then protection is cleared'],
    ['WaitForDrain', { status: 'draining' }, 'CheckDrain', 'a wait ends in a poll'],
    ['WaitForTasksToStop', { status: 'stopping' }, 'ReleaseProtection', 'a wait ends in a look at the stopping tasks'],
    ['ReleaseProtection', { status: 'stopping' }, 'WaitForTasksToStop', 'removed tasks still up: wait again'],
    ['ReleaseProtection', { status: 'done' }, 'ScaledDown', 'protection cleared: the branch ends'],
  ];
  test.each(INTENT)('%s with %j goes to %s (%s), in the ASL and in BRANCH_FLOW', (state, out, to) => {
    const doc = state === 'CheckCooldown' ? cooldownOutput(out as never) : state === 'DrainWorkers' && out.status === 'nothing' ? { service: 'web', ...out } : { ...drain(), ...out };
    expect(aslNext(branch, state, doc)).toBe(to);
    expect((BRANCH_FLOW[state] as (o: unknown) => string)(doc)).toBe(to);
  });

  test('the intent table covers every status a drain can have after each drain state', () => {
    for (const state of ['CheckDrain', 'ScaleDown', 'ReleaseProtection'] as const) {
      const covered = INTENT.filter(([s]) => s === state).map(([, o]) => o.status);
      const possible = { CheckDrain: ['waiting', 'draining', 'release', 'timedOut', 'abandoned'], ScaleDown: ['draining', 'abandoned', 'stopping'], ReleaseProtection: ['stopping', 'done'] }[state];
      expect(covered.sort()).toEqual([...possible].sort());
    }
  });

  test('every Task and Wait state of a branch, but the error path, is in BRANCH_FLOW, and no other', () => {
    const steps = Object.entries(branch).filter(([name, s]) => (s.Type === 'Task' || s.Type === 'Wait') && name !== 'ReleaseAfterError').map(([name]) => name);
    expect(Object.keys(BRANCH_FLOW).sort()).toEqual(steps.sort());
  });

  test('the ends BRANCH_FLOW knows are the branch’s Succeed states and its ending Pass states but the error path’s (and a Task’s End)', () => {
    const succeeds = Object.entries(branch).filter(([name, s]) => s.Type === 'Succeed' || (s.Type === 'Pass' && name !== 'ServiceFailed')).map(([name]) => name);
    expect([...BRANCH_ENDS].filter((e) => e !== 'End').sort()).toEqual(succeeds.sort());
  });

  test('the evaluator reads Choice rules as Step Functions does', () => {
    const rule: Rule = { And: [{ Variable: '$.dryRun', BooleanEquals: false }, { Variable: '$.changes[0]', IsPresent: true }] };
    expect(matches(rule, { dryRun: false, changes: [{}] })).toBe(true);
    expect(matches(rule, { dryRun: false, changes: [] })).toBe(false);
    expect(matches(rule, { dryRun: true, changes: [{}] })).toBe(false);
    expect(matches({ Variable: '$.status', StringEquals: 'release' }, {})).toBe(false);
    expect(() => matches({ Variable: '$.n', NumericEquals: 1 } as Rule, { n: 1 })).toThrow(/does not know NumericEquals/);
  });
});
