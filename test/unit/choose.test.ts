import { chooseDrainNodes, drainSecondsEstimate, type DrainCandidate } from '../../lib/cycle/choose';
import type { EcsTask } from '../../lib/ecs';

const task = (taskId: string, startedAt: number, lastStatus = 'RUNNING'): EcsTask => ({
  taskId, taskArn: `arn:aws:ecs:eu-west-1:1:task/c/${taskId}`, lastStatus, desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING', privateIp: null, startedAt,
});
const node = (name: string, taskId: string | null, active: number, reserved = 0, longestActiveSeconds = 0, concurrency = 1): DrainCandidate => ({ node: name, taskId, active, reserved, longestActiveSeconds, concurrency });

describe('chooseDrainNodes', () => {
  // t5 still runs but ECS is stopping it (desired STOPPED): it is on its way out already.
  const tasks = [task('t1', 100), task('t2', 200), task('t3', 300), task('t4', 400, 'STOPPED'), { ...task('t5', 500), desiredStatus: 'STOPPED' }];
  const rows: [string, DrainCandidate[], number, string[]][] = [
    ['fewest held tasks first (no task has run long)', [node('a', 't1', 3), node('b', 't2', 0, 1), node('c', 't3', 2)], 2, ['b', 'c']],
    ['ties go to the newest task', [node('a', 't1', 0), node('b', 't2', 0), node('c', 't3', 0)], 1, ['c']],
    ['a node with no task is never chosen', [node('a', null, 0), node('b', 't1', 5)], 2, ['b']],
    ['a stopped task is never chosen', [node('d', 't4', 0), node('a', 't1', 1)], 1, ['a']],
    ['a running task ECS is stopping is never chosen', [node('e', 't5', 0), node('a', 't1', 1)], 1, ['a']],
    ['k = 0 chooses nothing', [node('a', 't1', 0)], 0, []],
    ['a negative k chooses nothing', [node('a', 't1', 0), node('b', 't2', 0)], -1, []],
    ['k above the candidates chooses all', [node('a', 't1', 0), node('b', 't2', 0)], 5, ['b', 'a']],
    // At 60 tasks/min/worker and concurrency 1 a typical task takes 1 s.
    ['four short tasks drain before one that has run 40 s (a long one among short ones)', [node('long', 't1', 1, 0, 40), node('short', 't2', 2, 2, 0)], 1, ['short']],
    ['a task that just started counts as a typical one', [node('long', 't1', 1, 0, 0), node('short', 't2', 2, 2, 0)], 1, ['long']],
  ];
  test.each(rows)('%s', (_name, nodes, k, expected) => {
    expect(chooseDrainNodes(nodes, tasks, k, 60).map((c) => c.node)).toEqual(expected);
  });

  // Uniform 5–20 min tasks, concurrency 1, μ 0.08/min: a typical task takes 750 s.
  test('among uniform long tasks, the one nearest its end drains first', () => {
    const nodes = [node('justStarted', 't1', 1, 0, 60), node('nearlyDone', 't2', 1, 0, 700), node('pastTypical', 't3', 1, 0, 1000)];
    expect(chooseDrainNodes(nodes, tasks, 3, 0.08).map((c) => c.node)).toEqual(['pastTypical', 'nearlyDone', 'justStarted']);
  });

  test('concurrency sets the typical time: 4 slots of 12 s tasks at 20/min are typical at 10 s', () => {
    expect(drainSecondsEstimate(node('w', 't1', 4, 0, 10, 4), 20)).toBeCloseTo(2 + 3 * 3);
    expect(drainSecondsEstimate(node('w', 't1', 1, 0, 20, 4), 20)).toBeCloseTo(1.2); // past its typical 12 s: a tenth of it left, still behind an idle worker
    expect(drainSecondsEstimate(node('w', 't1', 1, 0, 24, 4), 20)).toBeCloseTo(1.2); // exactly twice its typical 12 s: still a typical task, not an outlier
    expect(drainSecondsEstimate(node('w', 't1', 1, 0, 25, 4), 20)).toBe(25); // more than twice: an outlier, taken to run about as long again
    expect(drainSecondsEstimate(node('w', 't1', 4, 0, 10, 1), 20)).toBe(10 + 3 * 3); // concurrency unknown: 10 s looks long
    expect(drainSecondsEstimate(node('w', 't1', 0, 4, 0, 4), 20)).toBe(4 * 3); // idle: each reserved task takes its 3 s share
  });
});
