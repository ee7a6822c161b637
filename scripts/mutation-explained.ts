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
};
