import type { EcsTask } from './index';

/** The task id is the last part of the ARN (`arn:aws:ecs:…:task/cluster/<id>`). */
export const taskIdOf = (taskArn: string): string => taskArn.split('/').pop() as string;

/**
 * Which ECS task a Celery node (`name@host`) runs in: the node name contains the task id
 * (`worker@$ECS_TASK_ID`), or its host part is the private-IP host name (`ip-10-0-1-23`,
 * optionally with a domain) of the task's ENI. Null when neither: such a node is never drained.
 */
export function taskForNode(node: string, tasks: EcsTask[]): EcsTask | null {
  const byId = tasks.find((t) => t.taskId.length >= 8 && node.includes(t.taskId));
  if (byId) return byId;
  const host = node.includes('@') ? node.slice(node.indexOf('@') + 1) : node;
  const m = /^ip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})(?:\.|$)/.exec(host);
  if (!m) return null;
  const ip = m.slice(1, 5).join('.');
  return tasks.find((t) => t.privateIp === ip) ?? null;
}
