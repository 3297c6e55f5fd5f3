import type { Config } from 'jest';

// Unit and synthesis tests run in `npm test`. Tiers that need a real PostgreSQL or Kafka
// live under `*.integration.test.ts` and run through `jest.integration.config.ts`.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk\\.out/', '/dist/', '\\.integration\\.test\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  snapshotFormat: { printBasicPrototype: false },
  // CDK synthesis with bundling is CPU-heavy; two cores, two workers.
  maxWorkers: 2,
  testTimeout: 120_000,
};

export default config;
