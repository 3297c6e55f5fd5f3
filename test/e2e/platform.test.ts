import { type RunningPlatform, startPlatform } from './platform';
import { platformContract } from './platform.contract';

describe('the local platform on the embedded PostgreSQL and its event log', () => {
  let platform: RunningPlatform;
  beforeAll(async () => {
    platform = await startPlatform();
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
  }, 30_000);
  platformContract(() => platform);
});
