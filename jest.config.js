/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // CLI tests spawn the built CLI: build it from the sources under test first.
  globalSetup: '<rootDir>/scripts/build.js',
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  // A file that started Celery workers ends with the Celery version they ran.
  setupFilesAfterEnv: ['<rootDir>/test/support/celery-version.ts'],
  testTimeout: 120000,
  // Most files wait on real processes and wall-clock cycles, not the CPU: three at a time on
  // two cores. Each file starts its own redis-server, workers and emulators on free ports.
  maxWorkers: 3,
};
