// The jest config StrykerJS runs each mutant against (stryker.config.mjs): the unit tests, and
// the fast integration files that need a redis-server or the ECS emulator but no Celery process
// (the wire of lib/celery against local/pidbox-responder.ts, itself checked against real workers;
// lib/ecs through the real SDK against the emulator). A mutant's verdict so never waits on a
// Python worker; the real-worker tests prove the same code against Celery in `npm test`.
const base = require('./jest.config');

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
  maxWorkers: 1,
};
