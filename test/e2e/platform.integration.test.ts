import { type RunningPlatform, startPlatform } from './platform';
import { platformContract } from './platform.contract';

const url = process.env.TEST_DATABASE_URL;
const suite = url ? describe : describe.skip;

suite(`the platform on a real PostgreSQL${url ? '' : ' (skipped: TEST_DATABASE_URL is not set)'}`, () => {
  let platform: RunningPlatform;
  beforeAll(async () => {
    platform = await startPlatform({ databaseUrl: url });
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
  });
  platformContract(() => platform);
});
