// The jest config StrykerJS runs each mutant against (stryker.config.mjs): the unit tests, and
// the fast integration files that need a redis-server or the ECS emulator but no Celery process
// (the wire of lib/celery against local/pidbox-responder.ts, itself checked against real workers;
// lib/ecs through the real SDK against the emulator). A mutant's verdict so never waits on a
// Python worker; the real-worker tests prove the same code against Celery in `npm test`.
const base = require('./jest.config');

// Read by the tests that compare a generated doc inside a behaviour file (crash-points.test.ts):
// in a mutation run they do not count, for the reason the doc-diff files below are left out.
process.env.MUTATION_RUN = '1';

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/ecs.test.ts', '<rootDir>/test/integration/celery-wire*.test.ts'],
  globalSetup: undefined,
  setupFilesAfterEnv: [],
  // Type errors are the TypeScript checker's to report (it rejects a mutant that does not compile);
  // ts-jest only transpiles here.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }] },
  // Left out, which can only lower the score: tests that compare generated docs with a fresh render
  // (a mutant they catch is caught by a text diff, and regenerating the docs would let it live),
  // and the simulator's benchmark-sized tables (a minute of runs per mutant).
  testPathIgnorePatterns: [
    '/node_modules/',
    'test/unit/(generated-docs|simulate-readme|readme-limits|docs-links|quoted-figures|mutation-report|bench-sections)\\.test\\.ts$',
    'test/unit/(simulate-policies|fleet-scale)\\.test\\.ts$',
  ],
  maxWorkers: 1,
};
