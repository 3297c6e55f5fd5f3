/**
 * Node 24 loads a TypeScript config natively, as an ES module, where './jest.config' (no extension) does not resolve;
 * Jest then falls back to this loader.
 * @jest-config-loader ts-node
 * @jest-config-loader-options {"transpileOnly": true}
 */
import type { Config } from 'jest';
import base from './jest.config';

// The integration tier: tests against real servers that .ci/run starts (PostgreSQL, Kafka).
const config: Config = {
  ...base,
  testMatch: ['**/*.integration.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdk\\.out/', '/dist/'],
  maxWorkers: 1,
  // kafkajs keeps reconnect timers alive for a while after clients disconnect (more so after the broker-outage
  // test froze the broker); the tier must end when its tests have.
  forceExit: true,
};

export default config;
