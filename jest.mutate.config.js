// The jest config StrykerJS runs each mutant against (stryker.config.json): the unit tests only.
// They need no broker, worker or built CLI, so a mutant's verdict never depends on the machine's
// load; the real-worker tests prove the same code against Celery in `npm test`.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/unit'],
  globalSetup: undefined,
  setupFilesAfterEnv: [],
  // Type errors are the TypeScript checker's to report (it rejects a mutant that does not compile);
  // ts-jest only transpiles here.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }] },
  maxWorkers: 1,
};
