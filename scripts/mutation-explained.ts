/**
 * Why each surviving mutant in docs/mutation.md survives, keyed as scripts/mutate.ts's
 * explanationKey() prints it: `file | mutator | code → replacement`. Only equivalent mutants
 * (no input the code can receive tells them apart) and mutants whose effect only a real broker or
 * real ECS shows (proved by the integration and end-to-end tests, not run per mutant) belong here.
 */
export const EXPLAINED: Record<string, string> = {
};
