// Mutation testing of the cycle's core: docs/mutation.md. Run with `npm run mutate`
// (scripts/mutate.ts), which runs StrykerJS once per folder with MUTATE_FOLDER set.
const folder = process.env.MUTATE_FOLDER ?? 'lib/ecs';
const name = folder.replace(/^lib\//, '');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { configFile: 'jest.mutate.config.js', enableFindRelatedTests: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [`${folder}/**/*.ts`],
  // A static mutant (a module-level constant) needs every test rerun without per-test coverage:
  // hours on two cores. They are counted, not run, and docs/mutation.md says how many.
  ignoreStatic: true,
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 15000,
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  // Committed (mutation/), so that a new checkout's rerun tests only the mutants a change touched:
  // a mutant's result is reused while its code and the tests covering it are unchanged.
  // `npm run mutate -- --force` runs every mutant again.
  incremental: true,
  incrementalFile: `mutation/${name}.incremental.json`,
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: 'always',
  ignorePatterns: ['dist', 'reports', '.serverless', '.esbuild', 'bench/out', 'simulate-out'],
};
