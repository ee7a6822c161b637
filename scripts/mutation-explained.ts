/**
 * Why each surviving mutant in docs/mutation.md survives, keyed as scripts/mutate.ts's
 * explanationKey() prints it: `file | mutator | code → replacement`. Only equivalent mutants
 * (no input the code can receive tells them apart) and mutants whose effect only a real broker or
 * real ECS shows (proved by the integration and end-to-end tests, not run per mutant) belong here.
 */
export const EXPLAINED: Record<string, string> = {
  'lib/planner/horizon.ts | EqualityOperator | lateIfBound <= LATE_SHARE → lateIfBound < LATE_SHARE':
    'Equivalent: they differ only where e^(−target / wait) is exactly 0.01, which no double the exponential gives (e^(−ln 100) is 0.009999999999999995).',
  'lib/planner/horizon.ts | EqualityOperator | 1 - below <= allowed → 1 - below < allowed':
    'Equivalent: they differ only where a sum of Poisson probabilities leaves exactly the allowed share, 0.01 over an exponential, which (above) is never a round double.',
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
  'lib/planner/index.ts | EqualityOperator | x >= soft → x > soft':
    'Equivalent: at x = soft both branches give soft (soft·e⁰), and the two are continuous there.',
  'lib/planner/index.ts | ConditionalExpression | workMin <= 0 → false':
    'Equivalent: work is a sum of counts times positive durations, never negative; at 0 the rest of the function gives ⌈0⌉ = 0 for steady and forBacklog, so max(keepUp, min(usable, 0)) is keepUp, what the guard returns.',
  'lib/planner/index.ts | EqualityOperator | workMin <= 0 → workMin < 0':
    'Equivalent: at workMin = 0 the rest of the function returns keepUp too (steady and forBacklog are ⌈0⌉ = 0).',
  'lib/planner/index.ts | ConditionalExpression | groups.length === 0 → false':
    'Equivalent: with pending > 0 and no groups the rate stays 0, the time left is pending / 0 = ∞, and the wait max(0, T − ∞) is 0, what the guard returns.',
  'lib/planner/index.ts | EqualityOperator | left >= soft → left > soft':
    'Equivalent: at left = soft the inverse branch gives soft + soft·ln 1 = soft, the same.',
  'lib/planner/index.ts | ConditionalExpression | p <= 0 → false':
    'Equivalent: an empty queue\'s work is Σ min(pr, 0)·d = 0, so its rate 0 never beats a waiting queue\'s positive rate; the function gets here only with at least two queues waiting, and the first of them replaces an empty queue taken as best before it.',
  'lib/planner/index.ts | EqualityOperator | p <= 0 → p < 0':
    'Equivalent: pending counts are never negative, and an empty queue\'s rate 0 never beats a waiting one\'s (see p <= 0 → false).',
  'lib/planner/index.ts | StringLiteral | \'*\' → ""':
    'Unreachable: the branch runs only with pending > 0, which needs a queue, so the first queue\'s name is always there and the fallback never used.',
  'lib/planner/index.ts | EqualityOperator | lambda < IDLE_LAMBDA → lambda <= IDLE_LAMBDA':
    'Equivalent at :303 (at :111, workersNeeded takes any λ and a test pins 0.01): the planner\'s λ is 0 or at least 1/40 per minute, since arrivals are whole tasks, an interval is at most MAX_GAP_MINUTES (10) and the trickle window at most TRICKLE_MINUTES (30) plus one interval; it is never exactly 0.01.',
  'lib/planner/index.ts | EqualityOperator | (rates.lastArrivalRate ?? 0) < IDLE_LAMBDA → (rates.lastArrivalRate ?? 0) <= IDLE_LAMBDA':
    'Equivalent: the last interval\'s rate is whole arrivals over at most 10 minutes, 0 or at least 0.1 per minute, never exactly 0.01.',
  'lib/planner/index.ts | ConditionalExpression | usable < Infinity → true':
    'Equivalent: usable is ⌈work / slots⌉ of finite counts, always finite; the test only states it for the type\'s sake (workersNeeded\'s default is ∞).',
  'lib/planner/index.ts | EqualityOperator | usable < Infinity → usable <= Infinity':
    'Equivalent: usable is always finite (⌈work / slots⌉).',
  'lib/planner/index.ts | ConditionalExpression | from > 0 → true':
    'Equivalent: the branch runs only when recommended > from; with from = 0, recommended ≤ 0 × threshold is false either way.',
  'lib/planner/index.ts | EqualityOperator | from > 0 → from >= 0':
    'Equivalent: with from = 0 the next clause (recommended ≤ 0, while recommended > from = 0) is false either way.',
  'lib/planner/index.ts | ConditionalExpression | kept.length > 0 → true':
    'Equivalent: kept always holds this cycle\'s own recommendation (made at now, inside the window), so it is never empty.',
  'lib/planner/index.ts | EqualityOperator | kept.length > 0 → kept.length >= 0':
    'Equivalent: kept is never empty (it holds this cycle\'s recommendation).',
  'lib/planner/index.ts | OptionalChaining | kept[0]?.[0] → kept[0][0]':
    'Equivalent: kept is never empty (it holds this cycle\'s recommendation), so kept[0] is always there.',
  'lib/planner/index.ts | ConditionalExpression | at >= windowStart || i === 0 → true':
    'Equivalent: kept starts one recommendation before the first inside the window, so the only one before the window is at index 0, which the i === 0 clause takes already.',
  'lib/planner/index.ts | ConditionalExpression | stable > 0 → true':
    'Equivalent: here from > 0 (a scale-down) and the threshold is positive (the schema), so stable > from × threshold is already false whenever stable ≤ 0.',
  'lib/planner/index.ts | EqualityOperator | stable > 0 → stable >= 0':
    'Equivalent: with stable = 0, stable > from × threshold (both positive) is false either way.',
  'lib/planner/index.ts | ArithmeticOperator | mu * QUICK_DRAIN_MINUTES → mu / QUICK_DRAIN_MINUTES':
    'Equivalent: QUICK_DRAIN_MINUTES is 1, and μ × 1 = μ / 1; the constant itself is pinned by the drain tests.',
  'lib/planner/index.ts | LogicalOperator | decision.direction === \'none\' || decision.to === decision.from → decision.direction === \'none\' && decision.to === decision.fr':
    'Equivalent: planService\'s direction is \'none\' exactly when to = from (it is computed from the two, and given as \'none\' only with to = from), so the two clauses are always equal.',
  'lib/planner/index.ts | ConditionalExpression | decision.direction === \'none\' → false':
    'Equivalent: direction \'none\' holds exactly when to = from (see the && mutant), so the other clause decides alone the same.',
  'lib/planner/index.ts | ConditionalExpression | decision.to === decision.from → false':
    'Equivalent: to = from holds exactly when the direction is \'none\', so the first clause decides alone the same.',
  'lib/planner/rates.ts | ConditionalExpression | minutes > 0 → true':
    'Equivalent: the usual interval (the lower median) is one of the intervals and at most the cap (max(5, 4 × usual)), so at least one interval is kept, and every interval recorded is longer than 0 (a sample at the same instant returns early).',
  'lib/planner/rates.ts | EqualityOperator | minutes > 0 → minutes >= 0':
    'Equivalent: at least one interval, longer than 0, is always kept (see minutes > 0 → true).',
  'lib/planner/rates.ts | ConditionalExpression | counts.length > 1 → true':
    'Equivalent: with one interval, the sum of the minutes less the first\'s is 0, below TRICKLE_MINUTES, so the loop stops there either way.',
  'lib/planner/rates.ts | EqualityOperator | counts.length > 1 → counts.length >= 1':
    'Equivalent: with one interval the other clause (0 minutes beyond the first ≥ 30) is false either way.',
  'lib/planner/lp.ts | ConditionalExpression | i % 8 === 0 → true':
    'Equivalent: only where the objective\'s lines break changes; in the LP format a line break between terms is white space, and HiGHS reads the same program.',
  'lib/planner/lp.ts | ArithmeticOperator | i % 8 → i * 8':
    'Equivalent: the whole objective goes on one line instead of eight terms a line; in the LP format that is the same program.',
  'lib/planner/lp.ts | ArithmeticOperator | acc.length - 1 → acc.length + 1':
    'Equivalent in every value read (checked on HiGHS): each term after a line\'s first is written as `undefined <term>`, which the LP reader takes as one more column named undefined with cost +1 and the default bounds [0, ∞); it is 0 at the optimum, so the objective and every named column are unchanged, and value() is never asked for that name.',
  'lib/planner/lp.ts | ArrayDeclaration | [] → ["Stryker was here"]':
    'Equivalent in every value read (checked on HiGHS): the line adds columns Stryker, was and here with cost +1 and bounds [0, ∞), all 0 at the optimum; the objective and every named column are unchanged.',
  'lib/planner/lp.ts | StringLiteral | \' obj:\' → ""':
    'Equivalent: the objective\'s name is optional in the CPLEX LP format, and nothing reads it.',
  'lib/planner/lp.ts | ObjectLiteral | { presolve: \'on\' } → {}':
    'Equivalent: HiGHS\'s presolve option defaults to "choose", which presolves every LP unless a valid basis is given, and each solve here is of a new model with none; the option only states it.',
};
