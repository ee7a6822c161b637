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
  'lib/cycle/compute-plan.ts | ConditionalExpression | c.direction !== \'none\' → true':
    'Equivalent: plan().changes holds only decisions up or down (a decision with direction none is in holds).',
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
  'lib/celery/connection.ts | ConditionalExpression | done → false':
    'Equivalent: settling the promise a second time, clearTimeout of a cleared timer and off() of a removed listener do nothing; nothing else reads done.',
  'lib/celery/connection.ts | BooleanLiteral | true → false':
    'Equivalent, for the reason of the line above: done only guards steps that are idempotent.',
  'lib/celery/connection.ts | ArrowFunction | () => end(false) → () => undefined':
    'Equivalent: a listener stays attached, so no error goes unhandled, and Node emits \'close\' right after \'error\' on a socket, whose handler calls end(false) at the same moment with the same result.',
  'lib/celery/control.ts | ConditionalExpression | this.reader === reader → true':
    'At :173 equivalent: a read loop starts only on the current reader, and this.reader changes only in close(), which disconnects that reader, so the loop\'s blocking read fails and its catch does nothing for a reader no longer current (the mutant at most sends one more command on the closed client, which fails locally). At :166 not shown equivalent nor killed: it needs ensureReady to succeed on a reader that close() has already replaced while the new reader\'s loop runs, which no test could construct (ioredis does not report ready after disconnect()).',
  'lib/celery/control.ts | ArrayDeclaration | [] → ["Stryker was here"]':
    'Equivalent: dispatch() of a string that is not JSON returns from its catch.',
  'lib/celery/control.ts | ConditionalExpression | this.pending.size > 0 && this.reader === reader → false':
    'Equivalent: the tail check is never true; the loop above exits only when the same condition is false, with nothing in between, or through its catch, which either ends every pending call (size 0) or runs for a reader that is no longer current.',
  'lib/celery/control.ts | BlockStatement | { → {}':
    'Equivalent: answer is assigned by the try\'s last statement, so after any throw it is undefined and the next line (if (!call || !answer) return) returns anyway.',
  'lib/celery/control.ts | ConditionalExpression | this.readingOn === reader → true':
    'Not killed: it shows only when an old reader\'s loop ends after a new reader\'s loop has started, which needs a reader slow to close after close(); the close arrives within milliseconds on a local redis-server, and a test proxy that holds it back was not built.',
  'lib/celery/events.ts | ConditionalExpression | typeof e === \'object\' → true':
    'Equivalent: JSON.parse yields objects, arrays, strings, numbers, booleans or null; null is excluded apart, and a string, number or boolean has no string property type, so the next check rejects it as before.',
  'lib/celery/inspect.ts | ArrayDeclaration | [] → ["Stryker was here"]':
    'At :45 equivalent (taking a name from a string gives undefined, so the loop skips it) and at :90 equivalent (none.missing is never read: only its replies and expected are used). At :110 killed since the run that listed it: test/integration/celery-wire.test.ts asserts an empty queue list for a node answering active_queues with null.',
  'lib/celery/probe.ts | StringLiteral | \'reading queue depths\' → ""':
    'Equivalent at :24: in that try only ensureReady can throw, and it rejects only with BrokerUnavailableError, which brokerError returns unchanged without the text; ioredis\'s pipeline exec() never rejects on a single (non-cluster) Redis (command errors come back in its results). Unreachable at :26, for the reason given for \'no reply to pipeline\' on the same line.',
  'lib/celery/probe.ts | StringLiteral | \'no reply to pipeline\' → ""':
    'Unreachable: a plain pipeline\'s exec() always resolves an array (null comes only from a MULTI aborted by WATCH), and this pipeline always holds the HLEN.',
};
