import { chooseDrainNodes, type DrainCandidate } from '../../lib/cycle/choose';
import type { EcsTask } from '../../lib/ecs';

const task = (taskId: string, startedAt: number, lastStatus = 'RUNNING'): EcsTask => ({
  taskId, taskArn: `arn:aws:ecs:eu-west-1:1:task/c/${taskId}`, lastStatus, desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING', privateIp: null, startedAt,
});
const node = (name: string, taskId: string | null, active: number, reserved = 0, longestActiveSeconds = 0): DrainCandidate => ({ node: name, taskId, active, reserved, longestActiveSeconds });

describe('chooseDrainNodes', () => {
  const tasks = [task('t1', 100), task('t2', 200), task('t3', 300), task('t4', 400, 'STOPPED')];
  const rows: [string, DrainCandidate[], number, string[]][] = [
    ['fewest held tasks first (no task has run long)', [node('a', 't1', 3), node('b', 't2', 0, 1), node('c', 't3', 2)], 2, ['b', 'c']],
    ['ties go to the newest task', [node('a', 't1', 0), node('b', 't2', 0), node('c', 't3', 0)], 1, ['c']],
    ['a node with no task is never chosen', [node('a', null, 0), node('b', 't1', 5)], 2, ['b']],
    ['a stopped task is never chosen', [node('d', 't4', 0), node('a', 't1', 1)], 1, ['a']],
    ['k = 0 chooses nothing', [node('a', 't1', 0)], 0, []],
    ['k above the candidates chooses all', [node('a', 't1', 0), node('b', 't2', 0)], 5, ['b', 'a']],
    // At 60 tasks/min/worker a held task is 1 s of drain; a task running for 40 s likely runs 40 s more.
    ['four short tasks drain before one that has run 40 s', [node('long', 't1', 1, 0, 40), node('short', 't2', 2, 2, 1)], 1, ['short']],
    ['a long task just started counts like any held task', [node('long', 't1', 1, 0, 0), node('short', 't2', 2, 2, 1)], 1, ['long']],
  ];
  test.each(rows)('%s', (_name, nodes, k, expected) => {
    expect(chooseDrainNodes(nodes, tasks, k, 60).map((c) => c.node)).toEqual(expected);
  });
});
