import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import validator from 'asl-validator';
import { MAP_MAX_CONCURRENCY } from '../../lib/ecs/limits';
import { stepHandlers } from '../../local/run-cycle';

const path = join(__dirname, '..', '..', 'statemachines', 'autoscaler.asl.json');
const definition = JSON.parse(readFileSync(path, 'utf8'));

type State = { Type: string; Resource?: string; Retry?: unknown[]; Catch?: { Next: string }[]; ItemProcessor?: { States: Record<string, State> } };
const allStates = (states: Record<string, State>): [string, State][] =>
  Object.entries(states).flatMap(([n, s]) => [[n, s] as [string, State], ...(s.ItemProcessor ? allStates(s.ItemProcessor.States) : [])]);

describe('statemachines/autoscaler.asl.json', () => {
  test('passes asl-validator', () => {
    // asl-validator adds QueryLanguage to what it validates: give it a copy.
    const result = (validator as unknown as (d: unknown) => { isValid: boolean; errors: unknown[] })(structuredClone(definition));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  test('the services\' Map runs at most MAP_MAX_CONCURRENCY branches at once (the ECS call width is derived from it)', () => {
    expect(definition.States.ApplyChanges.MaxConcurrency).toBe(MAP_MAX_CONCURRENCY);
  });

  test('every Task state has a Retry and a Catch, and a local handler of the same name', () => {
    const tasks = allStates(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(8);
    for (const [name, s] of tasks) {
      expect({ name, retry: Array.isArray(s.Retry) && s.Retry.length > 0 }).toEqual({ name, retry: true });
      expect({ name, catch: Array.isArray(s.Catch) && s.Catch.length > 0 }).toEqual({ name, catch: true });
      expect({ name, resource: s.Resource }).toEqual({ name, resource: `\${${name}FunctionArn}` });
      expect(stepHandlers[name]).toBeDefined();
    }
  });

  test('every placeholder is one serverless.yml substitutes', () => {
    const yml = readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8');
    const placeholders = [...new Set(JSON.stringify(definition).match(/\$\{(\w+)\}/g) ?? [])].map((p) => p.slice(2, -1));
    expect(placeholders.length).toBeGreaterThan(0);
    for (const p of placeholders) expect(yml).toMatch(new RegExp(`^\\s+${p}: !GetAtt \\w+LambdaFunction\\.Arn$`, 'm'));
  });

  test('the no-change path is four states: measure, plan, choice, succeed', () => {
    expect(definition.StartAt).toBe('MeasureQueues');
    expect(definition.States.MeasureQueues.Next).toBe('ComputePlan');
    expect(definition.States.ComputePlan.Next).toBe('AnyChanges?');
    expect(definition.States['AnyChanges?'].Default).toBe('NoChange');
    expect(definition.States.NoChange.Type).toBe('Succeed');
  });
});
