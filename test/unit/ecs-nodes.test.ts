import type { EcsTask } from '../../lib/ecs';
import { taskForNode, taskIdOf } from '../../lib/ecs/nodes';

const task = (taskId: string, privateIp: string | null): EcsTask => ({ taskId, taskArn: `arn:aws:ecs:us-east-1:1:task/c/${taskId}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', privateIp, startedAt: 1 });

describe('taskForNode: boundaries of the two ways a node names its task', () => {
  test('a task id of 8 characters or more is looked for in the node name; a shorter one is not', () => {
    const seven = task('abc1234', '10.0.0.7');
    const eight = task('abc12345', '10.0.0.8');
    expect(taskForNode('worker@xabc1234y', [seven])).toBeNull();
    expect(taskForNode('worker@xabc12345y', [seven, eight])).toBe(eight);
  });

  test('the private-IP host name is anchored at the start of the host part', () => {
    const t = task('0123456789abcdef0123456789abcdef', '10.0.1.23');
    expect(taskForNode('worker@ip-10-0-1-23', [t])).toBe(t);
    expect(taskForNode('worker@myip-10-0-1-23', [t])).toBeNull();
    expect(taskForNode('ip-10-0-1-23', [t])).toBe(t);
    expect(taskForNode('ip-10-0-1-234x', [t])).toBeNull();
  });

  test('each octet may have one to three digits', () => {
    const t = task('0123456789abcdef0123456789abcdef', '10.12.123.4');
    const u = task('fedcba9876543210fedcba9876543210', '172.1.2.255');
    expect(taskForNode('worker@ip-10-12-123-4.ec2.internal', [u, t])).toBe(t);
    expect(taskForNode('worker@ip-172-1-2-255', [t, u])).toBe(u);
  });

  test('taskIdOf is the last part of the ARN', () => {
    expect(taskIdOf('arn:aws:ecs:us-east-1:1:task/celery/abc')).toBe('abc');
  });
});
