import type { EcsTask } from '../ecs';
import { renewLease } from './lease';
import type { Drain } from './payloads';
import { call, type Env, type Step } from './ports';
import { clearProtection } from './protection';
import { clip } from './sizes';

/** Wait while a released task is still up (until stopDeadline); then clean up and finish. */
export function decide(input: Drain, tasks: EcsTask[], now: number): { output: Drain; cleanup: boolean } {
  const ids = new Set(input.released.map((d) => d.taskId));
  const stillUp = tasks.filter((t) => ids.has(t.taskId) && t.lastStatus !== 'STOPPED');
  if (stillUp.length > 0 && now < (input.stopDeadline ?? 0)) return { output: { ...input, status: 'stopping' }, cleanup: false };
  const late = stillUp.length > 0 ? `; ${stillUp.length} released task(s) still stopping` : '';
  return { output: { ...input, status: 'done', busy: undefined, result: clip(`${input.result}${late}`) }, cleanup: true };
}

/**
 * ReleaseProtection: once the released tasks have stopped, clear the protection this cycle set
 * (left on, it blocks ECS deployments), the drain record and the lock, in that order.
 */
export function* releaseProtection(env: Env, input: Drain): Step<Drain> {
  const { service, cycle } = input;
  // Still ours? The protection record is the service's, not this cycle's: never clear another's.
  yield* renewLease(env, service, cycle.execution);
  // The released tasks only (one DescribeTasks for up to 100), not the whole service.
  const tasks = input.released.length > 0 ? yield* call(env.ecs.describeTasks(service, input.released.map((d) => d.taskId))) : [];
  const { output, cleanup } = decide(input, tasks, env.now());
  if (cleanup) {
    yield* clearProtection(env, service, input.released.map((d) => d.taskId));
    yield* call(env.history.clearDrain(service));
    yield* call(env.lease.releaseLock(service, cycle.execution));
  }
  return output;
}
