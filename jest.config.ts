import type { Config } from 'jest';

// Unit and synthesis tests run in `npm test`, on one real PostgreSQL 17 for the whole run (the embedded server
// `npm start` uses, started by the global setup; each suite takes a fresh database). Tiers that need Kafka or a
// PostgreSQL they stop and start live under `*.integration.test.ts` and run through `jest.integration.config.ts`.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk\\.out/', '/dist/', '\\.integration\\.test\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
    // jose ships ES modules only; Node 20 loads them through require(esm), Jest's module runtime does not.
    '^.+/node_modules/jose/.+\\.js$': [
      'ts-jest',
      { isolatedModules: true, diagnostics: false, tsconfig: { allowJs: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  globalSetup: '<rootDir>/lib/runtime/test-support/postgres-setup.ts',
  globalTeardown: '<rootDir>/lib/runtime/test-support/postgres-teardown.ts',
  snapshotFormat: { printBasicPrototype: false },
  // CDK synthesis with bundling is CPU-heavy; two cores, two workers.
  maxWorkers: 2,
  testTimeout: 120_000,
};

export default config;
