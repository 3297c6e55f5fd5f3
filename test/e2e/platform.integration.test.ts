import { type RunningPlatform, startPlatform } from './platform';
import { platformContract } from './platform.contract';

const url = process.env.TEST_DATABASE_URL;
const brokers = process.env.TEST_KAFKA_BROKERS;
const suite = url ? describe : describe.skip;
const bus = brokers ? 'Kafka' : 'the in-process event log (TEST_KAFKA_BROKERS is not set)';

suite(`the platform on a real PostgreSQL${url ? ` and ${bus}` : ' (skipped: TEST_DATABASE_URL is not set)'}`, () => {
  let platform: RunningPlatform;
  beforeAll(async () => {
    platform = await startPlatform({ databaseUrl: url, kafkaBrokers: brokers });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  }, 60_000);
  platformContract(() => platform);
});
