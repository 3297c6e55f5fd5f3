import * as vm from 'node:vm';
import type { Config } from 'jest';

/**
 * jose ships ES modules only. From Node 24.9, Jest (with --experimental-vm-modules) loads an ES module that CommonJS
 * code requires as it is, the way Node's own require(esm) does; older Node needs it transformed to CommonJS first.
 * This is Jest's own test for the capability (jest-runtime's nodeCapabilities).
 */
const requiresEsmNatively =
  typeof (vm as { SourceTextModule?: { prototype: { hasAsyncGraph?: unknown } } }).SourceTextModule?.prototype
    .hasAsyncGraph === 'function';

// Unit and synthesis tests run in `npm test`, on one real PostgreSQL 17 for the whole run (the embedded server
// `npm start` uses, started by the global setup; each suite takes a fresh database). Tiers that need Kafka or a
// PostgreSQL they stop and start live under `*.integration.test.ts` and run through `jest.integration.config.ts`.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  // The browser tier (`*.browser.test.ts`) runs through jest.browser.config.ts, where Chromium is installed.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/cdk\\.out/',
    '/dist/',
    '\\.integration\\.test\\.ts$',
    '\\.browser\\.test\\.ts$',
  ],
  transform: {
    // Transpiled file by file, without type checks (tsc --noEmit checks types): ts-jest does so when the compiler
    // options ask for isolated modules.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { isolatedModules: true } }],
    ...(requiresEsmNatively
      ? {}
      : {
          '^.+/node_modules/jose/.+\\.js$': [
            'ts-jest',
            { diagnostics: false, tsconfig: { isolatedModules: true, allowJs: true } },
          ],
        }),
  },
  transformIgnorePatterns: requiresEsmNatively ? ['/node_modules/'] : ['/node_modules/(?!jose/)'],
  setupFiles: ['<rootDir>/test/unit-environment.ts'],
  globalSetup: '<rootDir>/lib/runtime/test-support/postgres-setup.ts',
  globalTeardown: '<rootDir>/lib/runtime/test-support/postgres-teardown.ts',
  snapshotFormat: { printBasicPrototype: false },
  // CDK synthesis with bundling is CPU-heavy; two cores, two workers.
  maxWorkers: 2,
  testTimeout: 120_000,
};

export default config;
