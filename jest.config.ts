import type { Config } from 'jest';

// Unit and synthesis tests run in `npm test` (which sets --experimental-vm-modules: PGlite loads its
// WebAssembly with a dynamic import, which Jest's module sandbox allows only with that flag). Tiers that need a real PostgreSQL or Kafka
// live under `*.integration.test.ts` and run through `jest.integration.config.ts`.
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
  snapshotFormat: { printBasicPrototype: false },
  // CDK synthesis with bundling is CPU-heavy; two cores, two workers.
  maxWorkers: 2,
  testTimeout: 120_000,
};

export default config;
