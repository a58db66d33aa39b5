/**
 * Two projects: `unit` (pure decisions, policy, replay of saved histories: no server, milliseconds
 * each) and `integration` (one Temporal dev server, one database schema and one workflow bundle per run).
 * `npm test` runs both; `npm run test:unit` runs the first alone.
 */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const unitTests = [
  '<rootDir>/{workflows,policy,contract,client,server,activities,chat,store,adapters,runbook-host,security,config,dev}/**/*.test.ts',
  '<rootDir>/test/replay.test.ts',
];

/** @type {import('jest').Config} */
module.exports = {
  verbose: true,
  // A global option (projects cannot set it): integration flows wait on real timers.
  testTimeout: 90_000,
  reporters: ['default', ['<rootDir>/test/summary-reporter.js', {}]],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: unitTests,
      setupFiles: ['<rootDir>/test/setup-runtime.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/test/replay\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFiles: ['<rootDir>/test/setup-runtime.ts'],
    },
  ],
};
