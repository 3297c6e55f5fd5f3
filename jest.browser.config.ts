/**
 * Loaded through ts-node, as jest.integration.config.ts is: Node 24's native TypeScript loading does not resolve the
 * extensionless './jest.config'.
 * @jest-config-loader ts-node
 * @jest-config-loader-options {"transpileOnly": true}
 */
import type { Config } from 'jest';
import base from './jest.config';

// The browser tier (`npm run test:browser`): the pages in Debian's Chromium against the whole local platform, on the
// same embedded PostgreSQL as the unit tests. scripts/browser-tests.sh installs Chromium first.
const config: Config = {
  ...base,
  testMatch: ['**/*.browser.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk\\.out/', '/dist/'],
  maxWorkers: 1,
  testTimeout: 180_000,
};

export default config;
