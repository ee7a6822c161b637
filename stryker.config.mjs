// Mutation testing of the cycle's core: docs/mutation.md. Run with `npm run mutate`
// (scripts/mutate.ts), which runs StrykerJS once per folder with MUTATE_FOLDER set.
const folder = process.env.MUTATE_FOLDER ?? 'lib/ecs';
const name = folder.replace(/^lib\//, '');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // Each mutant runs only the test files that import its file, directly or through others (jest's
  // --findRelatedTests), not all of them filtered by name: loading every test file cost most of a
  // mutant's time. A test that runs a file's code imports it, so this drops no covering test. The
  // roots let jest follow imports through every folder of the product, not the mutated one alone.
  jest: {
    configFile: 'jest.mutate.config.js',
    enableFindRelatedTests: true,
    config: { roots: ['test', 'lib', 'local', 'functions', 'cli', 'scripts', 'bench'].map((d) => `<rootDir>/${d}`) },
  },
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
