import type { CooldownOutput, Drain, Nothing } from './payloads';

/**
 * Where each Task state of a service's branch leads, as the Choice states of
 * statemachines/autoscaler.asl.json route it (a test holds the two to the same answers). The
 * simulator's host walks this; Step Functions walks the ASL. `Wait*` states wait `pollSeconds`.
 */
export const BRANCH_FLOW = {
  CheckCooldown: (o: CooldownOutput) => (!o.allowed ? 'HeldByCooldown' : o.direction === 'up' ? 'ScaleUp' : 'DrainWorkers'),
  ScaleUp: () => 'End',
  DrainWorkers: (o: Drain | Nothing) => (o.status === 'nothing' ? 'NothingToDrain' : 'WaitForDrain'),
  WaitForDrain: () => 'CheckDrain',
  CheckDrain: (o: Drain) => (o.status === 'release' ? 'ScaleDown' : o.status === 'timedOut' || o.status === 'abandoned' ? 'RestoreConsumers' : 'WaitForDrain'),
  ScaleDown: (o: Drain) => (o.status === 'draining' ? 'WaitForDrain' : o.status === 'abandoned' ? 'RestoreConsumers' : 'WaitForTasksToStop'),
  RestoreConsumers: () => 'ReleaseProtection',
  WaitForTasksToStop: () => 'ReleaseProtection',
  ReleaseProtection: (o: Drain) => (o.status === 'stopping' ? 'WaitForTasksToStop' : 'ScaledDown'),
} as const;

export type BranchState = keyof typeof BRANCH_FLOW;
/** The states a branch ends in (Succeed, a Pass that shapes the branch's result, or a Task with End). */
export const BRANCH_ENDS = ['HeldByCooldown', 'NothingToDrain', 'ScaledDown', 'End'] as const;
