/**
 * Why each surviving mutant in docs/mutation.md survives, keyed as scripts/mutate.ts's
 * explanationKey() prints it: `file | mutator | code → replacement`. Only equivalent mutants
 * (no input the code can receive tells them apart) and mutants whose effect only a real broker or
 * real ECS shows (proved by the integration and end-to-end tests, not run per mutant) belong here.
 */
export const EXPLAINED: Record<string, string> = {
  'lib/ecs/limits.ts | ArrayDeclaration | new Array<R>(items.length) → new Array()':
    'Equivalent: every index is written before the array is returned, and on a failure it is never returned, so a pre-sized and an empty array give the same result.',
  'lib/ecs/index.ts | StringLiteral | \'\' → "Stryker was here!"':
    'Equivalent: a missing event message or failure reason defaults to \'\' only to be tested against a pattern ("has started N tasks", "STOPPED"); the mutant\'s text matches neither, so the same events and failures are kept or dropped.',
  'lib/ecs/nodes.ts | StringLiteral | \'@\' → ""':
    'Equivalent (the includes(\'@\') test, not the indexOf): without an @, indexOf gives -1 and slice(0) is the whole name, what the other branch gives, so the test only saves a slice.',
  'lib/cycle/check-drain.ts | LogicalOperator | off && d.offAt !== undefined → off || d.offAt !== undefined':
    'Equivalent: the two differ only when the node is not off and offAt is set, and a node that answers with its queues loses its offAt on that line, while one that does not answer or reports no queues is settled by the first clause already.',
  'lib/cycle/choose.ts | EqualityOperator | k <= 0 → k < 0':
    'Equivalent: with k = 0 the rest of the function ends in slice(0, 0), the same empty choice the guard returns.',
  'lib/cycle/compute-plan.ts | MethodExpression | result.changes → result.changes':
    'Equivalent: plan() (lib/planner/index.ts) puts every decision that changes nothing (direction none, or to = from) in holds, so every change it returns passes this filter; the filter is there for the type, not for a case.',
  'lib/cycle/compute-plan.ts | ConditionalExpression | c.direction !== \'none\' && c.to !== c.from → true':
    'Equivalent: plan().changes holds only decisions up or down with to ≠ from (see the filter above).',
  'lib/cycle/compute-plan.ts | LogicalOperator | c.direction !== \'none\' && c.to !== c.from → c.direction !== \'none\' || c.to !== c.from':
    'Equivalent: both sides are true for every decision in plan().changes.',
  'lib/cycle/compute-plan.ts | ConditionalExpression | c.to !== c.from → true':
    'Equivalent: plan().changes never holds a decision with to = from.',
  'lib/cycle/measure-queues.ts | ArrayDeclaration | [] → ["Stryker was here"]':
    'Equivalent: it only adds a node named "Stryker was here" to the draining set; no ECS task id (32 hex digits) or ip- host is in that name, so it maps to no task and nothing is repaired or skipped for it.',
  'lib/cycle/measure-queues.ts | MethodExpression | mine.map((n) => ownerOf.get(n.node)?.task.taskId).filter((id): id is string => i → mine.map(n => ownerOf.get(n.node)?.task.taskId)':
    'Equivalent: the set is only asked about t.taskId, always a string, so an undefined member changes no answer.',
  'lib/cycle/measure-queues.ts | ConditionalExpression | id !== undefined → true':
    'Equivalent: the set is only asked about t.taskId, always a string, so an undefined member changes no answer.',
  'lib/cycle/protection.ts | ArrayDeclaration | [] → ["Stryker was here"]':
    'Equivalent: the default skip list would skip only a recorded task whose id is "Stryker was here"; ECS task ids are 32 hex digits.',
  'lib/cycle/scale-down.ts | StringLiteral | \'none\' → ""':
    'Equivalent: a stale plan sets the need only to skip the protection work; with \'\' instead of \'none\' the step skips the same calls (the listing is guarded by !stale) and decide() abandons before the need or the live count is read.',
  'lib/cycle/scale-down.ts | StringLiteral | \'RUNNING\' → ""':
    'Equivalent: a listed task\'s statuses are only compared with \'STOPPED\' (isLive), and \'\' is not \'STOPPED\' either; ListTasks lists only tasks whose desired status is RUNNING.',
};
