import { taskIdOf } from '../ecs';
import { call, type Env, type Step } from './ports';

/** Protection outlives the wait for released tasks to stop, and expires soon after a dead cycle. */
export const PROTECTION_MINUTES = 10;

/**
 * Protects `arns` from scale-in for PROTECTION_MINUTES. `record: 'before'` writes them into the
 * service's protection record first, so that any exit path (even a failed one) can clear them;
 * the drain's first protection and its renewals do that, and protect every task they keep
 * whatever the record says (a record written by an attempt that died before ECS protected
 * anything would otherwise be believed). `record: 'after'` is for the tasks that appeared since
 * (chosen as those missing from the record): recorded once ECS has protected them, so an
 * attempt that dies in between leaves them out of the record and its retry protects them again;
 * at worst ECS's own expiry clears them.
 */
export function* protect(env: Env, service: string, arns: string[], record: 'before' | 'after'): Step<void> {
  if (arns.length === 0) return;
  const before = yield* call(env.history.protectedTasks(service));
  const all = [...new Set([...before, ...arns])];
  if (record === 'before') yield* call(env.history.saveProtected(service, all, PROTECTION_MINUTES * 60_000));
  yield* call(env.ecs.protect(service, arns, PROTECTION_MINUTES));
  if (record === 'after') yield* call(env.history.saveProtected(service, all, PROTECTION_MINUTES * 60_000));
}

/**
 * Unprotects the tasks this service's scale-downs protected, without listing the service: ECS
 * answers a task that stopped meanwhile with a failure that unprotecting ignores. `skip`: tasks
 * known to be unprotected already (released ones; task ids or ARNs). The count cleared.
 */
export function* clearProtection(env: Env, service: string, skip: string[] = []): Step<number> {
  const recorded = yield* call(env.history.protectedTasks(service));
  if (recorded.length === 0) return 0;
  const done = new Set(skip.map(taskIdOf));
  const toClear = recorded.filter((a) => !done.has(taskIdOf(a)));
  if (toClear.length > 0) yield* call(env.ecs.unprotect(service, toClear));
  yield* call(env.history.clearProtected(service));
  return toClear.length;
}
