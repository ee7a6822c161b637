import { call, type Env, type Step } from './ports';

/** Protection outlives the wait for released tasks to stop, and expires soon after a dead cycle. */
export const PROTECTION_MINUTES = 10;

/**
 * Protects `keepArns` and unprotects `removeArns`, recorded first so that any exit path (even a
 * failed one) can clear it: lowering the desired count then stops exactly `removeArns`. Those are
 * unprotected whatever the record says: an earlier release of this drain protected them, or a
 * cycle whose record a broker restart lost did, and ECS would not stop them.
 */
export function* protectAllBut(env: Env, service: string, keepArns: string[], removeArns: string[]): Step<void> {
  const before = new Set(yield* call(env.history.protectedTasks(service)));
  yield* call(env.history.saveProtected(service, [...new Set([...before, ...keepArns])], PROTECTION_MINUTES * 60_000));
  if (keepArns.length > 0) yield* call(env.ecs.protect(service, keepArns, PROTECTION_MINUTES));
  if (removeArns.length > 0) yield* call(env.ecs.unprotect(service, removeArns));
}

/** Unprotects the tasks this service's scale-down protected that are still there; the count cleared. */
export function* clearProtection(env: Env, service: string): Step<number> {
  const arns = yield* call(env.history.protectedTasks(service));
  if (arns.length === 0) return 0;
  const present = new Set((yield* call(env.ecs.tasks(service))).filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.taskArn));
  const toClear = arns.filter((a) => present.has(a));
  if (toClear.length > 0) yield* call(env.ecs.unprotect(service, toClear));
  yield* call(env.history.clearProtected(service));
  return toClear.length;
}
